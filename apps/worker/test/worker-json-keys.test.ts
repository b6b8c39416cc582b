/**
 * Issue 9, defect 4 end to end: a system under test answers JSON whose keys are `__proto__`,
 * `constructor` and `prototype`. The built worker runs the instance against it and completes it
 * through the typed client over HTTP to the built `verdict serve`; the response body lands in the
 * step's observation and the assertion's actual value exactly as sent. (Before, the completion
 * threw in the transport on every retry and the item could never finish.)
 */
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createVerdictClient } from "@verdict/api";
import { type VerdictDb, createToken, openDatabase, queryAssertions, queryInstances, querySteps } from "@verdict/db";
import { httpScenario } from "@verdict/schema";
import { tempDir } from "@verdict/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Proc, type VerdictServer, ensureBuilt, startVerdict, startWorker, until } from "./helpers.js";

const BODY = '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"prototype":[1,2],"ok":"yes"}';

const dir = tempDir("verdict-worker-keys-");
const dbUrl = `file:${dir.file("verdict.db")}`;
let db: VerdictDb;
let server: VerdictServer;
let target: Server;
let targetUrl = "";
let token = "";
let worker: Proc | null = null;

beforeAll(async () => {
  ensureBuilt();
  db = await openDatabase({ url: dbUrl, migrate: true });
  token = (await createToken(db, "workers", "write")).token;
  server = await startVerdict(dbUrl);
  target = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(BODY);
  });
  await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
}, 180_000);

afterAll(async () => {
  worker?.kill("SIGKILL");
  await server?.stop();
  await new Promise<void>((resolve) => target?.close(() => resolve()));
  db?.close();
  dir.cleanup();
});

it("a response body with prototype-named keys is recorded exactly and the item completes", async () => {
  const api = createVerdictClient({ url: server.url, token });
  const scenario = httpScenario.parse({
    id: "keys",
    steps: [
      {
        name: "get",
        request: { url: `${targetUrl}/keys` },
        assert: [{ status: 200 }, { json_path: "$.ok", equals: "yes" }],
      },
    ],
  });
  const run = await api.queue.startRun.mutate({ scenario, instances: 1 });
  worker = startWorker(server.url, token, "keys-w", ["--kinds", "http"]);
  const instances = await until(
    async () => (await queryInstances(db, { run_id: run.run.id, limit: 10 })).items,
    (items) => items.length === 1,
    "the instance to complete",
  );
  expect(instances[0]?.status).toBe("pass");
  const steps = (await querySteps(db, { run_id: run.run.id, limit: 10 })).items;
  expect(steps).toHaveLength(1);
  expect(JSON.stringify(steps[0]?.observation.body)).toBe(BODY);
  const assertions = (await queryAssertions(db, { run_id: run.run.id, limit: 10 })).items;
  expect(assertions.map((a) => a.passed)).toEqual([true, true]);
  // And read back over HTTP, through the same transport.
  const overHttp = (await api.runs.steps.query.query({ run_id: run.run.id })).items;
  expect(JSON.stringify(overHttp[0]?.observation.body)).toBe(BODY);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}, 120_000);
