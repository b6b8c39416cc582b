/**
 * Imports JUnit XML as a run: a file (pytest, vitest, jest-junit: one `testsuites` document) or a
 * folder of them (Maven Surefire writes one TEST-<class>.xml per test class into
 * target/surefire-reports/: the folder is one run). Mapping:
 * - the run: id from `runId` or the file/folder name, sut from `sut` or the `testsuites` name, the
 *   first suite's name, else "junit"; started_at the earliest suite timestamp (a timestamp without a
 *   zone, as Surefire writes, is read as UTC), else the newest file's modification time; completed_at
 *   the latest timestamp + time of a suite, when known. runs.config._junit keeps the files' and
 *   suites' attributes, properties and output (export writes them back).
 * - a testcase → an instance: scenario `classname::name`, duration from `time`, properties as its
 *   variations, its whole element (attributes, results, output) in entry_data. An errored or failed
 *   testcase has `passed` false and the first message as its error; a skipped one has `passed` null,
 *   which every count of Verdict treats as neither passed nor failed (turbulence's convention for its
 *   own null: status 'fail' without being a failure, so the pass count and rate leave it out).
 * - each failure and error element → a failed assertion named by its `type` (else failure/error).
 * The whole run is written in one transaction: it appears whole or not at all.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { ConflictError } from "../errors.js";
import { readInputText } from "../input-files.js";
import type { VerdictDb } from "../open.js";
import { storeRunStatsIn } from "../queries/run-analytics/store.js";
import { bulkInsertSql, createRun, deleteRun, runExists } from "../queries/runs.js";
import { RunFileError } from "../turbulence/errors.js";
import { runSourceAt } from "../turbulence/header.js";
import { type JunitCase, type JunitReport, caseOutcome, caseScenario, secondsToMs } from "./model.js";
import { emptyReport, parseJunitText } from "./parse.js";

export const JUNIT_CONFIG_KEY = "_junit";
export const JUNIT_SOURCE_FORMAT = "junit";

export interface JunitImportOptions {
  /** The run's id (default: the file name without .xml, or the folder's name). */
  runId?: string;
  /** The system under test (default: the testsuites name, the first suite's name, else "junit"). */
  sut?: string;
  /** Replace a run with the same id, in the same transaction. */
  replace?: boolean;
}

export interface JunitImportResult {
  run_id: string;
  path: string;
  files: number;
  suites: number;
  instances: number;
  passed: number;
  failed: number;
  skipped: number;
  assertions: number;
  replaced: boolean;
}

/**
 * True when `path` is JUnit XML to import: a .xml file, or a folder that is not a turbulence run
 * (no manifest.json or turbulence.db) and holds .xml files (a Surefire reports folder).
 */
export function isJunitPath(path: string): boolean {
  if (!existsSync(path)) return false;
  const st = statSync(path);
  if (!st.isDirectory()) return path.toLowerCase().endsWith(".xml");
  if (runSourceAt(path)) return false;
  return readdirSync(path).some((n) => n.toLowerCase().endsWith(".xml"));
}

/** The .xml files a path names: the file itself, or a folder's *.xml files (sorted by name). */
export function junitFiles(path: string): string[] {
  const st = statSync(path);
  if (!st.isDirectory()) return [path];
  const names = readdirSync(path)
    .filter((n) => n.toLowerCase().endsWith(".xml"))
    .sort();
  if (names.length === 0) throw new RunFileError(path, null, "path", "no .xml files in this folder");
  return names.map((n) => join(path, n));
}

export function readJunit(path: string): { report: JunitReport; files: string[]; mtime: Date } {
  const files = junitFiles(path);
  const report = emptyReport();
  let mtime = new Date(0);
  for (const f of files) {
    parseJunitText(readInputText(f), f, basename(f), report);
    const m = statSync(f).mtime;
    if (m > mtime) mtime = m;
  }
  return { report, files, mtime };
}

/** An ISO timestamp with a zone from a suite's `timestamp`; null when it is not a date. */
function isoOf(ts: string | undefined): Date | null {
  if (ts === undefined || ts.trim() === "") return null;
  const t = ts.trim();
  const zoned = /(?:Z|[+-]\d\d:?\d\d)$/i.test(t) ? t : `${t}Z`;
  const d = new Date(zoned);
  return Number.isNaN(d.getTime()) ? null : d;
}

function runTimes(report: JunitReport, mtime: Date): { started_at: string; completed_at: string | null } {
  let start: Date | null = null;
  let end: Date | null = null;
  for (const s of report.suites) {
    const d = isoOf(s.attrs.timestamp);
    if (d === null) continue;
    if (start === null || d < start) start = d;
    const ms = secondsToMs(s.attrs.time);
    if (ms !== null) {
      const e = new Date(d.getTime() + ms);
      if (end === null || e > end) end = e;
    }
  }
  return { started_at: (start ?? mtime).toISOString(), completed_at: end?.toISOString() ?? null };
}

const firstLine = (t: string | null): string | null => {
  const line = t
    ?.split("\n")
    .map((l) => l.trim())
    .find((l) => l !== "");
  return line ?? null;
};

/** The error of a failed testcase: its first failure/error message, else the first line of its text. */
function caseError(c: JunitCase): string | null {
  const r = c.results.find((x) => x.kind === "error" || x.kind === "failure");
  if (!r) return null;
  return r.attrs.message ?? firstLine(r.text) ?? r.kind;
}

function variations(c: JunitCase): string | null {
  if (c.properties === null || c.properties.length === 0) return null;
  const v: Record<string, string> = {};
  for (const p of c.properties) if (p.attrs.name !== undefined) v[p.attrs.name] = p.attrs.value ?? p.text ?? "";
  return JSON.stringify(v);
}

const INSTANCE_COLS = [
  "run_id",
  "id",
  "scenario_id",
  "status",
  "passed",
  "started_at",
  "duration_ms",
  "variations",
  "error",
  "entry_data",
] as const;
const ASSERTION_COLS = ["run_id", "instance_id", "assertion_name", "passed", "error", "message"] as const;
const CHUNK = 500;

export async function importJunit(
  h: VerdictDb,
  path: string,
  opts: JunitImportOptions = {},
): Promise<JunitImportResult> {
  const { report, files, mtime } = readJunit(path);
  const runId = opts.runId ?? basename(path).replace(/\.xml$/i, "");
  const sut = opts.sut ?? report.files[0]?.attrs.name ?? report.suites[0]?.attrs.name ?? "junit";
  const width = String(report.cases.length).length;
  const idOf = (i: number) => String(i + 1).padStart(width, "0");
  const times = runTimes(report, mtime);
  const scenarios = [...new Set(report.cases.map(caseScenario))];

  const instances: unknown[][] = [];
  const assertions: unknown[][] = [];
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  report.cases.forEach((c, i) => {
    const outcome = caseOutcome(c);
    if (outcome === "passed") passed++;
    else if (outcome === "skipped") skipped++;
    else failed++;
    const bad = outcome === "failed" || outcome === "errored";
    const id = idOf(i);
    instances.push([
      runId,
      id,
      caseScenario(c),
      outcome === "passed" ? "pass" : "fail",
      outcome === "skipped" ? null : bad ? 0 : 1,
      report.suites[c.suite]?.attrs.timestamp ?? null,
      secondsToMs(c.attrs.time),
      variations(c),
      bad ? caseError(c) : null,
      JSON.stringify({ junit: c }),
    ]);
    for (const r of c.results) {
      if (r.kind !== "failure" && r.kind !== "error") continue;
      const message = r.attrs.message ?? firstLine(r.text);
      assertions.push([runId, id, r.attrs.type ?? r.kind, 0, message, message]);
    }
  });

  const tx = await h.client.transaction("write");
  let replaced = false;
  try {
    if (await runExists(tx, runId)) {
      if (!opts.replace)
        throw new ConflictError(`run '${runId}' already exists (use --replace to replace it)`, "run_id");
      await deleteRun(h, runId, tx);
      replaced = true;
    }
    await createRun(
      h,
      {
        id: runId,
        sut_name: sut,
        ...times,
        scenario_ids: scenarios,
        config: { [JUNIT_CONFIG_KEY]: { files: report.files, suites: report.suites } } as never,
      },
      tx,
    );
    await tx.execute({ sql: "UPDATE runs SET source_format = ? WHERE id = ?", args: [JUNIT_SOURCE_FORMAT, runId] });
    for (let i = 0; i < instances.length; i += CHUNK)
      await tx.execute({
        sql: bulkInsertSql("instances", INSTANCE_COLS),
        args: [JSON.stringify(instances.slice(i, i + CHUNK))],
      });
    for (let i = 0; i < assertions.length; i += CHUNK)
      await tx.execute({
        sql: bulkInsertSql("assertions", ASSERTION_COLS),
        args: [JSON.stringify(assertions.slice(i, i + CHUNK))],
      });
    // The run's stored statistics land with it (runs summary reads them).
    await storeRunStatsIn(tx, runId);
    await tx.commit();
  } catch (e) {
    await tx.rollback().catch(() => {});
    throw e;
  } finally {
    tx.close();
  }
  return {
    run_id: runId,
    path,
    files: files.length,
    suites: report.suites.length,
    instances: report.cases.length,
    passed,
    failed,
    skipped,
    assertions: assertions.length,
    replaced,
  };
}
