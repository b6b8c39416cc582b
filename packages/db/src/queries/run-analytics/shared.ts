/** Helpers shared by the run questions: run lookup, per-group counts by skip-scan, statement batches. */
import { type Run, identifier } from "@verdict/schema";
import { ValidationError } from "../../errors.js";
import type { VerdictDb } from "../../open.js";
import { type SqlExecutor, getRun } from "../runs.js";
import type { Stmt } from "./percentiles.js";

export async function requireRun(h: VerdictDb, runId: string): Promise<Run> {
  if (!identifier.safeParse(runId).success) throw new ValidationError("run", `'${runId}' is not a run id`);
  return getRun(h, runId);
}

/**
 * Distinct values of an indexed column within a run, by skip-scan (one index seek per value), so a
 * run with millions of rows and a handful of services costs a handful of seeks. NULL comes first.
 */
export async function distinctValues(x: SqlExecutor, table: string, index: string, col: string, runId: string) {
  const out: (string | null)[] = [];
  const hasNull = await x.execute({
    sql: `SELECT 1 FROM ${table} INDEXED BY ${index} WHERE run_id = ? AND ${col} IS NULL LIMIT 1`,
    args: [runId],
  });
  if (hasNull.rows.length > 0) out.push(null);
  let last: string | null = null;
  for (;;) {
    const rs = await x.execute(
      last === null
        ? {
            sql: `SELECT ${col} AS v FROM ${table} INDEXED BY ${index} WHERE run_id = ? AND ${col} IS NOT NULL ORDER BY ${col} LIMIT 1`,
            args: [runId],
          }
        : {
            sql: `SELECT ${col} AS v FROM ${table} INDEXED BY ${index} WHERE run_id = ? AND ${col} > ? ORDER BY ${col} LIMIT 1`,
            args: [runId, last],
          },
    );
    const v = rs.rows[0]?.v;
    if (v === undefined || v === null) break;
    last = String(v);
    out.push(last);
  }
  return out;
}

export interface GroupCount {
  key: string | null;
  rows: number;
  /** Rows with a non-null value column. */
  n: number;
  /** Sum of the values, when asked for (it decodes every entry). */
  sum: number | null;
}

/**
 * Rows and non-null values per distinct `col` of a run: a covering range count per group, plus the
 * count of the group's NULL values (they sort first in the index, so that range is short). No
 * column is decoded, which halves the cost against count(value)/sum(value).
 */
export async function groupCounts(
  x: SqlExecutor,
  table: string,
  index: string,
  col: string,
  valueCol: string,
  runId: string,
  withSum = false,
): Promise<GroupCount[]> {
  const keys = await distinctValues(x, table, index, col, runId);
  const out: GroupCount[] = [];
  for (const key of keys) {
    if (withSum) {
      const rs = await x.execute({
        sql: `SELECT count(*) AS rows, count(${valueCol}) AS n, sum(${valueCol}) AS total FROM ${table} INDEXED BY ${index} WHERE run_id = ? AND ${col} IS ?`,
        args: [runId, key],
      });
      const r = rs.rows[0];
      out.push({
        key,
        rows: Number(r?.rows ?? 0),
        n: Number(r?.n ?? 0),
        sum: r?.total === null || r?.total === undefined ? null : Number(r.total),
      });
      continue;
    }
    const rs = await x.execute({
      sql: `SELECT (SELECT count(*) FROM ${table} INDEXED BY ${index} WHERE run_id = ?1 AND ${col} IS ?2) AS rows,
                   (SELECT count(*) FROM ${table} INDEXED BY ${index} WHERE run_id = ?1 AND ${col} IS ?2 AND ${valueCol} IS NULL) AS nulls`,
      args: [runId, key],
    });
    const r = rs.rows[0];
    const rows = Number(r?.rows ?? 0);
    out.push({ key, rows, n: rows - Number(r?.nulls ?? 0), sum: null });
  }
  return out;
}

/** True when `runId` is the only run in the database, so whole-table counts are this run's counts. */
export async function onlyRun(x: SqlExecutor, runId: string): Promise<boolean> {
  const rs = await x.execute({ sql: "SELECT count(*) AS n, sum(id = ?) AS mine FROM runs", args: [runId] });
  return Number(rs.rows[0]?.n) === 1 && Number(rs.rows[0]?.mine) === 1;
}

/** Rows of a run in `table`: a whole-table count (page headers) for a single-run database, else a range count. */
export async function runRows(
  x: SqlExecutor,
  table: string,
  index: string,
  runId: string,
  single: boolean,
): Promise<number> {
  const rs = await x.execute(
    single
      ? { sql: `SELECT count(*) AS n FROM ${table}`, args: [] }
      : { sql: `SELECT count(*) AS n FROM ${table} INDEXED BY ${index} WHERE run_id = ?`, args: [runId] },
  );
  return Number(rs.rows[0]?.n ?? 0);
}

/** Non-null step latencies of a run (a covering count on the latency index). */
export async function latencyCount(x: SqlExecutor, runId: string): Promise<number> {
  const rs = await x.execute({
    sql: "SELECT count(latency_ms) AS n FROM steps INDEXED BY steps_run_latency_idx WHERE run_id = ?",
    args: [runId],
  });
  return Number(rs.rows[0]?.n ?? 0);
}

export const stepLatencySource = (runId: string) => ({
  from: "steps INDEXED BY steps_run_latency_idx",
  where: "run_id = ?",
  args: [runId],
  col: "latency_ms",
});

/** Runs statements in order and returns each one's rows; a helper thread runs a whole batch per message. */
export type Batch = (stmts: Stmt[]) => Promise<Record<string, unknown>[][]>;

export function batchOn(x: SqlExecutor): Batch {
  return async (stmts) => {
    const out: Record<string, unknown>[][] = [];
    for (const s of stmts) out.push((await x.execute(s)).rows as unknown as Record<string, unknown>[]);
    return out;
  };
}

export const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);
