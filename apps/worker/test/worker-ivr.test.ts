/**
 * verdict-worker end to end with IVR executions: the built `verdict serve` on a seeded libSQL file,
 * built worker processes, and the built demo IVR (apps/demo-ivr) as the IVR under test, all on
 * 127.0.0.1. Queued executions each complete exactly once; a worker killed with SIGKILL after
 * reporting some steps is replaced, and the execution ends with one row per step; an IVR that never
 * answers ends the execution `timeout`.
 */
import {
  type VerdictDb,
  createScenario,
  createToken,
  getExecution,
  getWorkItem,
  listExecutions,
  listStepExecutions,
  listWorkItems,
  openDatabase,
  seed,
} from "@verdict/db";
import { createVerdictClient } from "@verdict/api";
import { tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Proc,
  type VerdictServer,
  cli,
  ensureBuilt,
  startDemoIvr,
  startVerdict,
  startWorker,
  until,
} from "./helpers.js";

const dir = tempDir("verdict-worker-ivr-");
const dbUrl = `file:${dir.file("verdict.db")}`;
let db: VerdictDb;
let server: VerdictServer;
let ivr: { url: string; proc: Proc };
let slowIvr: { url: string; proc: Proc };
let token: string;
const procs: Proc[] = [];

beforeAll(async () => {
  ensureBuilt();
  db = await openDatabase({ url: dbUrl, migrate: true });
  await seed(db);
  token = (await createToken(db, "workers", "write")).token;
  [server, ivr, slowIvr] = await Promise.all([
    startVerdict(dbUrl),
    startDemoIvr(),
    startDemoIvr(["--delay-ms", "250"]),
  ]);
  procs.push(ivr.proc, slowIvr.proc);
}, 180_000);

afterAll(async () => {
  for (const p of procs) p.kill("SIGKILL");
  await server?.stop();
  db?.close();
  dir.cleanup();
});

function worker(id: string, webhook: string, extra: string[] = []): Proc {
  const w = startWorker(server.url, token, id, ["--kinds", "ivr", "--ivr-webhook", webhook, ...extra]);
  procs.push(w);
  return w;
}

/**
 * Queues executions through `verdict executions enqueue` (the CLI, as users do) or the typed client;
 * returns the queue items (an execution exists once a worker starts the item).
 */
async function enqueue(scenario: string, repeat: number, via: "cli" | "api" = "api"): Promise<string[]> {
  if (via === "api") {
    const api = createVerdictClient({ url: server.url, token });
    return (await api.queue.enqueue.mutate({ scenario_id: scenario, repeat })).item_ids;
  }
  const r = await cli([
    "--server",
    server.url,
    "--token",
    token,
    "executions",
    "enqueue",
    "--scenario",
    scenario,
    "--repeat",
    String(repeat),
  ]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim().split("\n");
}

async function stopAll(ws: Proc[]): Promise<void> {
  for (const w of ws) w.kill("SIGTERM");
  for (const w of ws) expect((await w.exited()).code).toBe(0);
}

async function stepNumbers(executionId: number): Promise<number[]> {
  return (await listStepExecutions(db, executionId)).map((s) => s.step_number);
}

/** The execution a queue item started (waits for a worker to start it). */
async function executionOf(itemId: string, ms?: number): Promise<number> {
  const item = await until(
    () => getWorkItem(db, itemId),
    (w) => w.execution_id !== null,
    `item ${itemId} to be started`,
    ms,
  );
  return item.execution_id ?? 0;
}

describe("IVR executions through worker processes and the demo IVR", () => {
  it("6 queued executions with 2 workers: each completes exactly once, one row per step", async () => {
    const itemIds = [...(await enqueue("bank-balance", 4, "cli")), ...(await enqueue("bank-agent", 2))];
    const queued = await cli([
      "--server",
      server.url,
      "--token",
      token,
      "--json",
      "executions",
      "list",
      "--status",
      "queued",
    ]);
    expect((JSON.parse(queued.stdout) as { items: unknown[] }).items).toHaveLength(6);
    const ws = [worker("i1", ivr.url, ["--concurrency", "2"]), worker("i2", ivr.url, ["--concurrency", "2"])];
    const ids = await Promise.all(itemIds.map((id) => executionOf(id)));
    const done = await until(
      () => Promise.all(ids.map((id) => getExecution(db, id))),
      (xs) => xs.every((x) => x.status !== "running"),
      "every execution to finish",
    );
    expect(done.map((x) => [x.status, x.final_result, x.error_message])).toEqual(
      Array(6).fill(["completed", "pass", null]),
    );
    expect(done.every((x) => /^call-/.test(x.call_id ?? ""))).toBe(true);
    for (const [i, id] of ids.entries()) expect(await stepNumbers(id)).toEqual(i < 4 ? [0, 1, 2] : [0, 1]);
    const items = (await listWorkItems(db, { kind: "ivr", limit: 100 })).items.filter((w) => itemIds.includes(w.id));
    expect(items.map((w) => [w.status, w.attempts])).toEqual(Array(6).fill(["done", 1]));
    const completed = await until(
      () => listExecutions(db, { status: "completed", limit: 100 }),
      (p) => ids.every((id) => p.items.some((e) => e.execution_id === id)),
      "the executions to be listed as completed",
    );
    expect(completed.items.length).toBeGreaterThanOrEqual(6);
    await stopAll(ws);
  });

  it("a worker killed with SIGKILL after reporting some steps: another reruns the execution, one row per step", async () => {
    const [itemId] = await enqueue("bank-transfer-dtmf", 1);
    if (!itemId) throw new Error("no execution queued");
    const a = worker("doomed", slowIvr.url, ["--lease-ms", "1500"]);
    const id = await executionOf(itemId, 20_000);
    await until(
      () => stepNumbers(id),
      (s) => s.length >= 1,
      "the first worker to report a step",
      20_000,
    );
    a.kill("SIGKILL");
    expect((await a.exited()).signal).toBe("SIGKILL");
    expect((await getExecution(db, id)).status).toBe("running");
    const b = worker("heir", slowIvr.url, ["--lease-ms", "1500"]);
    const exe = await until(
      () => getExecution(db, id),
      (x) => x.status === "completed",
      "the execution to complete",
    );
    expect(exe.final_result).toBe("pass");
    const steps = await listStepExecutions(db, id);
    expect(steps.map((s) => [s.step_number, s.status])).toEqual([
      [0, "pass"],
      [1, "pass"],
      [2, "pass"],
      [3, "pass"],
    ]);
    const [item] = (await listWorkItems(db, { kind: "ivr", limit: 100 })).items.filter((w) => w.execution_id === id);
    expect(item).toMatchObject({ status: "done", attempts: 2, claimed_by: "heir" });
    expect(item?.last_error ?? "").toBe("");
    await stopAll([b]);
  });

  it("an IVR that never answers: the execution ends `timeout` at the scenario's timeout_seconds", async () => {
    const s = await createScenario(db, {
      slug: "hangs-on-7",
      name: "the IVR never answers 7",
      target_phone: "+15550100100",
      timeout_seconds: 2,
      steps: [
        { type: "prompt", expected_text: "Welcome to Acme Bank" },
        { type: "dtmf", digits: "7", timeout_ms: 60_000 },
        { type: "prompt", expected_text: "never" },
      ],
    });
    const [itemId] = await enqueue(s.slug, 1);
    if (!itemId) throw new Error("no execution queued");
    const w = worker("waiter", ivr.url);
    const id = await executionOf(itemId, 15_000);
    const exe = await until(
      () => getExecution(db, id),
      (x) => x.status === "timeout",
      "the execution to time out",
      15_000,
    );
    expect(exe.final_result).toBe("fail");
    expect(exe.error_message).toMatch(/^timed out: timeout_seconds reached/);
    const steps = await listStepExecutions(db, id);
    expect(steps.map((x) => [x.step_number, x.status])).toEqual([
      [0, "pass"],
      [1, "error"],
      [2, "skipped"],
    ]);
    expect(steps[1]?.error).toMatch(/aborted: timed out/);
    const [item] = (await listWorkItems(db, { status: "timeout", kind: "ivr" })).items.filter(
      (x) => x.execution_id === id,
    );
    expect(item?.attempts).toBe(1);
    await stopAll([w]);
  });
});
