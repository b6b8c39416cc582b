/**
 * turbulence's own SQLite output (`turbulence run --storage sqlite`: storage/sqlite.py writes
 * runs/<run_id>/turbulence.db next to summary.json and artifacts/, and no manifest.json or JSONL).
 *
 * The file is opened read-only (no pragma is set, nothing is written: its bytes never change). Its
 * rows are turned into the JSONL lines turbulence's JSONL writer would have written for the same
 * records, and those go through the same mappers as a run folder's files, so a run imported from
 * turbulence.db has the rows a JSONL import of the same data gets. What the SQLite writer stores
 * differently, and how it is read back:
 * - times are Python `isoformat()` (…+00:00): written as pydantic's JSON writes them (…Z);
 * - entry_data/observation/expected/actual are `json.dumps` text (", " and ": "): whitespace is
 *   removed without re-parsing, so numbers stay exactly as stored;
 * - instances have `status` ('pass'/'fail') instead of `passed`, and no duration_ms: passed is
 *   status == 'pass' (as turbulence's own report reads it, report/html.py), duration_ms is null;
 * - expected/actual NULL stand for None.
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
// First: loads the native driver without its loader's diagnostic report (see libsql-driver.ts).
import "../libsql-driver.js";
import Database from "libsql";
import { SchemaMismatchError, errorTextOf } from "../errors.js";
import { RunFileError } from "./errors.js";
import { minifyJson, utcZ } from "./json-text.js";
import type { FileLine } from "./lines.js";
import { renderAssertion, renderInstance, renderStep } from "./render.js";

type Row = Record<string, unknown>;

/**
 * Opens an SQLite file read-only: an SQLite URI with mode=ro (the driver ignores a `readonly` option
 * and would create a missing file). No pragma is run on it.
 */
function openReadOnly(path: string): InstanceType<typeof Database> {
  const uri = `file:${resolve(path).split("/").map(encodeURIComponent).join("/")}?mode=ro`;
  return new Database(uri);
}
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/**
 * True when `path` is an SQLite file holding turbulence's tables (steps.step_name: Verdict's is action_name).
 *
 * Only SQLite reads the file here, never a file descriptor of our own: POSIX drops every lock a
 * process holds on a file when the process closes ANY descriptor of it, so reading the header with
 * open/read/close while this process had a connection to the same database open (every openDatabase
 * after the first, in a server or a test) silently released that connection's locks. Another process
 * then took itself for the last connection, checkpointed and deleted the WAL and its -shm index, and
 * this process went on reading the deleted index: it no longer saw other processes' commits (and its
 * own writes could land in a WAL nobody else reads). SQLite refuses a file that is not a database itself.
 */
export function isTurbulenceDatabase(path: string): boolean {
  if (!existsSync(path) || !statSync(path).isFile() || statSync(path).size < 100) return false;
  let db: InstanceType<typeof Database> | null = null;
  try {
    db = openReadOnly(path);
    const hit = db
      .prepare(
        "SELECT 1 AS x FROM sqlite_master m, pragma_table_info(m.name) c WHERE m.name = 'steps' AND c.name = 'step_name'",
      )
      .all([]);
    return hit.length > 0;
  } catch {
    return false;
  } finally {
    db?.close();
  }
}

/**
 * Called by openDatabase before anything touches the file (no WAL switch, no migrations table):
 * refuses turbulence's own database with the command that imports it instead.
 */
export function refuseTurbulenceDatabase(path: string): void {
  if (isTurbulenceDatabase(path))
    throw new SchemaMismatchError(
      `${path} is turbulence's own database (turbulence.db), not a Verdict database; it was not changed`,
      `verdict --db file:verdict.db runs import ${path}`,
    );
}

export interface TurbulenceDbRun {
  id: string;
  started_at: string | null;
  sut_name: string | null;
  scenario_ids: unknown;
  seed: number | null;
  config: unknown;
}

/** A read-only view of turbulence.db. */
export class TurbulenceDb {
  private readonly db: InstanceType<typeof Database>;
  constructor(readonly path: string) {
    try {
      this.db = openReadOnly(path);
    } catch (e) {
      throw new RunFileError(path, null, "(file)", `cannot open read-only: ${errorTextOf(e)}`);
    }
  }

  close(): void {
    this.db.close();
  }

  /** The one run the file holds. */
  run(): TurbulenceDbRun {
    let rows: Row[];
    try {
      rows = this.db.prepare("SELECT * FROM runs").all([]) as Row[];
    } catch (e) {
      throw new RunFileError(this.path, null, "runs", `not readable: ${errorTextOf(e)}`);
    }
    const r = rows[0];
    if (rows.length !== 1 || !r)
      throw new RunFileError(this.path, null, "runs", `expected one run, found ${rows.length}`);
    const parse = (field: string, v: unknown): unknown => {
      if (v === null || v === undefined) return null;
      try {
        return JSON.parse(String(v));
      } catch {
        throw new RunFileError(this.path, null, `runs.${field}`, "not valid JSON");
      }
    };
    return {
      id: String(r.id),
      started_at: utcZ(str(r.started_at)),
      sut_name: str(r.sut_name),
      scenario_ids: parse("scenario_ids", r.scenario_ids),
      seed: r.seed === null || r.seed === undefined ? null : Number(r.seed),
      config: parse("config", r.config),
    };
  }

  count(table: "instances" | "steps" | "assertions"): number {
    const r = this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get([]) as Row | undefined;
    return Number(r?.n ?? 0);
  }

  /** The rows of a table as the JSONL lines turbulence would have written; `line` is the row's rowid. */
  async *lines(table: "instances" | "steps" | "assertions"): AsyncGenerator<FileLine> {
    const stmt = this.db.prepare(`SELECT rowid AS _rowid, * FROM ${table} ORDER BY rowid`);
    for (const raw of stmt.iterate([]) as Iterable<Row>) {
      const line = Number(raw._rowid);
      try {
        yield { line, text: this.render(table, raw) };
      } catch (e) {
        if (e instanceof RunFileError) throw e;
        throw new RunFileError(`${this.path} (${table})`, line, "(row)", errorTextOf(e));
      }
    }
  }

  private render(table: "instances" | "steps" | "assertions", r: Row): string {
    const json = (v: unknown, fallback: string) => (v === null || v === undefined ? fallback : minifyJson(String(v)));
    if (table === "instances")
      return renderInstance({
        instance_id: String(r.id),
        run_id: String(r.run_id),
        correlation_id: str(r.correlation_id),
        scenario_id: String(r.scenario_id),
        started_at: utcZ(str(r.started_at)),
        completed_at: utcZ(str(r.completed_at)),
        duration_ms: null,
        passed: r.status === "pass",
        entry_data: json(r.entry_data, "{}"),
        error: str(r.error),
      });
    if (table === "steps")
      return renderStep({
        instance_id: String(r.instance_id),
        run_id: String(r.run_id),
        correlation_id: str(r.correlation_id),
        step_index: Number(r.step_index),
        step_name: String(r.step_name),
        step_type: String(r.step_type),
        timestamp: utcZ(str(r.timestamp)),
        observation: json(r.observation, "{}"),
      });
    return renderAssertion({
      instance_id: String(r.instance_id),
      run_id: String(r.run_id),
      correlation_id: str(r.correlation_id),
      step_index: r.step_index === null ? null : Number(r.step_index),
      assertion_name: String(r.assertion_name),
      passed: Number(r.passed) === 1,
      expected: json(r.expected, "null"),
      actual: json(r.actual, "null"),
      message: str(r.message),
      timestamp: utcZ(str(r.timestamp)),
    });
  }
}
