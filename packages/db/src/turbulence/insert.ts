import type { InValue } from "@libsql/client";
import {
  ASSERTION_COLUMNS,
  type AssertionTuple,
  INSTANCE_COLUMNS,
  type InstanceTuple,
  STEP_COLUMNS,
  type SqlExecutor,
  type StepTuple,
} from "../queries/runs.js";

/**
 * Multi-row `INSERT … VALUES (?,…),(?,…)` for the bulk import. Measured against the json_each form of
 * queries/runs.ts on steps with ~300-byte observations, this halves SQLite's time per row: a JSON
 * batch makes SQLite parse, re-render and re-parse every observation before the CHECK parses it again.
 * Larger batches are split to stay under SQLite's 32,766-parameter limit.
 */
const sqlCache = new Map<string, string>();

function valuesSql(table: string, columns: readonly string[], n: number): string {
  const key = `${table}:${n}`;
  let sql = sqlCache.get(key);
  if (sql === undefined) {
    const one = `(${columns.map(() => "?").join(",")})`;
    sql = `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${Array(n).fill(one).join(",")}`;
    sqlCache.set(key, sql);
  }
  return sql;
}

async function insertValues(
  x: SqlExecutor,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly InValue[])[],
): Promise<void> {
  const per = Math.max(1, Math.floor(32766 / columns.length));
  for (let start = 0; start < rows.length; start += per) {
    const chunk = rows.slice(start, start + per);
    const args: InValue[] = [];
    for (const r of chunk) for (const v of r) args.push(v);
    await x.execute({ sql: valuesSql(table, columns, chunk.length), args });
  }
}

export const valuesInsertInstances = (x: SqlExecutor, rows: InstanceTuple[]) =>
  insertValues(x, "instances", INSTANCE_COLUMNS, rows);
export const valuesInsertSteps = (x: SqlExecutor, rows: StepTuple[]) => insertValues(x, "steps", STEP_COLUMNS, rows);
export const valuesInsertAssertions = (x: SqlExecutor, rows: AssertionTuple[]) =>
  insertValues(x, "assertions", ASSERTION_COLUMNS, rows);
