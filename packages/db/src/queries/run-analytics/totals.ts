/**
 * Turbulence's run totals (the numbers of its summary.json), each computed as turbulence's
 * ArtifactStore counts it (storage/artifact.py, 65b8fb9):
 * - total_instances: instance records; pass_count: `passed` true; fail_count: `passed` false
 *   (stored as status 'fail': Verdict's instances table holds pass/fail only);
 * - error_count: instances with an error message (turbulence sets one only on instances it also fails);
 * - pass_rate: 100 * pass_count / total_instances, 0 for a run without instances (a percentage);
 * - duration_ms: the run's completed_at minus its started_at, at the microseconds turbulence writes
 *   (null while the run has no completed_at);
 * - total_steps, total_assertions, assertions_passed, assertions_failed: record counts;
 * - p50/p95/p99_latency_ms: percentiles of every numeric step latency_ms, 0 when there is none.
 */

export interface TurbulenceTotals {
  total_instances: number;
  pass_count: number;
  fail_count: number;
  error_count: number;
  pass_rate: number;
  duration_ms: number | null;
  total_steps: number;
  total_assertions: number;
  assertions_passed: number;
  assertions_failed: number;
  p50_latency_ms: number;
  p95_latency_ms: number;
  p99_latency_ms: number;
}

/** The counts with their pass rate (0–100): 100 * pass / instances, null without instances. */
export function withPassRate<T extends { instances: number; pass: number }>(c: T): T & { pass_rate: number | null } {
  return { ...c, pass_rate: c.instances ? (100 * c.pass) / c.instances : null };
}

/** 100 * pass / total, 0 without instances: turbulence's pass_rate (0–100). */
export function passRatePercent(pass: number, total: number): number {
  return total > 0 ? (pass / total) * 100 : 0;
}

const ISO = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Microseconds since the epoch of an ISO-8601 timestamp (a missing zone is UTC); null if unreadable. */
export function isoMicros(text: string): number | null {
  const m = ISO.exec(text.trim());
  if (!m) return null;
  const secs = Date.parse(`${(m[1] ?? "").replace(" ", "T")}${m[3] ?? "Z"}`);
  if (Number.isNaN(secs)) return null;
  const frac = (m[2] ?? "").padEnd(6, "0").slice(0, 6);
  return secs * 1000 + Number(frac);
}

/**
 * Milliseconds between two timestamps with turbulence's arithmetic: Python's
 * `timedelta.total_seconds() * 1000` (whole microseconds / 10**6, then * 1000), so the double is the same.
 */
export function runDurationMs(startedAt: string, completedAt: string | null): number | null {
  if (completedAt === null) return null;
  const a = isoMicros(startedAt);
  const b = isoMicros(completedAt);
  if (a === null || b === null) return null;
  return ((b - a) / 1e6) * 1000;
}
