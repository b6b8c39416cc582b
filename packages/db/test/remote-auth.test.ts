import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Ed25519Keys,
  type SqldServer,
  REPO_ROOT,
  type TempDir,
  ensureCliBuilt,
  makeEd25519Keys,
  runCli,
  signJwt,
  sqldForTests,
  startSqld,
  tempDir,
  writeJwtKeyFile,
} from "@verdict/testing";
import {
  ConnectionError,
  StorageError,
  type VerdictError,
  createScenario,
  getScenario,
  openDatabase,
} from "@verdict/db";

/**
 * JWT authentication against a real sqld started with --auth-jwt-key-file: the right token works,
 * a missing, foreign, expired or read-only one fails with one readable line that says what to set.
 */
const sqld = sqldForTests("packages/db remote auth tests (remote-auth.test.ts)");

async function openError(
  url: string,
  authToken: string | undefined,
  migrate = false,
  type: typeof ConnectionError | typeof StorageError = ConnectionError,
): Promise<VerdictError> {
  const err = await openDatabase({ url, migrate, ...(authToken === undefined ? {} : { authToken }) }).then(
    (h) => {
      h.close();
      return new Error("opened, but should have been refused");
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  return err as VerdictError;
}

/** What a user sees must be one line, name the server and the setting to fix, and never echo the token. */
function expectReadable(err: Error, url: string, token?: string) {
  expect(err.message).not.toMatch(/\n|\s+at\s+\S+\s+\(/);
  expect(err.message).toContain(url);
  expect(err.message).toContain("VERDICT_DB_AUTH_TOKEN");
  if (token) expect(err.message).not.toContain(token);
}

describe.skipIf(!sqld.available).each([["pem" as const], ["base64url" as const]])(
  "sqld JWT auth, public key file as %s",
  (format) => {
    let keys: Ed25519Keys;
    let dir: TempDir;
    let server: SqldServer;

    beforeAll(async () => {
      keys = makeEd25519Keys();
      dir = tempDir();
      server = await startSqld({ authJwtKeyFile: writeJwtKeyFile(dir.file(`jwt-key.${format}`), keys, format) });
    });
    afterAll(async () => {
      await server?.stop();
      dir?.cleanup();
    });

    it("health stays open while SQL needs a token", async () => {
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      const res = await fetch(`${server.url}/v2/pipeline`, {
        method: "POST",
        body: JSON.stringify({ requests: [{ type: "execute", stmt: { sql: "SELECT 1" } }] }),
      });
      expect(res.status).toBe(401);
    });

    for (const transport of ["http", "ws"] as const) {
      const urlOf = () => (transport === "http" ? server.url : server.wsUrl);

      it(`${transport}: a token signed with the key opens, migrates, writes and reads`, async () => {
        const token = signJwt(keys.privateKey, { exp: Math.floor(Date.now() / 1000) + 600 });
        const h = await openDatabase({ url: urlOf(), authToken: token, migrate: true });
        try {
          const id = `auth-${format}-${transport}`;
          await createScenario(h, {
            scenario_id: id,
            name: id,
            target_phone: "+15550100100",
            steps: [{ type: "dtmf", name: "press 1", digits: "1" }],
          });
          expect((await getScenario(h, id)).name).toBe(id);
        } finally {
          h.close();
        }
      });

      it(`${transport}: no token is refused with a one-line message`, async () => {
        expectReadable(await openError(urlOf(), undefined), urlOf());
      });

      it(`${transport}: a garbage token is refused with a one-line message`, async () => {
        expectReadable(await openError(urlOf(), "not-a-jwt"), urlOf(), "not-a-jwt");
      });

      it(`${transport}: a token signed with another key is refused`, async () => {
        const foreign = signJwt(makeEd25519Keys().privateKey, {});
        expectReadable(await openError(urlOf(), foreign), urlOf(), foreign);
      });

      it(`${transport}: an expired token is refused`, async () => {
        // sqld allows 60 s of clock skew on `exp`; this one expired an hour ago.
        const expired = signJwt(keys.privateKey, { exp: Math.floor(Date.now() / 1000) - 3600 });
        expectReadable(await openError(urlOf(), expired), urlOf(), expired);
      });
    }

    it("http: a read-only token can read but not migrate, and says so", async () => {
      const ro = signJwt(keys.privateKey, { a: "ro" });
      const h = await openDatabase({ url: server.url, authToken: ro });
      try {
        expect((await getScenario(h, `auth-${format}-http`)).slug).toBe(`auth-${format}-http`);
      } finally {
        h.close();
      }
      // The token's read-only claim makes the open read-only: migrating is refused before asking the server.
      const err = await openError(server.url, ro, true, StorageError);
      expectReadable(err, server.url, ro);
      expect((err as StorageError).kind).toBe("read_only");
      expect(err.message).toMatch(/read-only access.*a read-only token cannot migrate or write/);
    });
  },
);

describe.skipIf(!sqld.available)("verdict CLI against an sqld that requires a token", () => {
  let keys: Ed25519Keys;
  let dir: TempDir;
  let server: SqldServer;

  beforeAll(async () => {
    ensureCliBuilt();
    keys = makeEd25519Keys();
    dir = tempDir();
    server = await startSqld({ authJwtKeyFile: writeJwtKeyFile(dir.file("jwt-key.pem"), keys) });
  }, 240_000);
  afterAll(async () => {
    await server?.stop();
    dir?.cleanup();
  });

  it("a bad --db-auth-token exits 1 with one line naming the fix, no stack", async () => {
    for (const url of [server.url, server.wsUrl]) {
      const r = await runCli(["--db", url, "--db-auth-token", "BAD", "migrate", "status"]);
      expect(r.status, r.stderr).toBe(1);
      const lines = r.stderr.trimEnd().split("\n");
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: the database server at \S+ (refused the credentials|closed the WebSocket)/);
      expect(lines[0]).toContain("VERDICT_DB_AUTH_TOKEN");
      expect(r.stdout).toBe("");
    }
  });

  it("no token at all exits 1 with the same kind of line", async () => {
    const r = await runCli(["--db", server.url, "migrate", "status"]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr.trimEnd().split("\n")).toEqual([
      `error: the database server at ${server.url} refused the credentials (HTTP 401 Unauthorized: token missing, invalid or expired): set VERDICT_DB_AUTH_TOKEN (or --db-auth-token) to a valid token for it`,
    ]);
  });

  it("the right token, from VERDICT_DB_AUTH_TOKEN or --db-auth-token, migrates and reports status", async () => {
    const token = signJwt(keys.privateKey, {});
    const up = await runCli(["--db", server.url, "migrate", "up"], { env: { VERDICT_DB_AUTH_TOKEN: token } });
    expect(up.status, up.stderr).toBe(0);
    const status = await runCli(["--db", server.wsUrl, "--db-auth-token", token, "--json", "migrate", "status"]);
    expect(status.status, status.stderr).toBe(0);
    const rows = (JSON.parse(status.stdout) as { items: { state: string }[] }).items;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.state === "applied")).toBe(true);
  });

  it("an unreachable server exits 1 with one line", async () => {
    const down = await startSqld();
    const url = down.url;
    await down.stop();
    const r = await runCli(["--db", url, "migrate", "status"]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^error: cannot reach the database server at http:\/\/127\.0\.0\.1:\d+ \(connect ECONNREFUSED/,
    );
  });
});

describe.skipIf(!sqld.available)("scripts/sqld-jwt.mjs keys and tokens, key passed as SQLD_AUTH_JWT_KEY", () => {
  const script = join(REPO_ROOT, "scripts", "sqld-jwt.mjs");
  const run = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: "utf8" });
  let dir: TempDir;
  let server: SqldServer;
  let keyFile: string;

  beforeAll(async () => {
    dir = tempDir();
    keyFile = dir.file("sqld-jwt.pem");
    const keygen = run("keygen", "--private-key", keyFile);
    expect(keygen.status, keygen.stderr).toBe(0);
    const m = /^SQLD_AUTH_JWT_KEY=([A-Za-z0-9_-]{43})\n$/.exec(keygen.stdout);
    if (!m?.[1]) throw new Error(`unexpected keygen output: ${keygen.stdout}`);
    // The way docker-compose.yml hands sqld its key: the environment, no key file.
    server = await startSqld({ env: { SQLD_AUTH_JWT_KEY: m[1] } });
  });
  afterAll(async () => {
    await server?.stop();
    dir?.cleanup();
  });

  it("keygen refuses to overwrite an existing key", () => {
    const again = run("keygen", "--private-key", keyFile);
    expect(again.status).toBe(2);
    expect(again.stderr).toBe(`error: ${keyFile} already exists; refusing to overwrite a key\n`);
  });

  it("a token it signs migrates and writes; a --read-only one is refused writes", async () => {
    const token = run("token", "--private-key", keyFile, "--days", "1").stdout.trim();
    const h = await openDatabase({ url: server.url, authToken: token, migrate: true });
    h.close();
    const ro = run("token", "--private-key", keyFile, "--read-only").stdout.trim();
    const err = await openError(server.url, ro, true, StorageError);
    expect(err.message).toMatch(/read-only/);
    expectReadable(await openError(server.url, undefined), server.url);
  });

  it("bad arguments get one line each", () => {
    expect(run("token").stderr).toBe("error: --private-key FILE is required\n");
    expect(run("token", "--private-key", dir.file("missing.pem")).stderr).toMatch(
      /^error: cannot read an Ed25519 private key from .*missing\.pem: .*\n$/,
    );
    expect(run("nope", "--private-key", keyFile).stderr).toMatch(/^error: usage: /);
  });
});
