import type { QueueSnapshot, QueueWorker, WorkItem, queueWatchInput } from "@verdict/schema";
import { listWorkItems, queueCounts } from "@verdict/db";
import type { z } from "zod";
import type { ServiceContext } from "./context.js";

/**
 * The queue as one snapshot: counts per kind and status, the open items (running, then queued) and
 * the workers that hold leases on running items.
 */
export async function queueSnapshot(
  ctx: ServiceContext,
  input: Pick<z.output<typeof queueWatchInput>, "kind" | "limit">,
): Promise<QueueSnapshot> {
  const kind = input.kind ? { kind: input.kind } : {};
  const [counts, running, queued] = await Promise.all([
    queueCounts(ctx.db),
    listWorkItems(ctx.db, { status: "running", limit: input.limit, ...kind }),
    listWorkItems(ctx.db, { status: "queued", limit: input.limit, ...kind }),
  ]);
  const items = [...running.items, ...queued.items].slice(0, input.limit);
  return { counts, items, workers: workersOf(running.items) };
}

function later(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}

/** Running items grouped by the worker that claimed them. */
export function workersOf(running: WorkItem[]): QueueWorker[] {
  const byWorker = new Map<string, QueueWorker>();
  for (const item of running) {
    if (!item.claimed_by) continue;
    const w = byWorker.get(item.claimed_by) ?? {
      worker_id: item.claimed_by,
      items: 0,
      lease_expires_at: null,
      heartbeat_at: null,
    };
    w.items++;
    w.lease_expires_at = later(w.lease_expires_at, item.lease_expires_at);
    w.heartbeat_at = later(w.heartbeat_at, item.heartbeat_at);
    byWorker.set(w.worker_id, w);
  }
  return [...byWorker.values()].sort((a, b) => a.worker_id.localeCompare(b.worker_id));
}

/**
 * Yields the queue's snapshot at once and then each time it changes, until `signal` aborts. Workers
 * may write through another server process or straight into a shared database, so the server reads
 * the (small, indexed) snapshot every `interval_ms` and sends only what changed; the client never polls.
 */
export async function* watchQueue(
  ctx: ServiceContext,
  input: z.output<typeof queueWatchInput>,
  signal: AbortSignal | undefined,
): AsyncGenerator<QueueSnapshot> {
  let last = "";
  while (!signal?.aborted) {
    const snapshot = await queueSnapshot(ctx, input);
    const key = JSON.stringify(snapshot);
    if (key !== last) {
      last = key;
      yield snapshot;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, input.interval_ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}
