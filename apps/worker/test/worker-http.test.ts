/**
 * verdict-worker end to end with HTTP run instances, all real processes on 127.0.0.1: the built
 * `verdict serve` on a libSQL file, built worker processes talking to it over tRPC, and a node:http
 * shop target. Each instance completes exactly once (3 workers); a worker killed with SIGKILL mid-
 * instance is replaced by another; the server killed and restarted mid-run loses nothing; a target
 * that never answers ends the instance `timeout`; SIGTERM hands unfinished work back and exits 0;
 * a malformed scenario file is refused naming file, line and field; the worker loads no database driver.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createVerdictClient } from "@verdict/api";
import {
  type VerdictDb,
  createToken,
  getRun,
  listWorkItems,
  openDatabase,
  queryAssertions,
  queryInstances,
  querySteps,
} from "@verdict/db";
import { httpScenario } from "@verdict/schema";
import { tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Proc,
  type Target,
  type VerdictServer,
  WORKER,
  cli,
  ensureBuilt,
  startTarget,
  startVerdict,
  startWorker,
  until,
} from "./helpers.js";

const dir = tempDir("verdict-worker-http-");
const dbUrl = `file:${dir.file("verdict.db")}`;
let db: VerdictDb;
let server: VerdictServer;
let target: Target;
let token: string;
const workers: Proc[] = [];

beforeAll(async () => {
  ensureBuilt();
  db = await openDatabase({ url: dbUrl, migrate: true });
  token = (await createToken(db, "workers", "write")).token;
  [server, target] = await Promise.all([startVerdict(dbUrl), startTarget()]);
}, 180_000);

afterAll(async () => {
  for (const w of workers) w.kill("SIGKILL");
  await server?.stop();
  await target?.close();
  db?.close();
  dir.cleanup();
});

function worker(id: string, extra: string[] = [], nodeArgs: string[] = []): Proc {
  const w = startWorker(server.url, token, id, ["--kinds", "http", ...extra], nodeArgs);
  workers.push(w);
  return w;
}

async function stopAll(procs: Proc[]): Promise<void> {
  for (const p of procs) p.kill("SIGTERM");
  for (const p of procs) expect((await p.exited()).code).toBe(0);
}

function scenarioFile(name: string, body: Record<string, unknown>): string {
  const file = dir.file(`${name}.json`);
  writeFileSync(file, JSON.stringify(body, null, 2));
  return file;
}

/**
 * Starts a run of `body` with `instances` instances: through `verdict runs start FILE` (the CLI,
 * as users do) or, where the test is about something else, through the typed client (no process start).
 */
async function startRun(
  name: string,
  body: Record<string, unknown>,
  instances: number,
  via: "cli" | "api" = "api",
): Promise<string> {
  if (via === "api") {
    const api = createVerdictClient({ url: server.url, token });
    const r = await api.queue.startRun.mutate({ scenario: httpScenario.parse(body), instances });
    return r.run.id;
  }
  const r = await cli([
    "--server",
    server.url,
    "--token",
    token,
    "runs",
    "start",
    scenarioFile(name, body),
    "--instances",
    String(instances),
  ]);
  expect(r.stderr).toMatch(/started run/);
  expect(r.code).toBe(0);
  return r.stdout.trim();
}

const shop = (extraSteps: Record<string, unknown>[] = []) => ({
  id: "shop-checkout",
  sut: "shop",
  timeout_seconds: 60,
  vars: { base: target.url },
  steps: [
    {
      name: "login",
      service: "auth",
      request: { method: "POST", url: "{{base}}/login", json: { user: "u{{instance_index}}" } },
      extract: { token: "$.token", name: "$.user.name" },
      assert: [{ status: 200 }],
    },
    {
      name: "cart",
      service: "cart",
      request: { url: "{{base}}/cart", headers: { authorization: "Bearer {{token}}" } },
      assert: [{ status: 200 }, { json_path: "$.items", contains: "apple" }, { latency_below_ms: 5000 }],
    },
    ...extraSteps,
  ],
});

/** Per run: instance rows, step rows per (instance, step), and work items. */
async function runState(runId: string) {
  const instances = (await queryInstances(db, { run_id: runId, limit: 1000 })).items;
  const steps = (await querySteps(db, { run_id: runId, limit: 1000 })).items;
  const items = (await listWorkItems(db, { run_id: runId, limit: 1000 })).items;
  const perStep = new Map<string, number>();
  for (const s of steps)
    perStep.set(`${s.instance_id}#${s.step_index}`, (perStep.get(`${s.instance_id}#${s.step_index}`) ?? 0) + 1);
  return { instances, steps, items, duplicateSteps: [...perStep.values()].filter((n) => n > 1).length };
}

describe("HTTP instances through worker processes", () => {
  it("12 instances with 3 workers: each runs exactly once and lands as runs rows; the worker loads no DB driver", async () => {
    const trace = dir.file("loaded-modules.txt");
    const hooks = dir.file("trace-hooks.mjs");
    const register = dir.file("trace-register.mjs");
    writeFileSync(
      hooks,
      `import { appendFileSync } from "node:fs";
let out;
export async function initialize(data) { out = data.out; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(out, r.url + "\\n");
  return r;
}
`,
    );
    writeFileSync(
      register,
      `import { register } from "node:module";
register(${JSON.stringify(`file://${hooks}`)}, import.meta.url, { data: { out: ${JSON.stringify(trace)} } });
`,
    );
    const runId = await startRun("shop", shop([{ name: "pay", request: { url: "{{base}}/slow?ms=150" } }]), 12, "cli");
    const ws = [
      worker("w1", ["--concurrency", "2"], ["--import", register]),
      worker("w2", ["--concurrency", "2"]),
      worker("w3", ["--concurrency", "2"]),
    ];
    const run = await until(
      () => getRun(db, runId),
      (r) => r.completed_at !== null,
      "the run to complete",
    );
    expect(run.sut_name).toBe("shop");
    const state = await runState(runId);
    expect(state.instances).toHaveLength(12);
    expect(state.instances.every((i) => i.status === "pass")).toBe(true);
    expect(state.steps).toHaveLength(36);
    expect(state.duplicateSteps).toBe(0);
    expect(state.items.map((i) => [i.status, i.attempts])).toEqual(Array(12).fill(["done", 1]));
    expect(new Set(state.items.map((i) => i.claimed_by)).size).toBeGreaterThan(1);
    expect(target.hits.get("/login")).toBe(12); // exactly once each
    const cart = state.steps.find((s) => s.action_name === "cart");
    expect(cart?.observation).toMatchObject({
      ok: true,
      protocol: "http",
      status_code: 200,
      action_name: "cart",
      service: "cart",
      body: { items: ["apple", "pear"] },
    });
    expect((await queryAssertions(db, { run_id: runId, limit: 1000 })).items).toHaveLength(48);
    // Every `verdict runs …` query works on them.
    const show = await cli(["--server", server.url, "--token", token, "--json", "runs", "show", runId]);
    expect(JSON.parse(show.stdout)).toMatchObject({ instances: 12, passed: 12, failed: 0 });

    await stopAll(ws);
    const loaded = readFileSync(trace, "utf8").split("\n").filter(Boolean);
    expect(loaded.some((u) => u.includes("/packages/api/dist/client.js"))).toBe(true);
    expect(loaded.filter((u) => /libsql|\/packages\/db\//.test(u))).toEqual([]);
    expect(readFileSync(WORKER, "utf8")).not.toMatch(/@libsql|@verdict\/db/);
  });

  it("a worker killed with SIGKILL mid-instance: another finishes it after the lease expires, one set of rows", async () => {
    const runId = await startRun(
      "slow",
      {
        ...shop([{ name: "slow", request: { url: "{{base}}/slow?ms=1500" } }]),
        id: "slow-checkout",
      },
      1,
    );
    const before = target.hits.get("/slow") ?? 0;
    const a = worker("killed", ["--lease-ms", "1500"]);
    await until(
      async () => target.hits.get("/slow") ?? 0,
      (n) => n > before,
      "the first worker to be mid-instance",
    );
    a.kill("SIGKILL");
    expect((await a.exited()).signal).toBe("SIGKILL");
    const b = worker("rescuer", ["--lease-ms", "1500"]);
    await until(
      () => getRun(db, runId),
      (r) => r.completed_at !== null,
      "the run to complete",
    );
    const state = await runState(runId);
    expect(state.instances.map((i) => [i.status, i.variations])).toEqual([["pass", { attempt: 2 }]]);
    expect(state.steps).toHaveLength(3);
    expect(state.duplicateSteps).toBe(0);
    expect(state.items[0]).toMatchObject({ status: "done", attempts: 2, claimed_by: "rescuer" });
    await stopAll([b]);
  });

  it("the server killed and restarted mid-run: workers reconnect and every instance lands once", async () => {
    const runId = await startRun(
      "steady",
      { ...shop([{ name: "work", request: { url: "{{base}}/slow?ms=250" } }]), id: "steady" },
      16,
    );
    const ws = [
      worker("r1", ["--concurrency", "2", "--lease-ms", "8000"]),
      worker("r2", ["--concurrency", "2", "--lease-ms", "8000"]),
    ];
    await until(
      async () => (await runState(runId)).instances.length,
      (n) => n >= 3,
      "a few instances to finish",
    );
    const port = server.port;
    await server.stop("SIGKILL");
    await sleep(1000);
    server = await startVerdict(dbUrl, port);
    const run = await until(
      () => getRun(db, runId),
      (r) => r.completed_at !== null,
      "the run to complete",
      45_000,
    );
    expect(run.completed_at).not.toBeNull();
    const state = await runState(runId);
    expect(state.instances).toHaveLength(16);
    expect(state.instances.every((i) => i.status === "pass")).toBe(true);
    expect(state.steps).toHaveLength(48);
    expect(state.duplicateSteps).toBe(0);
    expect(state.items.every((i) => i.status === "done")).toBe(true);
    expect(ws.every((w) => w.logs().some((l) => l.msg === "server reachable again"))).toBe(true);
    await stopAll(ws);
  });

  it("a target that never answers: the instance ends `timeout` at the scenario's timeout_seconds", async () => {
    const runId = await startRun(
      "hang",
      {
        id: "hangs",
        timeout_seconds: 1,
        vars: { base: target.url },
        steps: [
          { name: "login", request: { method: "POST", url: "{{base}}/login", json: {} } },
          { name: "hang", request: { url: "{{base}}/hang", timeout_ms: 60_000 } },
        ],
      },
      1,
    );
    const w = worker("patient");
    const t0 = Date.now();
    await until(
      () => getRun(db, runId),
      (r) => r.completed_at !== null,
      "the run to end",
    );
    expect(Date.now() - t0).toBeLessThan(10_000);
    const state = await runState(runId);
    expect(state.items[0]).toMatchObject({ status: "timeout", attempts: 1 });
    expect(state.instances[0]?.status).toBe("fail");
    expect(state.instances[0]?.error).toMatch(/^timed out: timeout_seconds reached/);
    expect(state.steps.map((s) => [s.action_name, s.ok])).toEqual([
      ["login", true],
      ["hang", false],
    ]);
    expect(state.steps[1]?.observation.errors?.[0]).toMatch(/^aborted: timed out/);
    expect((await cli(["--db", dbUrl, "--json", "queue", "list", "--status", "timeout"])).stdout).toContain(
      state.items[0]?.id ?? "?",
    );
    await stopAll([w]);
  });

  it("SIGTERM: the worker hands unfinished work back (attempt not counted) and exits 0; another worker finishes it", async () => {
    const runId = await startRun(
      "long",
      { ...shop([{ name: "long", request: { url: "{{base}}/slow?ms=1500" } }]), id: "long" },
      1,
    );
    const before = target.hits.get("/slow") ?? 0;
    const a = worker("leaver", ["--drain-ms", "300"]);
    await until(
      async () => target.hits.get("/slow") ?? 0,
      (n) => n > before,
      "the worker to be mid-instance",
    );
    const t0 = Date.now();
    a.kill("SIGTERM");
    expect((await a.exited()).code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(a.logs().find((l) => l.msg === "handed back unfinished work")).toBeDefined();
    const [item] = (await listWorkItems(db, { run_id: runId })).items;
    expect(item).toMatchObject({ status: "queued", attempts: 0 });
    expect(item?.last_error).toMatch(/handed back by worker leaver/);
    const b = worker("finisher");
    await until(
      () => getRun(db, runId),
      (r) => r.completed_at !== null,
      "the run to complete",
    );
    expect((await runState(runId)).items[0]).toMatchObject({ status: "done", attempts: 1, claimed_by: "finisher" });
    await stopAll([b]);
  });

  it("a malformed scenario file is refused with file, line and field, and nothing is written", async () => {
    mkdirSync(dir.file("bad"), { recursive: true });
    const yaml = join(dir.file("bad"), "checkout.yaml");
    writeFileSync(
      yaml,
      [
        "id: checkout",
        "steps:",
        "  - name: login",
        "    request:",
        "      method: POST",
        '      url: "http://127.0.0.1:9/login"',
        "    extract:",
        '      token: "$.token"',
        "  - name: cart",
        "    request:",
        '      url: "http://127.0.0.1:9/cart?t={{tokn}}"',
        "",
      ].join("\n"),
    );
    const runsBefore = (await db.client.execute("SELECT count(*) AS n FROM runs")).rows[0]?.n;
    const r = await cli(["--server", server.url, "--token", token, "runs", "start", yaml]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: ${yaml}:11:12: steps.1.request.url: {{tokn}} is not defined (not in vars, not built in, not extracted by an earlier step)\n`,
    );
    const typo = scenarioFile("typo", {
      id: "x",
      steps: [{ name: "a", request: { url: "http://h/" }, assert: [{ stauts: 200 }] }],
    });
    const t = await cli(["--server", server.url, "--token", token, "runs", "start", typo]);
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(
      /^error: .*typo\.json:\d+:\d+: steps\.0\.assert\.0\.stauts: unknown key \(did you mean "status"\?\)$/m,
    );
    const method = scenarioFile("method", {
      id: "x",
      steps: [{ name: "a", request: { method: "FETCH", url: "http://h/" } }],
    });
    const m = await cli(["--server", server.url, "--token", token, "runs", "start", method]);
    expect(m.stderr).toMatch(/method\.json:\d+:\d+: steps\.0\.request\.method: Invalid option/);
    expect((await db.client.execute("SELECT count(*) AS n FROM runs")).rows[0]?.n).toBe(runsBefore);

    const bad = startWorker(server.url, token, "x", ["--concurrency", "0"]);
    expect((await bad.exited()).code).toBe(64);
    expect(bad.stderr()).toMatch(/^verdict-worker: error: --concurrency: must be at least 1\n/);
    const stranger = startWorker(server.url, "not-a-token", "stranger");
    expect((await stranger.exited()).code).toBe(1);
    expect(stranger.logs().find((l) => l.level === "error")?.msg).toBe(
      "the server refused this worker's token; stopping",
    );
  });
});
