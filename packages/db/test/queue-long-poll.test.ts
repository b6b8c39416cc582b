/**
 * Long-poll claims on a real libSQL file: a claim with wait_ms that finds nothing is held and gets
 * the work queued meanwhile, whether queued through the same handle (woken at once) or by another
 * connection (found by the shared check); a claim whose caller went away (signal aborted) returns
 * nothing and leaves the queue untouched; wait_ms 0 answers at once.
 */
import { tempDir } from "@verdict/testing";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type VerdictDb,
  claimWorkWaiting,
  createScenario,
  enqueueExecutions,
  getWorkItem,
  openDatabase,
} from "@verdict/db";

const dir = tempDir("verdict-queue-wait-");
afterAll(() => dir.cleanup());

let n = 0;
let url: string;
let h: VerdictDb;
let scenarioId: number;
beforeEach(async () => {
  url = `file:${dir.file(`w${n++}.db`)}`;
  h = await openDatabase({ url, migrate: true });
  scenarioId = (
    await createScenario(h, {
      name: "greeting",
      target_phone: "+15550100",
      timeout_seconds: 60,
      steps: [{ type: "prompt", expected_text: "Welcome" }],
    })
  ).scenario_id;
});
afterEach(() => h.close());

describe("long-poll claims", () => {
  it("a waiting claim gets work queued meanwhile through the same handle", async () => {
    const waiting = claimWorkWaiting(h, { worker_id: "w", kinds: ["ivr"], wait_ms: 30_000 });
    const { item_ids } = await enqueueExecutions(h, { scenario_id: scenarioId, repeat: 1 });
    const items = await waiting;
    expect(items.map((i) => i.item_id)).toEqual(item_ids);
  });

  it("a waiting claim gets work queued by another connection", async () => {
    const other = await openDatabase({ url });
    try {
      const waiting = claimWorkWaiting(h, { worker_id: "w", kinds: ["ivr"], max_items: 2, wait_ms: 30_000 });
      const { item_ids } = await enqueueExecutions(other, { scenario_id: scenarioId, repeat: 2 });
      const items = await waiting;
      expect(items.map((i) => i.item_id).sort()).toEqual([...item_ids].sort());
    } finally {
      other.close();
    }
  });

  it("a claim whose caller went away claims nothing; wait_ms 0 answers at once", async () => {
    const abort = new AbortController();
    const waiting = claimWorkWaiting(h, { worker_id: "gone", kinds: ["ivr"], wait_ms: 30_000 }, abort.signal);
    abort.abort();
    expect(await waiting).toEqual([]);
    const { item_ids } = await enqueueExecutions(h, { scenario_id: scenarioId, repeat: 1 });
    const id = item_ids[0] ?? "";
    expect((await getWorkItem(h, id)).status).toBe("queued");
    expect(await claimWorkWaiting(h, { worker_id: "w", kinds: ["http"], wait_ms: 0 })).toEqual([]);
    expect((await getWorkItem(h, id)).status).toBe("queued");
  });

  it("a waiting claim of one kind does not take work of another kind", async () => {
    const { item_ids } = await enqueueExecutions(h, { scenario_id: scenarioId, repeat: 1 });
    expect(await claimWorkWaiting(h, { worker_id: "w", kinds: ["http"], wait_ms: 200 })).toEqual([]);
    expect((await getWorkItem(h, item_ids[0] ?? "")).status).toBe("queued");
  });
});
