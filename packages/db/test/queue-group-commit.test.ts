/**
 * Group commit of the queue's writes, on a real libSQL file: calls made at the same time share one
 * transaction, each inside its own savepoint. A call that fails (a lease no longer held, an unknown
 * item) is undone alone and refused with its own error; the others land, each exactly once; and
 * concurrent claims never hand the same item to two workers.
 */
import { tempDir } from "@verdict/testing";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConflictError,
  NotFoundError,
  type VerdictDb,
  claimWork,
  completeWork,
  createScenario,
  enqueueExecutions,
  getExecution,
  listStepExecutions,
  openDatabase,
  reportSteps,
} from "@verdict/db";
import type { IvrStepReport } from "@verdict/schema";

const dir = tempDir("verdict-queue-group-");
afterAll(() => dir.cleanup());

let n = 0;
let h: VerdictDb;
beforeEach(async () => {
  h = await openDatabase({ url: `file:${dir.file(`g${n++}.db`)}`, migrate: true });
});
afterEach(() => h.close());

function step(step_number: number): IvrStepReport {
  const t = new Date().toISOString();
  return { step_number, step_type: "prompt", status: "pass", started_at: t, ended_at: t, latency_ms: 3 };
}

async function queued(repeat: number): Promise<string[]> {
  const s = await createScenario(h, {
    name: "greeting",
    target_phone: "+15550100",
    timeout_seconds: 60,
    steps: [
      { type: "prompt", expected_text: "Welcome" },
      { type: "dtmf", digits: "1" },
    ],
  });
  return (await enqueueExecutions(h, { scenario_id: s.scenario_id, repeat })).item_ids;
}

describe("group commit of queue writes", () => {
  it("concurrent claims share transactions and still hand each item to exactly one worker", async () => {
    const ids = await queued(30);
    const claims = await Promise.all(
      Array.from({ length: 12 }, (_, i) => claimWork(h, { worker_id: `w${i}`, kinds: ["ivr"], max_items: 3 })),
    );
    const claimed = claims.flat().map((c) => c.item_id);
    expect(claimed).toHaveLength(30);
    expect(new Set(claimed).size).toBe(30);
    expect(new Set(claimed)).toEqual(new Set(ids));
    // Every worker that got nothing got an empty list, not an error.
    expect(claims.filter((c) => c.length === 0).length).toBe(2);
  });

  it("a refused call in a group is undone alone; the calls around it commit", async () => {
    await queued(3);
    const [a, b, c] = await claimWork(h, { worker_id: "w", kinds: ["ivr"], max_items: 3 });
    if (!a || !b || !c || a.kind !== "ivr" || b.kind !== "ivr" || c.kind !== "ivr") throw new Error("claim");
    const results = await Promise.allSettled([
      completeWork(h, {
        kind: "ivr",
        worker_id: "w",
        item_id: a.item_id,
        lease: a.lease,
        final_result: "pass",
        steps: [step(0), step(1)],
      }),
      // Wrong lease: refused, and its steps (sent first, in the same call) must not land.
      reportSteps(h, { worker_id: "w", reports: [{ item_id: b.item_id, lease: b.lease, steps: [step(0)] }] }).then(() =>
        completeWork(h, {
          kind: "ivr",
          worker_id: "w",
          item_id: b.item_id,
          lease: "not-the-lease",
          final_result: "pass",
          steps: [step(1)],
        }),
      ),
      completeWork(h, {
        kind: "ivr",
        worker_id: "w",
        item_id: "wi-missing",
        lease: "x",
        final_result: "pass",
        steps: [],
      }),
      completeWork(h, {
        kind: "ivr",
        worker_id: "w",
        item_id: c.item_id,
        lease: c.lease,
        final_result: "fail",
        steps: [step(0)],
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(NotFoundError);

    expect(await getExecution(h, a.execution_id)).toMatchObject({ status: "completed", final_result: "pass" });
    expect((await listStepExecutions(h, a.execution_id)).map((s) => s.step_number)).toEqual([0, 1]);
    expect(await getExecution(h, c.execution_id)).toMatchObject({ status: "completed", final_result: "fail" });
    expect((await listStepExecutions(h, c.execution_id)).map((s) => s.step_number)).toEqual([0]);
    // b: the report landed (its own call), the refused completion left nothing; b is still running.
    expect(await getExecution(h, b.execution_id)).toMatchObject({ status: "running" });
    expect((await listStepExecutions(h, b.execution_id)).map((s) => s.step_number)).toEqual([0]);
  });

  it("a completion sent twice at once (a retry racing the original) lands once", async () => {
    await queued(1);
    const [a] = await claimWork(h, { worker_id: "w", kinds: ["ivr"], max_items: 1 });
    if (a?.kind !== "ivr") throw new Error("claim");
    const call = () =>
      completeWork(h, {
        kind: "ivr",
        worker_id: "w",
        item_id: a.item_id,
        lease: a.lease,
        final_result: "pass",
        steps: [step(0), step(1)],
      });
    const [first, second] = await Promise.all([call(), call()]);
    expect([first.already, second.already].sort()).toEqual([false, true]);
    expect(await listStepExecutions(h, a.execution_id)).toHaveLength(2);
  });
});
