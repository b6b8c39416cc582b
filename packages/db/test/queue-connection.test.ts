/**
 * The queue's kept write connection on a real libSQL file: a lock held by another connection is
 * waited for (and a claim then lands once), a lock held past the busy timeout is a StorageError
 * "busy" with nothing written, and the connection closes with the handle.
 */
import { tempDir } from "@verdict/testing";
import Database from "libsql";
import { afterAll, describe, expect, it } from "vitest";
import { StorageError, claimWork, createScenario, enqueueExecutions, openDatabase, queueCounts } from "@verdict/db";

const dir = tempDir("verdict-queue-conn-");
afterAll(() => dir.cleanup());
let n = 0;

async function setup(busyTimeoutMs?: number) {
  const file = dir.file(`c${n++}.db`);
  const h = await openDatabase({ url: `file:${file}`, migrate: true, ...(busyTimeoutMs ? { busyTimeoutMs } : {}) });
  const s = await createScenario(h, {
    name: "greeting",
    target_phone: "+15550100",
    timeout_seconds: 60,
    steps: [{ type: "prompt", expected_text: "Welcome" }],
  });
  await enqueueExecutions(h, { scenario_id: s.scenario_id, repeat: 3 });
  return { h, file };
}

const claim = { worker_id: "w1", kinds: ["ivr" as const], max_items: 1, lease_ms: 30_000 };

describe("the queue's kept write connection", () => {
  it("waits for another connection's write lock, then claims once", async () => {
    const { h, file } = await setup();
    try {
      const other = new Database(file);
      other.exec("BEGIN IMMEDIATE");
      const claimed = claimWork(h, claim);
      setTimeout(() => {
        other.exec("COMMIT");
        other.close();
      }, 150);
      expect(await claimed).toHaveLength(1);
      expect((await queueCounts(h)).ivr).toMatchObject({ queued: 2, running: 1 });
    } finally {
      h.close();
    }
  });

  it("a lock held past the busy timeout is StorageError 'busy', and nothing is claimed", async () => {
    const { h, file } = await setup(200);
    const other = new Database(file);
    try {
      other.exec("BEGIN IMMEDIATE");
      const err = await claimWork(h, claim).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageError);
      expect((err as StorageError).kind).toBe("busy");
      other.exec("ROLLBACK");
      expect((await queueCounts(h)).ivr).toMatchObject({ queued: 3, running: 0 });
      // The connection is usable again once the lock is gone.
      expect(await claimWork(h, claim)).toHaveLength(1);
    } finally {
      other.close();
      h.close();
    }
  });

  it("closes with the handle; a new handle on the file sees what was committed and claims on", async () => {
    const { h, file } = await setup();
    expect(await claimWork(h, claim)).toHaveLength(1);
    h.close();
    const again = await openDatabase({ url: `file:${file}` });
    try {
      expect((await queueCounts(again)).ivr).toMatchObject({ queued: 2, running: 1 });
      expect(await claimWork(again, claim)).toHaveLength(1);
    } finally {
      again.close();
    }
  });
});
