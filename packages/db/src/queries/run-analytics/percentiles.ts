/**
 * The one percentile implementation of the run questions.
 *
 * Two methods, both over the n values of a group in ascending order (0-based positions):
 * - `linear` (the default, turbulence's `calculate_percentile` and numpy's default): k = (n - 1) * (p / 100),
 *   the value at floor(k) plus (k - floor(k)) of the step to the value at ceil(k);
 * - `nearest`: the value at 1-based rank ceil(p/100 * n) (clamped to 1..n).
 * Either needs at most two values of the group, so over an index whose last column is the value
 * (migration runs/0001) they are read with `ORDER BY v LIMIT 2 OFFSET f`, walking from whichever end
 * is nearer, and nothing is sorted. In-memory arrays (compare, per scenario × action) use the same
 * `pick`/`combine` pair.
 */
import type { InValue } from "@libsql/client";
import type { PercentileMethod } from "@verdict/schema";
import type { SqlExecutor } from "../runs.js";

export type { PercentileMethod };
export const DEFAULT_METHOD: PercentileMethod = "linear";

export interface Percentiles {
  count: number;
  min: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  /** Durations only: a mean needs every value read, the percentiles do not (null for step latency). */
  mean: number | null;
}

export const EMPTY: Percentiles = { count: 0, min: null, p50: null, p95: null, p99: null, max: null, mean: null };
export const emptyPercentiles = (): Percentiles => ({ ...EMPTY });

/** 1-based nearest rank of percentile p among n values. */
export function nearestRank(p: number, n: number): number {
  // p * n is an exact integer for integer p, so this matches SQL's integer (p * n + 99) / 100.
  return Math.min(n, Math.max(1, Math.ceil((p * n) / 100)));
}

/** Which 0-based positions percentile p of n values reads, and the weight of the upper one. */
export interface Pick {
  lo: number;
  hi: number;
  w: number;
}

export function pick(p: number, n: number, method: PercentileMethod): Pick {
  if (method === "nearest") {
    const r = nearestRank(p, n) - 1;
    return { lo: r, hi: r, w: 0 };
  }
  // Same floating-point steps as turbulence's utils/stats.py, so the result is the same double.
  const k = (n - 1) * (p / 100);
  const f = Math.floor(k);
  const c = Math.ceil(k);
  return { lo: f, hi: c, w: k - f };
}

export function combine(pk: Pick, lo: number, hi: number): number {
  return pk.lo === pk.hi ? lo : lo + (hi - lo) * pk.w;
}

/** Percentile p of values already sorted ascending; null when there are none. */
export function percentileOfSorted(sorted: readonly number[], p: number, method: PercentileMethod): number | null {
  if (sorted.length === 0) return null;
  const pk = pick(p, sorted.length, method);
  return combine(pk, sorted[pk.lo] as number, sorted[pk.hi] as number);
}

/** min, p50, p95, p99, max (and the mean) of a plain array. */
export function percentilesOfValues(values: readonly number[], method: PercentileMethod): Percentiles {
  if (values.length === 0) return emptyPercentiles();
  const s = [...values].sort((a, b) => a - b);
  let sum = 0;
  for (const v of values) sum += v;
  return {
    count: s.length,
    min: s[0] ?? null,
    p50: percentileOfSorted(s, 50, method),
    p95: percentileOfSorted(s, 95, method),
    p99: percentileOfSorted(s, 99, method),
    max: s[s.length - 1] ?? null,
    mean: sum / s.length,
  };
}

/** Where a group's values are: `from` is `table INDEXED BY index`, `where` pins the index prefix. */
export interface Source {
  from: string;
  where: string;
  args: InValue[];
  col: string;
  /**
   * Count NULL values as this number (turbulence's report counts a missing latency as 0) instead of
   * leaving them out. It must be no greater than any value: NULL sorts first in SQLite, so the
   * positions are those of the values with NULL replaced.
   */
  nullsAs?: number;
}

export type Stmt = { sql: string; args: InValue[] };

/** One statement reading the value(s) a pick needs, and how to turn its rows into the percentile. */
export interface PointRead {
  stmt: Stmt;
  decode(rows: readonly Record<string, unknown>[]): number | null;
}

export function pointRead(s: Source, n: number, pk: Pick): PointRead {
  const width = pk.hi - pk.lo + 1;
  const fromTop = n - 1 - pk.hi;
  const asc = pk.lo <= fromTop;
  return {
    stmt: {
      sql: `SELECT ${s.col} AS v FROM ${s.from} WHERE ${s.where}${s.nullsAs === undefined ? ` AND ${s.col} IS NOT NULL` : ""} ORDER BY ${s.col} ${asc ? "ASC" : "DESC"} LIMIT ${width} OFFSET ?`,
      args: [...s.args, asc ? pk.lo : fromTop],
    },
    decode(rows) {
      const vals = rows.map((r) => (r.v === null || r.v === undefined ? (s.nullsAs ?? null) : Number(r.v)));
      const lo = asc ? vals[0] : vals[width - 1];
      const hi = asc ? vals[width - 1] : vals[0];
      return lo === null || lo === undefined || hi === null || hi === undefined ? null : combine(pk, lo, hi);
    },
  };
}

/** The five reads of a group of n non-null values: min, p50, p95, p99, max. */
export function groupReads(s: Source, n: number, method: PercentileMethod): PointRead[] {
  return [0, 50, 95, 99, 100].map((p) => pointRead(s, n, pick(p, n, method)));
}

export function fromReads(reads: readonly (number | null)[], n: number, sum: number | null): Percentiles {
  if (n === 0) return emptyPercentiles();
  return {
    count: n,
    min: reads[0] ?? null,
    p50: reads[1] ?? null,
    p95: reads[2] ?? null,
    p99: reads[3] ?? null,
    max: reads[4] ?? null,
    mean: sum === null ? null : sum / n,
  };
}

/** Percentiles of a group whose non-null count (and sum) are already known, read one by one. */
export async function percentilesOf(
  x: SqlExecutor,
  s: Source,
  n: number,
  sum: number | null,
  method: PercentileMethod,
): Promise<Percentiles> {
  if (n === 0) return emptyPercentiles();
  const out: (number | null)[] = [];
  for (const r of groupReads(s, n, method))
    out.push(r.decode((await x.execute(r.stmt)).rows as unknown as Record<string, unknown>[]));
  return fromReads(out, n, sum);
}

/** One percentile of a group of n values. */
export async function percentileAt(
  x: SqlExecutor,
  s: Source,
  n: number,
  p: number,
  method: PercentileMethod,
): Promise<number | null> {
  if (n === 0) return null;
  const r = pointRead(s, n, pick(p, n, method));
  return r.decode((await x.execute(r.stmt)).rows as unknown as Record<string, unknown>[]);
}

/**
 * SQL condition keeping, of rows numbered `rn` (1-based) within a group of `n` ordered by value,
 * those any pick of percentile p may read (a superset: the exact positions are chosen in JS).
 */
export function windowKeep(p: number, method: PercentileMethod): string {
  if (method === "nearest") return `rn = max(1, CAST((${p} * n + 99) / 100 AS INTEGER))`;
  return `(rn - 1 BETWEEN ((n - 1) * ${p}) / 100 - 1 AND ((n - 1) * ${p}) / 100 + 1)`;
}

/** Percentiles from the rows a window query kept (position → value), for a group of n values. */
export function fromPositions(
  at: ReadonlyMap<number, number>,
  n: number,
  sum: number | null,
  method: PercentileMethod,
): Percentiles {
  const read = (p: number) => {
    const pk = pick(p, n, method);
    const lo = at.get(pk.lo);
    const hi = at.get(pk.hi);
    return lo === undefined || hi === undefined ? null : combine(pk, lo, hi);
  };
  return fromReads([read(0), read(50), read(95), read(99), read(100)], n, sum);
}
