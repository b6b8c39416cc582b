/**
 * completeWorkMany on a real libSQL file: many completions of one worker in one call and one
 * transaction. Each item gets its own answer (finished, already, or refused as `completeWork` would
 * refuse it), lands whole or not at all, and a retried call writes nothing twice.
 */
import { tempDir } from "@verdict/testing";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type VerdictDb,
  claimWork,
  completeWorkMany,
  createScenario,
  enqueueExecutions,
  getRun,
  listWorkItems,
  openDatabase,
  queryAssertions,
  queryInstances,
  querySteps,
  startHttpRun,
} from "@verdict/db";
import type { ClaimedItem, CompletionItem, HttpScenarioInput } from "@verdict/schema";

const dir = tempDir("verdict-complete-many-");
afterAll(() => dir.cleanup());
let n = 0;
let h: VerdictDb;
beforeEach(async () => {
  h = await openDatabase({ url: `file:${dir.file(`m${n++}.db`)}`, migrate: true });
});
afterEach(() => h.close());

const http: HttpScenarioInput = {
  id: "checkout",
  sut: "shop",
  steps: [
    { name: "login", request: { method: "POST", url: "http://127.0.0.1:9/login" } },
    { name: "cart", request: { url: "http://127.0.0.1:9/cart" } },
  ],
};

function done(c: ClaimedItem, error: string | null = null): CompletionItem {
  const t = new Date().toISOString();
  return {
    kind: "http",
    item_id: c.item_id,
    lease: c.lease,
    instance: { status: error ? "fail" : "pass", started_at: t, completed_at: t, duration_ms: 4, error },
    steps: [0, 1].map((i) => ({
      step_index: i,
      action_name: i === 0 ? "login" : "cart",
      action_type: "http" as const,
      started_at: t,
      latency_ms: 2,
      status_code: 200,
      ok: true,
      observation: { ok: true, protocol: "http", status_code: 200 },
    })),
    assertions: [
      { step_index: 0, assertion_name: "status == 200", passed: true, expected: 200, actual: 200 },
      { step_index: 1, assertion_name: "status == 200", passed: true, expected: 200, actual: 200 },
    ],
  };
}

async function rows(runId: string) {
  return {
    instances: (await queryInstances(h, { run_id: runId, with_total: true })).total,
    steps: (await querySteps(h, { run_id: runId, limit: 1000 })).items.length,
    assertions: (await queryAssertions(h, { run_id: runId, limit: 1000 })).items.length,
  };
}

describe("completeWorkMany", () => {
  it("finishes held items together, refuses the others one by one, and a retry writes nothing twice", async () => {
    const { run } = await startHttpRun(h, { scenario: http, instances: 4 });
    const claimed = await claimWork(h, { worker_id: "w", kinds: ["http"], max_items: 4 });
    expect(claimed).toHaveLength(4);
    const [a, b, c, d] = claimed as [ClaimedItem, ClaimedItem, ClaimedItem, ClaimedItem];
    const call = {
      worker_id: "w",
      items: [
        done(a),
        done(b, "boom"),
        done(c),
        { ...done(d), lease: "not-the-lease" },
        { ...done(d), item_id: "no-such-item" },
        done(a), // named twice: applied once
      ],
    };
    const first = await completeWorkMany(h, call);
    expect(first.map((r) => (r.ok ? [r.item_id, r.status, r.already] : [r.item_id, r.code]))).toEqual([
      [a.item_id, "done", false],
      [b.item_id, "done", false],
      [c.item_id, "done", false],
      [d.item_id, "CONFLICT"],
      ["no-such-item", "NOT_FOUND"],
      [a.item_id, "done", true],
    ]);
    expect(await rows(run.id)).toEqual({ instances: 3, steps: 6, assertions: 6 });
    const failed = await queryInstances(h, { run_id: run.id, status: "fail" });
    expect(failed.items.map((i) => i.error)).toEqual(["boom"]);
    expect((await getRun(h, run.id)).completed_at).toBeNull();

    // The same call again (its answer was lost): every applied item answers `already`.
    const again = await completeWorkMany(h, call);
    expect(again.filter((r) => r.ok).map((r) => r.ok && r.already)).toEqual([true, true, true, true]);
    expect(await rows(run.id)).toEqual({ instances: 3, steps: 6, assertions: 6 });

    // The last one with its lease completes the run, in the same transaction.
    const last = await completeWorkMany(h, { worker_id: "w", items: [done(d)] });
    expect(last).toEqual([{ ok: true, item_id: d.item_id, status: "done", already: false }]);
    expect(await rows(run.id)).toEqual({ instances: 4, steps: 8, assertions: 8 });
    expect((await getRun(h, run.id)).completed_at).not.toBeNull();
    const items = (await listWorkItems(h, { run_id: run.id })).items;
    expect(items.map((i) => [i.status, i.attempts])).toEqual(Array(4).fill(["done", 1]));
  });

  it("an item the database refuses is refused alone, with nothing of it written; the others land", async () => {
    // A real refusal by SQLite for one instance: the batch statement fails, each item then goes alone.
    await h.client.execute(`CREATE TRIGGER refuse_one BEFORE INSERT ON instances WHEN NEW.error = 'refuse me'
      BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: test_refusal'); END`);
    const { run } = await startHttpRun(h, { scenario: http, instances: 3 });
    const [a, b, c] = (await claimWork(h, { worker_id: "w", kinds: ["http"], max_items: 3 })) as [
      ClaimedItem,
      ClaimedItem,
      ClaimedItem,
    ];
    const out = await completeWorkMany(h, { worker_id: "w", items: [done(a), done(b, "refuse me"), done(c)] });
    expect(out.map((r) => (r.ok ? r.status : r.code))).toEqual(["done", "BAD_REQUEST", "done"]);
    expect(await rows(run.id)).toEqual({ instances: 2, steps: 4, assertions: 4 });
    const items = await listWorkItems(h, { run_id: run.id });
    expect(items.items.find((i) => i.id === b.item_id)?.status).toBe("running");
  });

  it("IVR and HTTP items in one call", async () => {
    const s = await createScenario(h, {
      name: "greeting",
      target_phone: "+15550100",
      timeout_seconds: 60,
      steps: [{ type: "prompt", expected_text: "Welcome" }],
    });
    await enqueueExecutions(h, { scenario_id: s.scenario_id, repeat: 1 });
    const { run } = await startHttpRun(h, { scenario: http, instances: 1 });
    const claimed = await claimWork(h, { worker_id: "w", kinds: ["ivr", "http"], max_items: 2 });
    const ivr = claimed.find((c) => c.kind === "ivr");
    const inst = claimed.find((c) => c.kind === "http");
    if (!ivr || !inst) throw new Error("expected one IVR and one HTTP item");
    const t = new Date().toISOString();
    const out = await completeWorkMany(h, {
      worker_id: "w",
      items: [
        {
          kind: "ivr",
          item_id: ivr.item_id,
          lease: ivr.lease,
          final_result: "pass",
          steps: [{ step_number: 0, step_type: "prompt", status: "pass", started_at: t, ended_at: t, latency_ms: 1 }],
        },
        done(inst),
      ],
    });
    expect(out.map((r) => r.ok && r.status)).toEqual(["done", "done"]);
    expect(await rows(run.id)).toEqual({ instances: 1, steps: 2, assertions: 2 });
  });
});
