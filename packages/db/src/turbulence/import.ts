/**
 * Imports turbulence run folders (runs/<run_id>/) into the runs domain.
 *
 * Each run is imported inside ONE write transaction: a bad line (unless skipInvalid), a constraint
 * failure, an abort signal (Ctrl-C) or a crash leaves the database exactly as it was. Files are read
 * as streams, line by line, and written in batches, so memory stays flat however large the run is.
 * Source files are only ever opened read-only.
 *
 * Where each piece of the folder lands (a lossless mapping, so export can write it back):
 * - manifest.json → runs: run_id (or, legacy, the folder name) → id; timestamp|started_at → started_at;
 *   sut_name; scenario_ids|scenarios → scenario_ids; seed; config → config. Every other manifest key
 *   (turbulence_version, anything else, including a legacy completed_at) is kept verbatim under the
 *   reserved key `config._turbulence.manifest`; a manifest whose own config uses `_turbulence` is refused.
 * - summary.json → kept verbatim as `config._turbulence.summary` (its completed_at, else the legacy
 *   manifest's completed_at, fills runs.completed_at). A summary Verdict itself computed on export
 *   (marked `verdict_computed: true`) is derivable from the rows and is not kept.
 * - instances.jsonl → instances: instance_id → id; status = passed ? pass : fail (null → fail, its
 *   error kept); variations = entry_data|entry .seed_data.variation, else artifacts/<id>/variation.json.
 * - steps.jsonl → steps: step_name|action_name → action_name, step_type|action_type → action_type,
 *   timestamp|started_at → started_at; latency_ms/status_code/ok/service copied from the observation,
 *   and the whole observation kept. Legacy steps without step_index get their order within the instance.
 * - assertions.jsonl (optional) → assertions: error = message when the assertion failed.
 * Not kept: a step's or assertion's correlation_id (the instance's is kept), an assertion's timestamp
 * and its message when it passed, instance keys outside the list above (other entry_data content).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { VerdictDb } from "../open.js";
import { ConflictError, errorTextOf } from "../errors.js";
import { type AssertionTuple, type InstanceTuple, type StepTuple, createRun, runExists } from "../queries/runs.js";
import {
  COMPUTED_SUMMARY_KEY,
  type FieldProblem,
  MANIFEST_COLUMN_KEYS,
  RESERVED_CONFIG_KEY,
  type RunShape,
  applyAliases,
  assertionLine,
  check,
  detectShape,
  instanceCurrent,
  instanceLegacy,
  manifestCurrent,
  manifestLegacy,
  stepCurrent,
  stepLegacy,
  summaryFormat,
} from "./format.js";
import { type JsonValue, identifier } from "@verdict/schema";
import { ImportInterruptedError, RunFileError } from "./errors.js";
import { jsonErrorLine, lineOfKey, readLines, readRunJsonText } from "./lines.js";
import { type ImportSink, type ImportTable, dropIndexesIfEmpty, openSink, recreateIndexes } from "./sink.js";

export const DEFAULT_BATCH_SIZE = 500;

export interface ImportProgress {
  run_id: string;
  /** Rows written so far (instances + steps + assertions). */
  rows: number;
  bytes: number;
  totalBytes: number;
  rowsPerSec: number;
  /** Seconds left at the current pace; null until there is a pace. */
  etaSec: number | null;
}

export interface ImportOptions {
  /** Import every valid line and report the invalid ones instead of refusing the whole run. */
  skipInvalid?: boolean;
  /** Delete an existing run with the same id (in the same transaction) instead of refusing. */
  replace?: boolean;
  /** Rows per INSERT statement (default 500). */
  batchSize?: number;
  onProgress?: (p: ImportProgress) => void;
  /** Milliseconds between progress reports (default 200). */
  progressIntervalMs?: number;
  /** Aborting rolls the run back and rejects with ImportInterruptedError. */
  signal?: AbortSignal;
  /** importRuns: called as each run is committed (later runs may still fail). */
  onRunDone?: (r: ImportResult) => void;
}

export interface SkippedLine {
  file: string;
  line: number | null;
  field: string;
  problem: string;
}

export interface ImportResult {
  run_id: string;
  path: string;
  shape: RunShape;
  instances: number;
  steps: number;
  assertions: number;
  rows: number;
  skipped: SkippedLine[];
  replaced: boolean;
  bytes: number;
  elapsed_ms: number;
  rows_per_sec: number;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function readJsonFile(file: string, display: string): { text: string; value: Json } {
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
}

/** Reads and validates manifest.json (+ summary.json when present) of one run folder. */
export function readRunHeader(dir: string): RunHeader {
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

  let summary: Json | null = null;
  let completed = legacyCompleted;
  const sFile = join(dir, "summary.json");
  if (existsSync(sFile)) {
    const { text: sText, value } = readJsonFile(sFile, sFile);
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
  const kept: Json = {};
  if (Object.keys(extras).length > 0) kept.manifest = extras;
  if (summary) kept.summary = summary;
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
  };
}

type RowResult<T> = { ok: true; row: T } | { ok: false; problem: FieldProblem; file?: string; line?: number | null };

interface FileSpec<T> {
  name: string;
  table: ImportTable;
  required: boolean;
  toRow(obj: Json): RowResult<T>;
  /** Field and text for a row the database refused (after zod accepted it). */
  refused(row: T, e: unknown): FieldProblem;
}

function dbProblem(e: unknown, instanceId: string, table: "instances" | "steps" | "assertions"): FieldProblem {
  const text = errorTextOf(e);
  if (/FOREIGN KEY constraint failed/i.test(text))
    return { field: "instance_id", problem: `no instance '${instanceId}' in instances.jsonl` };
  if (table === "instances" && /UNIQUE constraint failed/i.test(text))
    return { field: "instance_id", problem: `duplicate instance '${instanceId}'` };
  const m = /CHECK constraint failed: ([A-Za-z0-9_]+)/.exec(text);
  if (m?.[1]) return { field: "(row)", problem: `refused by the database (${m[1]})` };
  return { field: "(row)", problem: `refused by the database (${text})` };
}

/**
 * Imports one run folder. Throws RunFileError (`file:line: field: problem`) on the first bad line
 * unless `skipInvalid`, ConflictError when the run exists and `replace` is not set, and
 * ImportInterruptedError when `signal` aborts; in all these cases nothing is written.
 */
export async function importRunFolder(h: VerdictDb, dir: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const started = performance.now();
  const header = readRunHeader(dir);
  const { runId, shape } = header;
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  const interval = opts.progressIntervalMs ?? 200;
  const skipped: SkippedLine[] = [];

  // Variation files exist for some instances; list the folder once instead of probing per instance.
  const artifactsDir = join(dir, "artifacts");
  const withVariationFile = new Set<string>();
  if (existsSync(artifactsDir)) {
    for (const entry of readdirSync(artifactsDir, { withFileTypes: true })) {
      if (entry.isDirectory() && existsSync(join(artifactsDir, entry.name, "variation.json")))
        withVariationFile.add(entry.name);
    }
  }

  const files = ["instances.jsonl", "steps.jsonl", "assertions.jsonl"];
  let totalBytes = 0;
  for (const f of files) {
    const p = join(dir, f);
    if (existsSync(p)) totalBytes += statSync(p).size;
  }

  const mismatch = (got: string | undefined): FieldProblem | null =>
    got !== undefined && got !== runId ? { field: "run_id", problem: `'${got}' is not this run ('${runId}')` } : null;

  const variationOf = (instanceId: string, fromEntry: unknown): RowResult<string | null> => {
    if (fromEntry !== undefined && fromEntry !== null) return { ok: true, row: JSON.stringify(fromEntry) };
    if (!withVariationFile.has(instanceId)) return { ok: true, row: null };
    const file = join(artifactsDir, instanceId, "variation.json");
    const text = readRunJsonText(file);
    try {
      const v: unknown = JSON.parse(text);
      return { ok: true, row: v === null ? null : JSON.stringify(v) };
    } catch (e) {
      const msg = errorTextOf(e);
      return {
        ok: false,
        file,
        line: jsonErrorLine(text, msg),
        problem: { field: "(json)", problem: `not valid JSON (${msg})` },
      };
    }
  };

  const instances: FileSpec<InstanceTuple> = {
    name: "instances.jsonl",
    table: "instances",
    required: true,
    toRow(obj) {
      applyAliases("instance", shape, obj);
      let v: {
        instance_id: string;
        run_id?: string | undefined;
        correlation_id?: string | null | undefined;
        scenario_id: string;
        started_at?: string | null | undefined;
        completed_at?: string | null | undefined;
        duration_ms?: number | null | undefined;
        passed?: boolean | null | undefined;
        error?: string | null | undefined;
      };
      let entry: { seed_data?: { variation?: unknown } | null | undefined } | null | undefined;
      if (shape === "current") {
        const r = check(instanceCurrent, obj);
        if (!r.ok) return r;
        v = r.value;
        entry = r.value.entry_data;
      } else {
        const r = check(instanceLegacy, obj);
        if (!r.ok) return r;
        v = r.value;
        entry = r.value.entry;
      }
      const bad = mismatch(v.run_id);
      if (bad) return { ok: false, problem: bad };
      const variation = variationOf(v.instance_id, entry?.seed_data?.variation);
      if (!variation.ok) return variation;
      return {
        ok: true,
        row: [
          runId,
          v.instance_id,
          v.scenario_id,
          v.correlation_id ?? null,
          v.passed === true ? "pass" : "fail",
          v.started_at ?? null,
          v.completed_at ?? null,
          v.duration_ms ?? null,
          variation.row,
          v.error ?? null,
        ],
      };
    },
    refused: (row, e) => dbProblem(e, row[1], "instances"),
  };

  // Legacy steps carry no index: their order within the instance is the index.
  const nextIndex = new Map<string, number>();
  const steps: FileSpec<StepTuple> = {
    name: "steps.jsonl",
    table: "steps",
    required: true,
    toRow(obj) {
      applyAliases("step", shape, obj);
      let instanceId: string;
      let stepIndex: number;
      let name: string;
      let type: string;
      let at: string | null;
      let obs: {
        ok?: boolean | null | undefined;
        status_code?: number | null | undefined;
        latency_ms?: number | null | undefined;
        service?: string | null | undefined;
      };
      if (shape === "current") {
        const r = check(stepCurrent, obj);
        if (!r.ok) return r;
        const bad = mismatch(r.value.run_id);
        if (bad) return { ok: false, problem: bad };
        ({ instance_id: instanceId, step_index: stepIndex, step_name: name, step_type: type } = r.value);
        at = r.value.timestamp ?? null;
        obs = r.value.observation;
      } else {
        const r = check(stepLegacy, obj);
        if (!r.ok) return r;
        const bad = mismatch(r.value.run_id);
        if (bad) return { ok: false, problem: bad };
        ({ instance_id: instanceId, action_name: name, action_type: type } = r.value);
        if (r.value.step_index === undefined) {
          stepIndex = nextIndex.get(instanceId) ?? 0;
          nextIndex.set(instanceId, stepIndex + 1);
        } else stepIndex = r.value.step_index;
        at = r.value.started_at ?? null;
        obs = r.value.observation;
      }
      return {
        ok: true,
        row: [
          runId,
          instanceId,
          stepIndex,
          name,
          type,
          obs.service ?? null,
          at,
          obs.latency_ms ?? null,
          obs.status_code ?? null,
          obs.ok === undefined || obs.ok === null ? null : obs.ok ? 1 : 0,
          // The observation exactly as the file had it (zod's copy would be the same value, but this keeps key order).
          JSON.stringify(obj.observation),
        ],
      };
    },
    refused: (row, e) => dbProblem(e, row[1], "steps"),
  };

  const assertions: FileSpec<AssertionTuple> = {
    name: "assertions.jsonl",
    table: "assertions",
    required: false,
    toRow(obj) {
      const r = check(assertionLine, obj);
      if (!r.ok) return r;
      const v = r.value;
      const bad = mismatch(v.run_id);
      if (bad) return { ok: false, problem: bad };
      const jsonOrNull = (x: unknown) => (x === undefined || x === null ? null : JSON.stringify(x));
      return {
        ok: true,
        row: [
          runId,
          v.instance_id,
          v.step_index ?? null,
          v.assertion_name,
          v.passed ? 1 : 0,
          jsonOrNull(v.expected),
          jsonOrNull(v.actual),
          v.passed ? null : (v.message ?? null),
        ],
      };
    },
    refused: (row, e) => dbProblem(e, row[1], "assertions"),
  };

  const counts = { instances: 0, steps: 0, assertions: 0 };
  let rows = 0;
  let bytesDone = 0;
  let lastReport = 0;
  let currentBytes: () => number = () => 0;

  const report = (force: boolean) => {
    if (!opts.onProgress) return;
    const now = performance.now();
    if (!force && now - lastReport < interval) return;
    lastReport = now;
    const elapsed = Math.max((now - started) / 1000, 1e-6);
    const bytes = Math.min(bytesDone + currentBytes(), totalBytes);
    const bytesPerSec = bytes / elapsed;
    opts.onProgress({
      run_id: runId,
      rows,
      bytes,
      totalBytes,
      rowsPerSec: rows / elapsed,
      etaSec: bytes > 0 ? Math.max(0, (totalBytes - bytes) / bytesPerSec) : null,
    });
  };

  const checkAbort = () => {
    if (opts.signal?.aborted) throw new ImportInterruptedError(runId);
  };

  async function load<T extends InstanceTuple | StepTuple | AssertionTuple>(
    sink: ImportSink,
    spec: FileSpec<T>,
    key: keyof typeof counts,
  ): Promise<void> {
    const path = join(dir, spec.name);
    if (!existsSync(path)) {
      if (spec.required) throw new RunFileError(path, null, "(file)", "missing");
      return;
    }
    const fail = (file: string, line: number | null, p: FieldProblem) => {
      if (!opts.skipInvalid) throw new RunFileError(file, line, p.field, p.problem);
      skipped.push({ file, line, field: p.field, problem: p.problem });
    };
    let batch: T[] = [];
    let batchLines: number[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      try {
        await sink.insert(spec.table, batch);
        counts[key] += batch.length;
        rows += batch.length;
      } catch (e) {
        if (!/constraint failed/i.test(errorTextOf(e))) throw e;
        // Find the refused rows one at a time (a failed statement leaves the transaction usable).
        for (let i = 0; i < batch.length; i++) {
          const row = batch[i] as T;
          try {
            await sink.insert(spec.table, [row]);
            counts[key]++;
            rows++;
          } catch (e) {
            fail(path, batchLines[i] ?? null, spec.refused(row, e));
          }
        }
      }
      batch = [];
      batchLines = [];
      checkAbort();
      report(false);
    };
    const skippedBefore = skipped.length;
    const reader = readLines(path);
    currentBytes = reader.bytesRead;
    for await (const { line, text } of reader.lines) {
      if (opts.signal?.aborted) checkAbort();
      if (text.trim() === "") continue;
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch (e) {
        fail(path, line, { field: "(json)", problem: `not valid JSON (${errorTextOf(e)})` });
        continue;
      }
      if (!isObject(obj)) {
        fail(path, line, { field: "(json)", problem: "expected a JSON object" });
        continue;
      }
      const r = spec.toRow(obj);
      if (!r.ok) {
        fail(r.file ?? path, r.file ? (r.line ?? null) : line, r.problem);
        continue;
      }
      batch.push(r.row);
      batchLines.push(line);
      if (batch.length >= batchSize) await flush();
    }
    await flush();
    // Row refusals are found at flush time, after later lines' parse errors: list them in file order.
    const mine = skipped.splice(skippedBefore).sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    skipped.push(...mine);
    bytesDone += statSync(path).size;
    currentBytes = () => 0;
  }

  const sink = await openSink(h);
  let replaced = false;
  try {
    if (await runExists(sink, runId)) {
      if (!opts.replace)
        throw new ConflictError(
          `run '${runId}' already exists (from ${join(dir, "manifest.json")}); use --replace to overwrite it`,
          "run_id",
        );
      // Children first, so this works whether or not the connection enforces ON DELETE CASCADE.
      for (const table of ["assertions", "steps", "instances"])
        await sink.execute({ sql: `DELETE FROM ${table} WHERE run_id = ?`, args: [runId] });
      await sink.execute({ sql: "DELETE FROM runs WHERE id = ?", args: [runId] });
      replaced = true;
    }
    await createRun(h, header.run, sink);
    const rebuild = await dropIndexesIfEmpty(sink);
    await load(sink, instances, "instances");
    await load(sink, steps, "steps");
    await load(sink, assertions, "assertions");
    checkAbort();
    if (rebuild) await recreateIndexes(sink, rebuild);
    checkAbort();
    await sink.commit();
  } catch (e) {
    try {
      await sink.rollback();
    } catch {
      // already rolled back
    }
    throw e;
  } finally {
    sink.close();
  }
  report(true);
  const elapsedMs = performance.now() - started;
  return {
    run_id: runId,
    path: dir,
    shape,
    ...counts,
    rows,
    skipped,
    replaced,
    bytes: totalBytes,
    elapsed_ms: Math.round(elapsedMs),
    rows_per_sec: Math.round(rows / Math.max(elapsedMs / 1000, 1e-6)),
  };
}

/** A run folder itself, or the run folders (sub-folders with a manifest.json) directly inside it. */
export function findRunFolders(path: string): string[] {
  if (!existsSync(path)) throw new RunFileError(path, null, "(path)", "no such file or folder");
  if (!statSync(path).isDirectory()) throw new RunFileError(path, null, "(path)", "not a folder");
  if (existsSync(join(path, "manifest.json"))) return [path];
  const found = readdirSync(path, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(path, e.name, "manifest.json")))
    .map((e) => join(path, e.name))
    .sort();
  if (found.length === 0)
    throw new RunFileError(path, null, "(path)", "not a run folder (no manifest.json) and holds no run folders");
  return found;
}

/**
 * Imports every run folder found under `paths` (each a run folder or a folder of run folders), one
 * transaction per run. Conflicts and duplicate run ids are checked for all runs before the first is
 * written, so the common refusal leaves nothing imported.
 */
export async function importRuns(h: VerdictDb, paths: string[], opts: ImportOptions = {}): Promise<ImportResult[]> {
  const folders = paths.flatMap(findRunFolders);
  const seen = new Map<string, string>();
  for (const dir of folders) {
    const { runId } = readRunHeader(dir);
    const other = seen.get(runId);
    if (other !== undefined) throw new ConflictError(`run '${runId}' appears twice: ${other} and ${dir}`, "run_id");
    seen.set(runId, dir);
    if (!opts.replace && (await runExists(h.client, runId)))
      throw new ConflictError(
        `run '${runId}' already exists (from ${join(dir, "manifest.json")}); use --replace to overwrite it`,
        "run_id",
      );
  }
  const results: ImportResult[] = [];
  for (const dir of folders) {
    const r = await importRunFolder(h, dir, opts);
    results.push(r);
    opts.onRunDone?.(r);
  }
  return results;
}
