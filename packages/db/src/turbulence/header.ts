/**
 * What a run source says about its run before any row is read: manifest.json (+ summary.json) of a
 * run folder, or the runs row (+ summary.json) of turbulence.db. The files' texts are kept verbatim
 * (runs.manifest_text / summary_text) so export writes them back byte for byte.
 */
import { existsSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { type JsonValue, identifier } from "@verdict/schema";
import { errorTextOf } from "../errors.js";
import {
  COMPUTED_SUMMARY_KEY,
  type FieldProblem,
  MANIFEST_COLUMN_KEYS,
  RESERVED_CONFIG_KEY,
  type RunShape,
  applyAliases,
  check,
  detectShape,
  manifestCurrent,
  manifestLegacy,
  summaryFormat,
} from "./format.js";
import { RunFileError } from "./errors.js";
import { jsonErrorLine, lineOfKey, readRunJsonText } from "./lines.js";
import { TurbulenceDb, isTurbulenceDatabase } from "./sqlite-source.js";

/** Where a run is read from: a run folder of JSONL files, or turbulence's own SQLite file. */
export type RunSource = { kind: "jsonl"; dir: string } | { kind: "sqlite"; dir: string; dbFile: string };

export const TURBULENCE_DB = "turbulence.db";

/** A run folder (manifest.json), a folder holding turbulence.db, or a turbulence.db file; null otherwise. */
export function runSourceAt(path: string): RunSource | null {
  if (!existsSync(path)) return null;
  const st = statSync(path);
  if (st.isFile()) return isTurbulenceDatabase(path) ? { kind: "sqlite", dir: dirname(path), dbFile: path } : null;
  if (!st.isDirectory()) return null;
  if (existsSync(join(path, "manifest.json"))) return { kind: "jsonl", dir: path };
  const db = join(path, TURBULENCE_DB);
  if (existsSync(db)) return { kind: "sqlite", dir: path, dbFile: db };
  return null;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function readJsonFile(file: string, display: string): { text: string; value: Json } {
  // A regular file of at most 64 MiB (lines.ts); anything else is a one-line RunFileError.
  const text = readRunJsonText(file, display);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const msg = errorTextOf(e);
    throw new RunFileError(display, jsonErrorLine(text, msg), "(json)", `not valid JSON (${msg})`);
  }
  if (!isObject(value)) throw new RunFileError(display, 1, "(json)", "expected a JSON object");
  return { text, value };
}

/** What the manifest (and summary) of a folder say, before anything is written. */
export interface RunHeader {
  runId: string;
  shape: RunShape;
  run: {
    id: string;
    started_at: string;
    completed_at: string | null;
    sut_name: string;
    scenario_ids: string[];
    seed: number | null;
    config: Record<string, JsonValue>;
  };
  /** manifest.json and summary.json as the folder holds them (null: no such file). */
  manifestText: string | null;
  summaryText: string | null;
}

/** Reads and validates manifest.json (+ summary.json when present) of one run folder. */
export function readRunHeader(dir: string): RunHeader {
  const src = runSourceAt(dir);
  if (src?.kind === "sqlite") return readSqliteHeader(src.dir, src.dbFile);
  const mFile = join(dir, "manifest.json");
  if (!existsSync(mFile)) throw new RunFileError(mFile, null, "(file)", "missing: not a run folder");
  const { text, value: manifest } = readJsonFile(mFile, mFile);
  const shape = detectShape(manifest);
  applyAliases("manifest", shape, manifest);
  const problemAt = (p: FieldProblem): RunFileError => {
    const top = p.field.split(".")[0] ?? p.field;
    return new RunFileError(mFile, lineOfKey(text, top), p.field, p.problem);
  };
  let started: string;
  let scenarioIds: string[];
  let base: { run_id?: string | undefined; sut_name: string; seed?: number | null | undefined; config?: Json | null };
  let legacyCompleted: string | null = null;
  if (shape === "current") {
    const r = check(manifestCurrent, manifest);
    if (!r.ok) throw problemAt(r.problem);
    base = r.value;
    started = r.value.timestamp;
    scenarioIds = r.value.scenario_ids;
  } else {
    const r = check(manifestLegacy, manifest);
    if (!r.ok) throw problemAt(r.problem);
    base = r.value;
    started = r.value.started_at;
    scenarioIds = r.value.scenarios;
    legacyCompleted = r.value.completed_at ?? null;
  }
  const runId = base.run_id ?? basename(dir.replace(/[/\\]+$/, ""));
  if (!identifier.safeParse(runId).success)
    throw new RunFileError(mFile, 1, "run_id", `folder name '${runId}' is not a usable run id (no run_id in manifest)`);
  const config: Json = { ...(base.config ?? {}) };
  if (RESERVED_CONFIG_KEY in config)
    throw new RunFileError(
      mFile,
      lineOfKey(text, RESERVED_CONFIG_KEY),
      `config.${RESERVED_CONFIG_KEY}`,
      "reserved key (Verdict keeps the manifest's extra keys there)",
    );
  const columnKeys = new Set(MANIFEST_COLUMN_KEYS[shape]);
  const extras: Json = {};
  for (const [k, v] of Object.entries(manifest)) if (!columnKeys.has(k)) extras[k] = v;

  const s = readSummary(dir, runId);
  const completed = s.completed ?? legacyCompleted;
  const kept: Json = {};
  if (Object.keys(extras).length > 0) kept.manifest = extras;
  if (s.summary) kept.summary = s.summary;
  if (Object.keys(kept).length > 0) config[RESERVED_CONFIG_KEY] = kept;
  return {
    runId,
    shape,
    run: {
      id: runId,
      started_at: started,
      completed_at: completed,
      sut_name: base.sut_name,
      scenario_ids: scenarioIds,
      seed: base.seed ?? null,
      // Every value came out of JSON.parse, so it is JSON.
      config: config as Record<string, JsonValue>,
    },
    manifestText: text,
    summaryText: s.text,
  };
}

/** summary.json of a folder, when there is one (an interrupted run has none). */
function readSummary(
  dir: string,
  runId: string,
): { text: string | null; summary: Json | null; completed: string | null } {
  let summary: Json | null = null;
  let completed: string | null = null;
  const sFile = join(dir, "summary.json");
  let sText: string | null = null;
  if (existsSync(sFile)) {
    const read = readJsonFile(sFile, sFile);
    sText = read.text;
    const value = read.value;
    const r = check(summaryFormat, value);
    if (!r.ok) {
      const top = r.problem.field.split(".")[0] ?? r.problem.field;
      throw new RunFileError(sFile, lineOfKey(sText, top), r.problem.field, r.problem.problem);
    }
    if (r.value.run_id !== undefined && r.value.run_id !== runId)
      throw new RunFileError(
        sFile,
        lineOfKey(sText, "run_id"),
        "run_id",
        `'${r.value.run_id}' is not this run ('${runId}')`,
      );
    if (r.value.completed_at) completed = r.value.completed_at;
    if (value[COMPUTED_SUMMARY_KEY] !== true) summary = value;
  }
  return { text: sText, summary, completed };
}

/** The run row of turbulence.db (+ the folder's summary.json): turbulence writes no manifest.json then. */
function readSqliteHeader(dir: string, dbFile: string): RunHeader {
  const tdb = new TurbulenceDb(dbFile);
  let r: ReturnType<TurbulenceDb["run"]>;
  try {
    r = tdb.run();
  } finally {
    tdb.close();
  }
  const bad = (field: string, problem: string) => new RunFileError(`${dbFile} (runs)`, null, field, problem);
  if (!identifier.safeParse(r.id).success) throw bad("id", `'${r.id}' is not a usable run id`);
  if (r.started_at === null) throw bad("started_at", "required");
  if (!r.sut_name) throw bad("sut_name", "required");
  const ids = r.scenario_ids ?? [];
  if (!Array.isArray(ids) || !ids.every((x) => typeof x === "string" && x !== ""))
    throw bad("scenario_ids", "expected a JSON array of scenario ids");
  const config = r.config ?? {};
  if (typeof config !== "object" || Array.isArray(config)) throw bad("config", "expected a JSON object");
  if (RESERVED_CONFIG_KEY in config) throw bad(`config.${RESERVED_CONFIG_KEY}`, "reserved key");
  const s = readSummary(dir, r.id);
  const cfg = { ...(config as Json) };
  if (s.summary) cfg[RESERVED_CONFIG_KEY] = { summary: s.summary };
  return {
    runId: r.id,
    shape: "current",
    run: {
      id: r.id,
      started_at: r.started_at,
      completed_at: s.completed,
      sut_name: r.sut_name,
      scenario_ids: ids as string[],
      seed: r.seed,
      config: cfg as Record<string, JsonValue>,
    },
    manifestText: null,
    summaryText: s.text,
  };
}
