import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
// First: loads the native driver without its loader's diagnostic report (see libsql-driver.ts).
import "../libsql-driver.js";
import Database from "libsql";
import { ValidationError } from "../errors.js";

/** The metric tables of gao-dev's metrics.db (gao_dev/sandbox/metrics/database.py, schema version 1). */
const GROUP_TABLES = {
  performance: "performance_metrics",
  autonomy: "autonomy_metrics",
  quality: "quality_metrics",
  workflow: "workflow_metrics",
} as const;
const JSON_COLUMNS = new Set([
  "metadata",
  "phase_times",
  "token_usage_by_agent",
  "manual_interventions_types",
  "linting_errors_by_severity",
  "security_vulnerabilities_by_severity",
  "phase_distribution",
]);
const SKIP_COLUMNS = new Set(["id", "run_id", "created_at"]);

export interface GaoDbRun {
  run_id: string;
  /** The run in gao-dev's `to_dict()` shape, ready for the strict reader. */
  raw: Record<string, unknown>;
}

/**
 * Reads every run of a gao-dev metrics.db. The file is opened read-only (SQLite `mode=ro`), so its bytes
 * are not changed; nothing is written next to it either (gao-dev's databases use a rollback journal).
 * JSON columns are decoded as gao-dev's `get_metrics` does (NULL → empty); `id` and `created_at` are
 * gao-dev's bookkeeping and are not part of a run.
 */
export function readGaoMetricsDb(path: string): GaoDbRun[] {
  const file = resolve(path);
  if (!existsSync(file)) throw new ValidationError(path, "file not found");
  let db: Database.Database;
  try {
    db = new Database(`${pathToFileURL(file).href}?mode=ro`);
  } catch (e) {
    throw new ValidationError(path, `cannot open as SQLite (${(e as Error).message})`);
  }
  try {
    const tables = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
        (r) => r.name,
      ),
    );
    for (const t of ["benchmark_runs", ...Object.values(GROUP_TABLES)])
      if (!tables.has(t)) throw new ValidationError(path, `not a gao-dev metrics.db (no table ${t})`);
    const decode = (row: Record<string, unknown>, column: string): [string, unknown] => {
      const v = row[column];
      if (!JSON_COLUMNS.has(column)) return [column, v];
      if (v === null || v === undefined) return [column, column === "manual_interventions_types" ? [] : {}];
      try {
        return [column, JSON.parse(String(v))];
      } catch {
        throw new ValidationError(path, `run '${String(row.run_id)}': ${column} is not JSON`);
      }
    };
    const strip = (row: Record<string, unknown>) =>
      Object.fromEntries(
        Object.keys(row)
          .filter((c) => !SKIP_COLUMNS.has(c))
          .map((c) => decode(row, c)),
      );
    const groups = Object.fromEntries(
      Object.entries(GROUP_TABLES).map(([group, table]) => {
        const byRun = new Map<string, Record<string, unknown>>();
        // One row per run in gao-dev; should there be more, the first one written is the run's.
        for (const row of db.prepare(`SELECT * FROM ${table} ORDER BY id`).all() as Record<string, unknown>[])
          if (!byRun.has(String(row.run_id))) byRun.set(String(row.run_id), strip(row));
        return [group, byRun];
      }),
    ) as Record<keyof typeof GROUP_TABLES, Map<string, Record<string, unknown>>>;
    const runs = db.prepare("SELECT * FROM benchmark_runs ORDER BY timestamp, run_id").all() as Record<
      string,
      unknown
    >[];
    return runs.map((row) => {
      const run_id = String(row.run_id);
      const head = strip(row);
      const raw: Record<string, unknown> = { run_id, ...head };
      for (const group of Object.keys(GROUP_TABLES) as (keyof typeof GROUP_TABLES)[]) {
        const values = groups[group].get(run_id);
        // gao-dev reads a missing group as its defaults (all zero).
        if (values) raw[group] = values;
      }
      return { run_id, raw };
    });
  } finally {
    db.close();
  }
}
