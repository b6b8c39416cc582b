import type { VerdictDb } from "../open.js";

/**
 * When API tokens were last used, recorded without making a request write: verifying a token only
 * reads, and its use is kept here in memory and written later, best-effort, by a background flush.
 * A flush that finds the database busy, read-only or unreachable is dropped (the next use records
 * it again). Each token is written at most once a minute.
 */
const FLUSH_DELAY_MS = 1000;
const MIN_INTERVAL_MS = 60_000;

interface Pending {
  /** Token name -> ISO time of its latest use not yet written. */
  uses: Map<string, string>;
  /** Token name -> when its use was last written (or found written), in ms. */
  written: Map<string, number>;
  timer: ReturnType<typeof setTimeout> | null;
}

const state = new WeakMap<VerdictDb, Pending>();

function pendingOf(h: VerdictDb): Pending {
  let p = state.get(h);
  if (!p) {
    p = { uses: new Map(), written: new Map(), timer: null };
    state.set(h, p);
  }
  return p;
}

/** Notes that token `name` was used now; `lastUsedAt` is what the database holds for it. */
export function recordTokenUse(h: VerdictDb, name: string, lastUsedAt: string | null): void {
  if (h.readOnly) return;
  const now = Date.now();
  const p = pendingOf(h);
  const stored = lastUsedAt === null ? 0 : Date.parse(lastUsedAt);
  const known = Math.max(Number.isNaN(stored) ? 0 : stored, p.written.get(name) ?? 0);
  if (now - known <= MIN_INTERVAL_MS) return;
  p.uses.set(name, new Date(now).toISOString());
  if (p.timer === null) {
    p.timer = setTimeout(() => {
      p.timer = null;
      void flushTokenUse(h);
    }, FLUSH_DELAY_MS);
    p.timer.unref();
  }
}

/** Writes the recorded uses now (also called when the handle closes); never throws. */
export async function flushTokenUse(h: VerdictDb): Promise<void> {
  const p = state.get(h);
  if (!p || p.uses.size === 0) return;
  if (p.timer !== null) {
    clearTimeout(p.timer);
    p.timer = null;
  }
  const uses = [...p.uses];
  p.uses.clear();
  for (const [name] of uses) p.written.set(name, Date.now());
  try {
    await h.client.batch(
      uses.map(([name, at]) => ({
        sql: "UPDATE api_tokens SET last_used_at = ? WHERE name = ? AND (last_used_at IS NULL OR last_used_at < ?)",
        args: [at, name, at],
      })),
      "write",
    );
  } catch {
    // Best-effort: a busy, read-only or unreachable database just misses this record.
  }
}
