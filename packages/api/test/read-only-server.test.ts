import { TRPCClientError } from "@trpc/client";
import { createVerdictClient } from "@verdict/api";
import { createScenario, createToken, openDatabase } from "@verdict/db";
import {
  type ListeningProcess,
  type SqldServer,
  type TempDir,
  ensureCliBuilt,
  makeEd25519Keys,
  signJwt,
  spawnListening,
  sqldForTests,
  startSqld,
  tempDir,
  writeJwtKeyFile,
} from "@verdict/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

/**
 * `verdict serve` on a database it may only read (a libSQL token with read-only access, or
 * --read-only on a file) serves reads, and answers writes 503 naming the database and the cause,
 * never 500, and never with SQL text or values.
 */
const SECRET = "value-that-must-not-be-echoed";
let dir: TempDir;
let cli: string;
const servers: ListeningProcess[] = [];

function scenario(id: string, description?: string) {
  return {
    slug: id,
    name: id,
    target_phone: "+15550100100",
    steps: [{ type: "dtmf" as const, digits: "1" }],
    ...(description ? { description } : {}),
  };
}

async function serve(args: string[]): Promise<string> {
  const s = await spawnListening([cli, ...args, "serve", "--port", "0"], { name: "verdict serve" });
  servers.push(s);
  return s.url;
}

async function writeRefusal(url: string, token: string) {
  const api = createVerdictClient({ url, token });
  const e = await api.ivr.scenarios.create.mutate(scenario("refused", SECRET)).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TRPCClientError);
  const data = (e as TRPCClientError<never>).data as unknown as { httpStatus?: number; code?: string };
  return { status: data.httpStatus, code: data.code, message: (e as Error).message };
}

beforeAll(() => {
  cli = ensureCliBuilt();
  dir = tempDir("verdict-ro-server-");
}, 240_000);
afterEach(async () => {
  for (const s of servers.splice(0)) {
    if (s.child.exitCode === null) {
      s.child.kill("SIGTERM");
      await s.exited;
    }
  }
});
afterAll(() => dir?.cleanup());

it("--read-only on a file: reads 200, writes 503 naming the file, the token still works", async () => {
  const path = dir.file("ro.db");
  const setup = await openDatabase({ url: `file:${path}`, migrate: true });
  await createScenario(setup, scenario("kept"));
  const token = (await createToken(setup, "admin", "admin")).token;
  setup.close();
  const url = await serve(["--db", `file:${path}`, "--read-only"]);
  const api = createVerdictClient({ url, token });
  expect((await api.ivr.scenarios.list.query({})).items.map((s) => s.slug)).toEqual(["kept"]);
  const refused = await writeRefusal(url, token);
  expect(refused.status, refused.message).toBe(503);
  expect(refused.message).toBe(
    `${path} is open for reads only (opened with --read-only (VERDICT_DB_READ_ONLY)): this needs to write to it`,
  );
  expect((await fetch(`${url}/health`)).status).toBe(200);
});

const sqld = sqldForTests("packages/api read-only server tests (read-only-server.test.ts)");

describe.skipIf(!sqld.available)("verdict serve with a read-only libSQL token", () => {
  let server: SqldServer;
  let apiToken: string;
  let ro: string;

  beforeAll(async () => {
    const keys = makeEd25519Keys();
    server = await startSqld({ authJwtKeyFile: writeJwtKeyFile(dir.file("jwt.pem"), keys) });
    const setup = await openDatabase({ url: server.url, authToken: signJwt(keys.privateKey, {}), migrate: true });
    await createScenario(setup, scenario("kept"));
    apiToken = (await createToken(setup, "admin", "admin")).token;
    setup.close();
    ro = signJwt(keys.privateKey, { a: "ro" });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  for (const transport of ["http", "ws"] as const) {
    it(`${transport}: reads 200 with a Verdict API token, writes 503 'token not allowed to write'`, async () => {
      const db = transport === "http" ? server.url : server.wsUrl;
      const url = await serve(["--db", db, "--db-auth-token", ro]);
      const api = createVerdictClient({ url, token: apiToken });
      expect((await api.ivr.scenarios.list.query({})).items.map((s) => s.slug)).toEqual(["kept"]);
      expect((await api.ivr.scenarios.get.query({ scenario_id: "kept" })).name).toBe("kept");
      const refused = await writeRefusal(url, apiToken);
      expect(refused.status, refused.message).toBe(503);
      expect(refused.code).toBe("SERVICE_UNAVAILABLE");
      expect(refused.message).toContain(`the database server at ${db} is open for reads only`);
      expect(refused.message).toMatch(/read-only access.*token with write access/);
      expect(refused.message).not.toContain(SECRET);
      expect(refused.message).not.toContain(ro);
      expect(refused.message).not.toMatch(/\n|INSERT|Failed query/);
    });
  }
});
