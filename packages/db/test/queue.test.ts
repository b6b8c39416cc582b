/**
 * The execution queue on real libSQL files: atomic claims across two connections, leases that
 * expire and hand the item to another worker with the old attempt's step rows gone, idempotent
 * reports, attempt limits, deadlines, hand-back, HTTP runs landing as runs rows, CHECKs and the
 * domain's down migration.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tempDir } from "@verdict/testing";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConflictError,
  ConstraintError,
  type VerdictDb,
  claimWork,
  completeWork,
  createScenario,
  enqueueExecutions,
  failWork,
  getExecution,
  getRun,
  getWorkItem,
  handBackWork,
  heartbeatWork,
  listStepExecutions,
  recordStepExecution,
  listWorkItems,
  migrateDown,
  migrateUp,
  openDatabase,
  queryAssertions,
  queryInstances,
  querySteps,
  queueCounts,
  reapQueue,
  reportSteps,
  startHttpRun,
} from "@verdict/db";
import type { ClaimedItem, HttpScenarioInput, IvrStepReport } from "@verdict/schema";

const dir = tempDir("verdict-queue-db-");
afterAll(() => dir.cleanup());

let n = 0;
let h: VerdictDb;
let url: string;
beforeEach(async () => {
  url = `file:${dir.file(`q${n++}.db`)}`;
  h = await openDatabase({ url, migrate: true });
});
afterEach(() => h.close());

async function scenario(timeout_seconds = 60): Promise<number> {
  const s = await createScenario(h, {
    name: "balance",
    target_phone: "+15550100",
    timeout_seconds,
    steps: [
      { type: "prompt", expected_text: "Welcome" },
      { type: "dtmf", digits: "1" },
      { type: "intent", utterance: "my balance", expected_intent: "check_balance" },
    ],
  });
  return s.scenario_id;
}

function step(step_number: number, status: "pass" | "fail" = "pass"): IvrStepReport {
  const t = new Date().toISOString();
  return { step_number, step_type: "prompt", status, started_at: t, ended_at: t, latency_ms: 3 };
}

function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  const [x] = items;
  if (x === undefined) throw new Error("no item");
  return x;
}

const DB_SOURCE = pathToFileURL(fileURLToPath(new URL("../src/index.ts", import.meta.url))).href;

/**
 * A separate process (its own connection and event loop, like a second server) that waits for "go"
 * on stdin, then claims one item at a time until the queue is empty, and prints the ids it got.
 */
const CHILD = `
import { createInterface } from "node:readline";
const [url, worker] = process.argv.slice(2);
const db = await import(${JSON.stringify(DB_SOURCE)});
const h = await db.openDatabase({ url });
process.stdout.write("ready\\n");
const lines = createInterface({ input: process.stdin });
await new Promise((resolve) => lines.once("line", resolve));
lines.close();
const got = [];
for (;;) {
  const items = await db.claimWork(h, { worker_id: worker, max_items: 1 });
  if (items.length === 0) break;
  got.push(...items.map((i) => i.item_id));
  await new Promise((resolve) => setTimeout(resolve, 2)); // a worker does some work between claims
}
h.close();
process.stdout.write(JSON.stringify(got) + "\\n");
`;

async function drainInChild(dbUrl: string, worker: string): Promise<string[]> {
  const script = dir.file("claimer.mts");
  writeFileSync(script, CHILD);
  const child = spawn(process.execPath, ["--conditions=@verdict/source", "--import", "tsx", script, dbUrl, worker], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (stdout.startsWith("ready\n")) resolve();
    });
    child.once("close", () => reject(new Error(`claimer exited early: ${stderr}`)));
  });
  readyCount++;
  await allReady(3);
  child.stdin.write("go\n");
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  expect(code, stderr).toBe(0);
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "[]") as string[];
}

let readyCount = 0;
async function allReady(n: number): Promise<void> {
  while (readyCount < n) await sleep(10);
}

describe("IVR items", () => {
  it("enqueue queues items only; a claim creates the execution (running) and completing it records steps once", async () => {
    const scenarioId = await scenario();
    const q = await enqueueExecutions(h, { scenario_id: scenarioId, repeat: 3 });
    expect(q).toMatchObject({ scenario_id: scenarioId, slug: expect.stringMatching(/^scn_/) });
    expect(q.item_ids).toHaveLength(3);
    // A queued execution lives only in the queue: items carry the scenario, no execution row exists yet.
    const queued = (await listWorkItems(h)).items;
    expect(queued.map((i) => [i.status, i.execution_id, i.scenario_ref, i.scenario_id])).toEqual(
      q.item_ids.map(() => ["queued", null, scenarioId, q.slug]),
    );
    expect(Number((await h.client.execute("SELECT count(*) AS n FROM test_executions")).rows[0]?.n)).toBe(0);
    expect((await queueCounts(h)).ivr.queued).toBe(3);
    // Enqueueing by slug is the same.
    expect((await enqueueExecutions(h, { scenario_id: q.slug })).scenario_id).toBe(scenarioId);
    expect((await queueCounts(h)).ivr.queued).toBe(4);

    const item = only(await claimWork(h, { worker_id: "w1", kinds: ["ivr"], lease_ms: 10_000 }));
    if (item.kind !== "ivr") throw new Error("expected an IVR item");
    expect(item.item_id).toBe(q.item_ids[0]); // oldest first
    expect((await getWorkItem(h, item.item_id)).execution_id).toBe(item.execution_id);
    expect(Number((await h.client.execute("SELECT count(*) AS n FROM test_executions")).rows[0]?.n)).toBe(1);
    expect(item.scenario.steps).toHaveLength(3);
    expect(item.attempt).toBe(1);
    expect(item.deadline_in_ms).toBeGreaterThan(59_000);
    expect((await getExecution(h, item.execution_id)).status).toBe("running");

    const first = await reportSteps(h, {
      worker_id: "w1",
      reports: [{ item_id: item.item_id, lease: item.lease, steps: [step(0), step(1)] }],
    });
    expect(first).toEqual([{ item_id: item.item_id, held: true, reason: null, accepted: 2, duplicates: 0 }]);
    // The same report again (its response was lost): nothing new.
    const again = await reportSteps(h, {
      worker_id: "w1",
      reports: [{ item_id: item.item_id, lease: item.lease, steps: [step(0), step(1)] }],
    });
    expect(again[0]).toMatchObject({ accepted: 0, duplicates: 2 });

    const done = await completeWork(h, {
      kind: "ivr",
      worker_id: "w1",
      item_id: item.item_id,
      lease: item.lease,
      final_result: "pass",
      call_id: "call-1",
      steps: [step(1), step(2)],
    });
    expect(done).toEqual({ item_id: item.item_id, status: "done", already: false });
    // A retried complete is answered, not applied twice.
    const retried = await completeWork(h, {
      kind: "ivr",
      worker_id: "w1",
      item_id: item.item_id,
      lease: item.lease,
      final_result: "pass",
      steps: [step(2)],
    });
    expect(retried.already).toBe(true);

    const exe = await getExecution(h, item.execution_id);
    expect(exe).toMatchObject({ status: "completed", final_result: "pass", call_id: "call-1" });
    expect((await listStepExecutions(h, item.execution_id)).map((s) => s.step_number)).toEqual([0, 1, 2]);
    expect((await getWorkItem(h, item.item_id)).status).toBe("done");
    // The ledger only holds keys of items still running.
    expect((await h.client.execute("SELECT count(*) AS n FROM report_keys")).rows[0]?.n).toBe(0);
    const late = await reportSteps(h, {
      worker_id: "w1",
      reports: [{ item_id: item.item_id, lease: item.lease, steps: [step(2)] }],
    });
    expect(late[0]).toMatchObject({ held: false, accepted: 0, reason: expect.stringMatching(/already ended/) });
    expect(await listStepExecutions(h, item.execution_id)).toHaveLength(3);
  });

  it("a step already stored through ivr.steps.record is kept, and the worker's report of it does not fail", async () => {
    const scenarioId = await scenario();
    await enqueueExecutions(h, { scenario_id: scenarioId });
    const item = only(await claimWork(h, { worker_id: "w1", kinds: ["ivr"], lease_ms: 10_000 }));
    if (item.kind !== "ivr") throw new Error("expected an IVR item");
    const stored = await recordStepExecution(h, {
      execution_id: item.execution_id,
      step_number: 0,
      step_type: "prompt",
      status: "pass",
      transcript: "recorded by hand",
    });
    const r = await reportSteps(h, {
      worker_id: "w1",
      reports: [{ item_id: item.item_id, lease: item.lease, steps: [step(0), step(1)] }],
    });
    expect(r[0]).toMatchObject({ held: true, reason: null });
    const steps = await listStepExecutions(h, item.execution_id);
    expect(steps.map((s) => s.step_number)).toEqual([0, 1]);
    expect(steps[0]).toEqual(stored);
  });

  it("three processes claiming at once never get the same item", async () => {
    const scenarioId = await scenario();
    await enqueueExecutions(h, { scenario_id: scenarioId, repeat: 120 });
    const results = await Promise.all(["a", "b", "c"].map((w) => drainInChild(url, w)));
    const all = results.flat();
    expect(all).toHaveLength(120);
    expect(new Set(all).size).toBe(120);
    // They really raced: more than one process got a share.
    expect(results.filter((r) => r.length > 0).length).toBeGreaterThan(1);
  });

  it("an expired lease hands the item to another worker, whose claim clears the old attempt's steps", async () => {
    const scenarioId = await scenario();
    await enqueueExecutions(h, { scenario_id: scenarioId });
    const a = only(await claimWork(h, { worker_id: "a", lease_ms: 500 }));
    if (a.kind !== "ivr") throw new Error("expected an IVR item");
    await reportSteps(h, {
      worker_id: "a",
      reports: [{ item_id: a.item_id, lease: a.lease, steps: [step(0), step(1)] }],
    });
    expect(await listStepExecutions(h, a.execution_id)).toHaveLength(2);

    expect(await claimWork(h, { worker_id: "b" })).toHaveLength(0); // still leased
    await sleep(600);
    const b = only(await claimWork(h, { worker_id: "b", lease_ms: 10_000 }));
    expect(b.item_id).toBe(a.item_id);
    expect(b.attempt).toBe(2);
    expect(await listStepExecutions(h, a.execution_id)).toHaveLength(0);
    expect((await getWorkItem(h, a.item_id)).last_error).toMatch(/attempt 1\/3: lease expired \(worker a/);

    // The first worker wakes up: its reports and its completion are refused.
    const stale = await reportSteps(h, {
      worker_id: "a",
      reports: [{ item_id: a.item_id, lease: a.lease, steps: [step(2)] }],
    });
    expect(stale[0]).toMatchObject({ held: false, accepted: 0 });
    expect(stale[0]?.reason).toMatch(/claimed again/);
    await expect(
      completeWork(h, { kind: "ivr", worker_id: "a", item_id: a.item_id, lease: a.lease, final_result: "pass" }),
    ).rejects.toThrow(ConflictError);
    const beat = await heartbeatWork(h, {
      worker_id: "a",
      items: [
        { item_id: a.item_id, lease: a.lease },
        { item_id: b.item_id, lease: b.lease },
      ],
    });
    expect(beat.map((x) => x.held)).toEqual([false, false]); // b's lease is not a's to extend

    await completeWork(h, {
      kind: "ivr",
      worker_id: "b",
      item_id: b.item_id,
      lease: b.lease,
      final_result: "fail",
      steps: [step(0), step(1), step(2, "fail")],
    });
    const steps = await listStepExecutions(h, a.execution_id);
    expect(steps.map((s) => s.step_number)).toEqual([0, 1, 2]);
    expect((await getExecution(h, a.execution_id)).final_result).toBe("fail");
  });

  it("heartbeats keep the lease; past max_attempts the item fails with the reason", async () => {
    const scenarioId = await scenario();
    const q = await enqueueExecutions(h, { scenario_id: scenarioId, max_attempts: 2 });
    const a = only(await claimWork(h, { worker_id: "a", lease_ms: 600 }));
    for (let i = 0; i < 3; i++) {
      await sleep(300);
      const [state] = await heartbeatWork(h, { worker_id: "a", items: [a], lease_ms: 600 });
      expect(state?.held).toBe(true);
    }
    expect(await claimWork(h, { worker_id: "b" })).toHaveLength(0);
    await sleep(700);
    const b = only(await claimWork(h, { worker_id: "b", lease_ms: 500 }));
    expect(b.attempt).toBe(2);
    await sleep(600);
    expect(await reapQueue(h)).toEqual({ requeued: 0, failed: 1, timed_out: 0 });
    const item = await getWorkItem(h, a.item_id);
    expect(item.status).toBe("failed");
    expect(item.last_error).toMatch(/gave up after 2 attempt\(s\); last: attempt 2\/2: lease expired \(worker b/);
    const exe = await getExecution(h, (await getWorkItem(h, q.item_ids[0] ?? "")).execution_id ?? 0);
    expect(exe).toMatchObject({ status: "failed", final_result: "fail" });
    expect(exe.error_message).toMatch(/gave up/);
  });

  it("a retryable failure requeues until attempts run out; hand-back does not count an attempt", async () => {
    const scenarioId = await scenario();
    await enqueueExecutions(h, { scenario_id: scenarioId, max_attempts: 2 });
    const a = only(await claimWork(h, { worker_id: "a" }));
    expect(await handBackWork(h, { worker_id: "a", items: [a] })).toEqual({ handed_back: [a.item_id] });
    const b = only(await claimWork(h, { worker_id: "b" }));
    expect(b.attempt).toBe(1);
    expect(
      await failWork(h, { worker_id: "b", item_id: b.item_id, lease: b.lease, error: "channel down" }),
    ).toMatchObject({ status: "queued" });
    const c = only(await claimWork(h, { worker_id: "c" }));
    expect(c.attempt).toBe(2);
    const r = await failWork(h, { worker_id: "c", item_id: c.item_id, lease: c.lease, error: "channel down" });
    expect(r.status).toBe("failed");
    expect((await getWorkItem(h, c.item_id)).last_error).toBe(
      "gave up after 2 attempt(s); last: attempt 2/2: channel down",
    );
  });

  it("an item past its scenario's timeout_seconds ends timeout, and its execution too", async () => {
    const scenarioId = await scenario(1);
    const q = await enqueueExecutions(h, { scenario_id: scenarioId });
    const a = only(await claimWork(h, { worker_id: "a", lease_ms: 60_000 }));
    expect(a.deadline_in_ms).toBeLessThanOrEqual(1000);
    await sleep(1000 + 2100); // deadline plus the grace a running worker gets to report it itself
    expect((await reapQueue(h)).timed_out).toBe(1);
    expect((await getWorkItem(h, a.item_id)).status).toBe("timeout");
    const exeId = (await getWorkItem(h, q.item_ids[0] ?? "")).execution_id ?? 0;
    expect(await getExecution(h, exeId)).toMatchObject({ status: "timeout", final_result: "fail" });
    // The worker's late completion is refused.
    await expect(
      completeWork(h, { kind: "ivr", worker_id: "a", item_id: a.item_id, lease: a.lease, final_result: "pass" }),
    ).rejects.toThrow(/already ended with status timeout/);
  });
});

describe("HTTP runs", () => {
  const http: HttpScenarioInput = {
    id: "checkout",
    sut: "shop",
    steps: [
      { name: "login", request: { method: "POST", url: "http://127.0.0.1:9/login" } },
      { name: "cart", request: { url: "http://127.0.0.1:9/cart" } },
    ],
  };

  it("start creates a run and one item per instance; completions land as runs rows", async () => {
    const started = await startHttpRun(h, { scenario: http, instances: 3 });
    expect(started.instances).toBe(3);
    expect(started.run.sut_name).toBe("shop");
    expect(started.run.scenario_ids).toEqual(["checkout"]);
    const claimed = await claimWork(h, { worker_id: "w", kinds: ["http"], max_items: 5 });
    expect(claimed.map((c) => (c.kind === "http" ? c.instance_id : null))).toEqual([
      "inst-0001",
      "inst-0002",
      "inst-0003",
    ]);
    const t = new Date().toISOString();
    const finish = (c: ClaimedItem, status: "pass" | "fail") =>
      completeWork(h, {
        kind: "http",
        worker_id: "w",
        item_id: c.item_id,
        lease: c.lease,
        instance: { status, started_at: t, completed_at: t, duration_ms: 5, error: status === "fail" ? "boom" : null },
        steps: [
          {
            step_index: 0,
            action_name: "login",
            action_type: "http",
            started_at: t,
            latency_ms: 2,
            status_code: 200,
            ok: true,
            observation: { ok: true, protocol: "http", status_code: 200, latency_ms: 2, action_name: "login" },
          },
        ],
        assertions: [
          { step_index: 0, assertion_name: "status == 200", passed: status === "pass", expected: 200, actual: 200 },
        ],
      });
    const [c1, c2, c3] = claimed;
    if (!c1 || !c2 || !c3) throw new Error("expected three items");
    await finish(c1, "pass");
    await finish(c2, "fail");
    expect((await getRun(h, started.run.id)).completed_at).toBeNull();
    await finish(c3, "pass");
    expect((await getRun(h, started.run.id)).completed_at).not.toBeNull();

    const inst = await queryInstances(h, { run_id: started.run.id, with_total: true });
    expect(inst.total).toBe(3);
    expect(inst.items.filter((i) => i.status === "fail").map((i) => i.error)).toEqual(["boom"]);
    expect((await querySteps(h, { run_id: started.run.id })).items).toHaveLength(3);
    expect((await queryAssertions(h, { run_id: started.run.id, passed: false })).items).toHaveLength(1);
    const page = await listWorkItems(h, { run_id: started.run.id, limit: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.nextCursor).not.toBeNull();
    const rest = await listWorkItems(h, { run_id: started.run.id, limit: 2, cursor: page.nextCursor ?? "" });
    expect(rest.items.map((i) => i.instance_id)).toEqual(["inst-0003"]);
  });

  it("an instance that times out is recorded as a failed instance and completes the run", async () => {
    const started = await startHttpRun(h, { scenario: { ...http, timeout_seconds: 1 }, instances: 1 });
    only(await claimWork(h, { worker_id: "w", lease_ms: 60_000 }));
    await sleep(3200);
    await reapQueue(h);
    const inst = await queryInstances(h, { run_id: started.run.id });
    expect(inst.items.map((i) => [i.status, i.error])).toEqual([["fail", "timed out: exceeded timeout_seconds=1"]]);
    expect((await getRun(h, started.run.id)).completed_at).not.toBeNull();
  });

  it("refuses a second run with the same id and keeps nothing of it", async () => {
    await startHttpRun(h, { scenario: http, run_id: "r1" });
    await expect(startHttpRun(h, { scenario: http, run_id: "r1", instances: 2 })).rejects.toThrow(/already exists/);
    expect((await listWorkItems(h, { run_id: "r1" })).items).toHaveLength(1);
  });
});

describe("schema", () => {
  it("CHECK constraints name themselves", async () => {
    const bad = h.client.execute(
      "INSERT INTO work_items (id, kind, scenario_id, instance_id, timeout_seconds) VALUES ('x', 'ivr', 's', 'i', 10)",
    );
    await expect(bad).rejects.toThrow(/work_items_kind_refs/);
    const scenarioId = await scenario();
    const q = await enqueueExecutions(h, { scenario_id: scenarioId });
    await expect(
      h.client.execute({ sql: "UPDATE work_items SET status = 'running' WHERE id = ?", args: [q.item_ids[0] ?? ""] }),
    ).rejects.toThrow(/work_items_running_has_lease/);
    await expect(
      h.client.execute({ sql: "UPDATE work_items SET status = 'done' WHERE id = ?", args: [q.item_ids[0] ?? ""] }),
    ).rejects.toThrow(/work_items_finished_iff_terminal/);
    await expect(enqueueExecutions(h, { scenario_id: "nope" })).rejects.toThrow(/scenario 'nope' not found/);
    expect(ConstraintError).toBeDefined();
  });

  it("an item whose scenario was deleted before it started fails at claim; the domain migrates down and up", async () => {
    const scenarioId = await scenario();
    const q = await enqueueExecutions(h, { scenario_id: scenarioId, repeat: 2 });
    await h.client.execute({ sql: "DELETE FROM test_scenarios WHERE scenario_id = ?", args: [scenarioId] });
    expect(await claimWork(h, { worker_id: "w", max_items: 5 })).toEqual([]);
    const items = (await listWorkItems(h)).items;
    expect(items.map((i) => [i.id, i.status, i.execution_id])).toEqual(q.item_ids.map((id) => [id, "failed", null]));
    expect(items[0]?.last_error).toMatch(/was deleted before the execution started/);
    const down = await migrateDown(h.client, { domains: ["queue"], to: "0", force: true });
    expect(down.applied.map((s) => s.name)).toEqual(["0001_ivr_queue_items", "0000_init_queue"]);
    const tables = await h.client.execute("SELECT name FROM sqlite_master WHERE name IN ('work_items', 'report_keys')");
    expect(tables.rows).toHaveLength(0);
    const up = await migrateUp(h.client, { domains: ["queue"] });
    expect(up.applied.map((s) => s.name)).toEqual(["0000_init_queue", "0001_ivr_queue_items"]);
  });
});
