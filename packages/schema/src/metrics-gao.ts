/**
 * gao-dev's metrics files, both ways, as pure text functions (no file system, no database driver):
 * - `BenchmarkMetrics.to_json()`: one run object;
 * - `MetricsExporter.export_to_json`: a JSON array of `to_dict()` runs;
 * - `MetricsExporter.export_to_csv`: a folder with runs.csv and one CSV per metric group (scalar columns only:
 *   the per-phase/agent/severity maps, the intervention types and metadata are not in gao-dev's CSVs).
 * Reading is strict: unknown keys are refused with a suggestion (or kept under `metadata.unknown_fields`),
 * NaN and Infinity are refused, and every problem is reported, each once, with its line.
 */
import type { z } from "zod";
import {
  type BenchmarkRun,
  type BenchmarkRunInput,
  DIMENSIONS,
  type Dimension,
  type MetricGroup,
  RUN_KEYS,
  benchmarkRunInput,
} from "./metrics.js";
import { JsonSyntaxError, parseLocatedJson } from "./metrics-json.js";
import { checkTimeZone, normalizeTimestamp, toGaoTimestamp } from "./metrics-time.js";

export interface RunFileIssue {
  /** File inside a CSV folder (e.g. `quality.csv`); absent for a single file. */
  file?: string;
  line: number | null;
  field: string;
  problem: string;
}

export interface ReadRunOptions {
  /** IANA zone for timestamps without one (default UTC). */
  zone?: string;
  /** Keep unknown keys under `metadata.unknown_fields` instead of refusing them. */
  keepUnknown?: boolean;
  /** Dimensions given on the command line; they override the file's. */
  dimensions?: Partial<Record<Dimension, string>>;
}

export interface ReadRunsResult {
  kind: "to_json" | "json_array" | "csv_folder" | "metrics_db";
  runs: BenchmarkRunInput[];
  issues: RunFileIssue[];
  /** True when the source holds only the scalar columns (CSV). */
  partial: boolean;
}

export const UNKNOWN_FIELDS_KEY = "unknown_fields";
const GROUPS: readonly MetricGroup[] = ["performance", "autonomy", "quality", "workflow"];

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] ?? 0;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = above;
    }
  }
  return row[b.length] ?? 0;
}

/** The closest known key, when it is close enough to be a likely typo. */
export function suggestKey(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = k;
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const fieldName = (path: readonly (string | number)[]) => path.map(String).join(".") || "document";

function nonFinite(value: unknown, path: (string | number)[], out: { path: (string | number)[]; v: number }[]) {
  if (typeof value === "number" && !Number.isFinite(value)) out.push({ path, v: value });
  else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) nonFinite(v, [...path, i], out);
  } else if (isObject(value)) for (const [k, v] of Object.entries(value)) nonFinite(v, [...path, k], out);
}

function zodProblem(issue: z.core.$ZodIssue): string {
  if (issue.code === "too_small" && issue.origin === "number" && Number(issue.minimum) === 0)
    return "must not be negative";
  return issue.message;
}

/**
 * Checks one run object and returns it in the API's input form: unknown keys refused or moved, timestamp
 * read in the zone, dimensions applied. `locate` maps a path inside the run to its line.
 */
export function prepareRun(
  raw: unknown,
  opts: ReadRunOptions,
  locate: (path: (string | number)[]) => number | null,
  prefix: (string | number)[] = [],
  file?: string,
): { run: BenchmarkRunInput | null; issues: RunFileIssue[] } {
  const issues: RunFileIssue[] = [];
  const reported = new Set<string>();
  const add = (path: (string | number)[], problem: string) => {
    const field = fieldName([...prefix, ...path]);
    if (reported.has(field)) return;
    reported.add(field);
    issues.push({ ...(file === undefined ? {} : { file }), line: locate(path), field, problem });
  };
  if (!isObject(raw)) {
    add([], "expected a run object");
    return { run: null, issues };
  }
  const run: Record<string, unknown> = { ...raw };
  const unknown: Record<string, unknown> = {};
  const strict = (obj: Record<string, unknown>, known: readonly string[], path: string[]) => {
    for (const key of Object.keys(obj)) {
      if (known.includes(key)) continue;
      if (opts.keepUnknown) {
        unknown[[...path, key].join(".")] = obj[key];
        delete obj[key];
      } else {
        const hint = suggestKey(key, known);
        add([...path, key], `unknown key${hint ? ` (did you mean '${hint}'?)` : ""}`);
      }
    }
  };
  strict(run, RUN_KEYS.run, []);
  for (const group of GROUPS) {
    const value = run[group];
    if (isObject(value)) {
      const copy = { ...value };
      run[group] = copy;
      strict(copy, RUN_KEYS[group], [group]);
    }
  }
  const bad: { path: (string | number)[]; v: number }[] = [];
  nonFinite(run, [], bad);
  for (const b of bad) add(b.path, `${Number.isNaN(b.v) ? "NaN" : b.v > 0 ? "Infinity" : "-Infinity"} is not a number`);
  if (Object.keys(unknown).length > 0) {
    const metadata = isObject(run.metadata) ? { ...run.metadata } : {};
    const kept = isObject(metadata[UNKNOWN_FIELDS_KEY]) ? (metadata[UNKNOWN_FIELDS_KEY] as object) : {};
    metadata[UNKNOWN_FIELDS_KEY] = { ...kept, ...unknown };
    run.metadata = metadata;
  }
  if (typeof run.timestamp === "string") {
    const stored = normalizeTimestamp(run.timestamp, opts.zone ?? "UTC");
    if (stored !== null) run.timestamp = stored;
  }
  for (const d of DIMENSIONS) {
    const flag = opts.dimensions?.[d];
    if (flag !== undefined) run[d] = flag;
  }
  const meta = run.metadata;
  if (run.commit === undefined && isObject(meta) && typeof meta.git_sha === "string" && meta.git_sha !== "")
    run.commit = meta.git_sha;
  const parsed = benchmarkRunInput.safeParse(run);
  if (!parsed.success)
    for (const issue of parsed.error.issues) {
      // Unknown keys were reported above, each with its own line and a suggestion.
      if (issue.code === "unrecognized_keys") continue;
      add(issue.path as (string | number)[], zodProblem(issue));
    }
  if (run.run_id === undefined) add(["run_id"], "run_id is required to import a run");
  return { run: issues.length === 0 ? (run as BenchmarkRunInput) : null, issues };
}

/** A `to_json()` file (one object) or a `MetricsExporter` JSON export (an array of runs). */
export function readGaoJson(text: string, opts: ReadRunOptions = {}): ReadRunsResult {
  if (opts.zone) checkTimeZone(opts.zone);
  let doc: ReturnType<typeof parseLocatedJson>;
  try {
    doc = parseLocatedJson(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError)
      return {
        kind: "to_json",
        runs: [],
        issues: [{ line: e.line, field: "document", problem: e.message }],
        partial: false,
      };
    throw e;
  }
  const isArray = Array.isArray(doc.value);
  const items: unknown[] = isArray ? (doc.value as unknown[]) : [doc.value];
  const runs: BenchmarkRunInput[] = [];
  const issues: RunFileIssue[] = [];
  if (isArray && items.length === 0) issues.push({ line: 1, field: "document", problem: "the array holds no runs" });
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const prefix = isArray ? [i] : [];
    const r = prepareRun(item, opts, (p) => doc.lineOf([...prefix, ...p]), prefix);
    issues.push(...r.issues);
    if (r.run) {
      const id = String(r.run.run_id);
      const first = seen.get(id);
      if (first !== undefined)
        issues.push({
          line: doc.lineOf([...prefix, "run_id"]),
          field: fieldName([...prefix, "run_id"]),
          problem: `run '${id}' appears twice (first at item ${first})`,
        });
      else seen.set(id, i);
      runs.push(r.run);
    }
  });
  return { kind: isArray ? "json_array" : "to_json", runs: issues.length === 0 ? runs : [], issues, partial: false };
}

/** The columns of gao-dev's CSV export, per file, in its order. */
export const GAO_CSV_COLUMNS = {
  "runs.csv": ["run_id", "timestamp", "project_name", "benchmark_name", "version"],
  "performance.csv": ["run_id", "total_time_seconds", "token_usage_total", "api_calls_count", "api_calls_cost"],
  "autonomy.csv": [
    "run_id",
    "manual_interventions_count",
    "prompts_needed_initial",
    "prompts_needed_followup",
    "one_shot_success_rate",
    "error_recovery_rate",
    "agent_handoffs_successful",
    "agent_handoffs_failed",
  ],
  "quality.csv": [
    "run_id",
    "tests_written",
    "tests_passing",
    "code_coverage_percentage",
    "linting_errors_count",
    "type_errors_count",
    "security_vulnerabilities_count",
    "functional_completeness_percentage",
  ],
  "workflow.csv": ["run_id", "stories_created", "stories_completed", "avg_cycle_time_seconds", "rework_count"],
} as const;
export type GaoCsvFile = keyof typeof GAO_CSV_COLUMNS;
export const GAO_CSV_FILES = Object.keys(GAO_CSV_COLUMNS) as GaoCsvFile[];
const groupOfFile = (f: GaoCsvFile): MetricGroup | null => (f === "runs.csv" ? null : (f.slice(0, -4) as MetricGroup));

/** RFC 4180 rows with their line numbers (quoted fields may hold commas, quotes and line breaks). */
export function parseCsv(text: string): { line: number; fields: string[] }[] | { line: number; error: string } {
  const rows: { line: number; fields: string[] }[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let value = "";
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= text.length) return { line: start, error: "unterminated quoted field" };
          const ch = text[i] as string;
          if (ch === '"' && text[i + 1] === '"') {
            value += '"';
            i += 2;
          } else if (ch === '"') {
            i++;
            break;
          } else {
            if (ch === "\n") line++;
            value += ch;
            i++;
          }
        }
      } else {
        while (i < text.length && text[i] !== "," && text[i] !== "\n" && text[i] !== "\r") value += text[i++];
      }
      fields.push(value);
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "\r") i++;
      if (text[i] === "\n") {
        i++;
        line++;
      } else if (i < text.length) return { line, error: "unexpected text after a quoted field" };
      break;
    }
    if (!(fields.length === 1 && fields[0] === "")) rows.push({ line: start, fields });
  }
  return rows;
}

const INTEGER_COLUMNS = new Set<string>([
  "token_usage_total",
  "api_calls_count",
  "manual_interventions_count",
  "prompts_needed_initial",
  "prompts_needed_followup",
  "agent_handoffs_successful",
  "agent_handoffs_failed",
  "tests_written",
  "tests_passing",
  "linting_errors_count",
  "type_errors_count",
  "security_vulnerabilities_count",
  "stories_created",
  "stories_completed",
  "rework_count",
]);

/** Python's csv writes floats with repr(): `nan`, `inf`, `-inf` included. */
function csvNumber(text: string): number | string {
  const t = text.trim();
  if (/^[+-]?nan$/i.test(t)) return Number.NaN;
  if (/^[+-]?inf(inity)?$/i.test(t)) return t.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  return text;
}

/**
 * gao-dev's CSV folder: `files` maps each file name present (runs.csv, performance.csv, …) to its text.
 * Every run of runs.csv must have one row in each group file.
 */
export function readGaoCsvFolder(files: Partial<Record<string, string>>, opts: ReadRunOptions = {}): ReadRunsResult {
  if (opts.zone) checkTimeZone(opts.zone);
  const issues: RunFileIssue[] = [];
  const runs = new Map<string, { raw: Record<string, unknown>; lines: Map<string, { file: string; line: number }> }>();
  const order: string[] = [];
  const EXTRA_RUN_COLUMNS: readonly string[] = DIMENSIONS;
  for (const file of GAO_CSV_FILES) {
    const text = files[file];
    if (text === undefined) {
      issues.push({ file, line: null, field: "document", problem: "missing from the CSV folder" });
      continue;
    }
    const parsed = parseCsv(text);
    if (!Array.isArray(parsed)) {
      issues.push({ file, line: parsed.line, field: "document", problem: parsed.error });
      continue;
    }
    const [header, ...rows] = parsed;
    if (!header) {
      issues.push({ file, line: 1, field: "document", problem: "empty file (no header)" });
      continue;
    }
    const known: readonly string[] = [...GAO_CSV_COLUMNS[file], ...(file === "runs.csv" ? EXTRA_RUN_COLUMNS : [])];
    const columns = header.fields.map((c) => c.trim());
    for (const c of known.slice(0, file === "runs.csv" ? 4 : 1))
      if (!columns.includes(c))
        issues.push({ file, line: header.line, field: c, problem: "column missing from the header" });
    const unknownColumns = new Set<string>();
    for (const c of columns) {
      if (known.includes(c)) continue;
      if (opts.keepUnknown) unknownColumns.add(c);
      else {
        const hint = suggestKey(c, known);
        issues.push({
          file,
          line: header.line,
          field: c,
          problem: `unknown column${hint ? ` (did you mean '${hint}'?)` : ""}`,
        });
      }
    }
    const group = groupOfFile(file);
    for (const row of rows) {
      if (row.fields.length !== columns.length) {
        issues.push({
          file,
          line: row.line,
          field: "row",
          problem: `${row.fields.length} fields, the header has ${columns.length}`,
        });
        continue;
      }
      const rec = Object.fromEntries(columns.map((c, i) => [c, row.fields[i] ?? ""]));
      const id = rec.run_id ?? "";
      if (file === "runs.csv") {
        if (runs.has(id)) {
          issues.push({ file, line: row.line, field: "run_id", problem: `run '${id}' appears twice` });
          continue;
        }
        const raw: Record<string, unknown> = {};
        const unknown: Record<string, unknown> = {};
        for (const [c, v] of Object.entries(rec)) {
          if (unknownColumns.has(c)) unknown[c] = v;
          else if (!known.includes(c))
            continue; // reported once, at the header
          else if (EXTRA_RUN_COLUMNS.includes(c)) {
            if (v !== "") raw[c] = v;
          } else raw[c] = v;
        }
        if (Object.keys(unknown).length > 0) raw.metadata = { [UNKNOWN_FIELDS_KEY]: unknown };
        const lines = new Map<string, { file: string; line: number }>([["", { file, line: row.line }]]);
        for (const c of Object.keys(raw)) lines.set(c, { file, line: row.line });
        runs.set(id, { raw, lines });
        order.push(id);
        continue;
      }
      const target = runs.get(id);
      if (!target) {
        issues.push({ file, line: row.line, field: "run_id", problem: `run '${id}' is not in runs.csv` });
        continue;
      }
      if (group === null) continue;
      if (target.raw[group] !== undefined) {
        issues.push({ file, line: row.line, field: "run_id", problem: `run '${id}' appears twice` });
        continue;
      }
      const values: Record<string, unknown> = {};
      for (const [c, v] of Object.entries(rec)) {
        if (c === "run_id") continue;
        if (!known.includes(c) && !unknownColumns.has(c)) continue; // reported once, at the header
        if (unknownColumns.has(c)) {
          if (target.raw.metadata === undefined) target.raw.metadata = {};
          const meta = target.raw.metadata as Record<string, unknown>;
          if (meta[UNKNOWN_FIELDS_KEY] === undefined) meta[UNKNOWN_FIELDS_KEY] = {};
          (meta[UNKNOWN_FIELDS_KEY] as Record<string, unknown>)[`${group}.${c}`] = v;
          continue;
        }
        const n = csvNumber(v);
        values[c] =
          typeof n === "number" && INTEGER_COLUMNS.has(c) && Number.isFinite(n) && Number.isInteger(n)
            ? Math.trunc(n)
            : n;
        target.lines.set(`${group}.${c}`, { file, line: row.line });
      }
      target.raw[group] = values;
      target.lines.set(group, { file, line: row.line });
    }
  }
  const out: BenchmarkRunInput[] = [];
  for (const id of order) {
    const entry = runs.get(id) as typeof runs extends Map<string, infer V> ? V : never;
    for (const group of GROUPS)
      if (entry.raw[group] === undefined) {
        const at = entry.lines.get("") as { file: string; line: number };
        issues.push({
          file: `${group}.csv`,
          line: null,
          field: "run_id",
          problem: `run '${id}' (runs.csv:${at.line}) has no row here`,
        });
      }
    const where = (path: (string | number)[]) => {
      for (let depth = Math.min(path.length, 2); depth >= 0; depth--) {
        const hit = entry.lines.get(path.slice(0, depth).map(String).join("."));
        if (hit) return hit;
      }
      return entry.lines.get("") as { file: string; line: number };
    };
    // Each problem is reported against the file and line its value came from.
    const r = prepareRun(entry.raw, opts, (p) => where(p).line, [], undefined);
    for (const issue of r.issues) {
      const path = issue.field.split(".");
      issues.push({ ...issue, file: where(path).file });
    }
    if (r.run) out.push(r.run);
  }
  return { kind: "csv_folder", runs: issues.length === 0 ? out : [], issues, partial: true };
}

const RUN_HEAD = ["run_id", "timestamp", "project_name", "benchmark_name", "version"] as const;

/** One stored run as gao-dev's `to_dict()`; dimensions are added only when set (commit: when not metadata.git_sha). */
export function toGaoDict(run: BenchmarkRun): Record<string, unknown> {
  const out: Record<string, unknown> = {
    run_id: run.run_id,
    timestamp: toGaoTimestamp(run.timestamp),
    project_name: run.project_name,
    benchmark_name: run.benchmark_name,
    version: run.version,
  };
  for (const group of GROUPS) {
    const values = run[group] as unknown as Record<string, unknown>;
    out[group] = Object.fromEntries(RUN_KEYS[group].map((k) => [k, values[k]]));
  }
  out.metadata = run.metadata;
  if (run.branch !== null) out.branch = run.branch;
  if (run.testbed !== null) out.testbed = run.testbed;
  if (run.commit !== null && run.commit !== run.metadata.git_sha) out.commit = run.commit;
  return out;
}

/** `MetricsExporter.export_to_json`'s shape: an indented JSON array of runs. */
export function toGaoJsonArray(runs: readonly BenchmarkRun[]): string {
  return `${JSON.stringify(runs.map(toGaoDict), null, 2)}\n`;
}

function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * `MetricsExporter.export_to_csv`'s folder: file name → text (CRLF rows, as Python's csv writes them).
 * runs.csv gains branch/testbed/commit columns only when a run has one.
 */
export function toGaoCsvFiles(runs: readonly BenchmarkRun[]): Record<GaoCsvFile, string> {
  const withDims = DIMENSIONS.filter((d) => runs.some((r) => r[d] !== null));
  const table = (columns: readonly string[], rows: unknown[][]) =>
    [columns, ...rows].map((r) => `${r.map(csvCell).join(",")}\r\n`).join("");
  const out = {} as Record<GaoCsvFile, string>;
  out["runs.csv"] = table(
    [...RUN_HEAD, ...withDims],
    runs.map((r) => [
      r.run_id,
      toGaoTimestamp(r.timestamp),
      r.project_name,
      r.benchmark_name,
      r.version,
      ...withDims.map((d) => r[d]),
    ]),
  );
  for (const file of GAO_CSV_FILES) {
    const group = groupOfFile(file);
    if (group === null) continue;
    const columns = GAO_CSV_COLUMNS[file];
    out[file] = table(
      columns,
      runs.map((r) => {
        const values = r[group] as unknown as Record<string, unknown>;
        return columns.map((c) => (c === "run_id" ? r.run_id : values[c]));
      }),
    );
  }
  return out;
}

/**
 * Runs already decoded by another reader (gao-dev's metrics.db rows in `to_dict()` shape). There are no
 * lines; each problem names the run: `<run_id>.performance.total_time_seconds`.
 */
export function readGaoRecords(
  items: readonly { run_id: string; raw: unknown }[],
  opts: ReadRunOptions = {},
): ReadRunsResult {
  if (opts.zone) checkTimeZone(opts.zone);
  const runs: BenchmarkRunInput[] = [];
  const issues: RunFileIssue[] = [];
  for (const item of items) {
    const r = prepareRun(item.raw, opts, () => null, [item.run_id]);
    issues.push(...r.issues);
    if (r.run) runs.push(r.run);
  }
  return { kind: "metrics_db", runs: issues.length === 0 ? runs : [], issues, partial: false };
}
