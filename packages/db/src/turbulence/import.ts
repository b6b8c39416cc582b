/**
 * Imports turbulence runs into the runs domain: run folders (runs/<run_id>/ with manifest.json and
 * JSONL files) and turbulence's own SQLite output (a folder holding turbulence.db, or the file).
 *
 * Visibility is all-or-nothing. A new run is written in chunks (sink.ts): its runs row says
 * state = 'importing' (every query skips it) until the chunk that completes it sets 'complete'. A
 * bad line (unless skipInvalid), a constraint failure or an abort signal (Ctrl-C) removes what was
 * written; a killed import leaves a hidden run that the next import removes (its importer process
 * is gone). `--replace` runs in ONE transaction instead, so the old run stays until the new one is in;
 * so does `oneTransaction` (faster into empty tables, but other writers wait for the whole import).
 * Source files are only ever opened read-only; files are read as streams, so memory stays flat.
 *
 * Where each piece lands (lossless: export.ts writes every file back exactly):
 * - manifest.json → runs columns (run_id|folder name, timestamp|started_at, sut_name,
 *   scenario_ids|scenarios, seed, config), the other keys under config._turbulence.manifest, and the
 *   file's text in runs.manifest_text; summary.json → config._turbulence.summary and summary_text.
 * - instances/steps/assertions.jsonl → one row per line by the mappers (mappers.ts), which keep every
 *   field (passed as written, whole entry_data, steps' and assertions' own correlation ids,
 *   assertions' message and timestamp, observation as its source text) and the line itself when the
 *   columns cannot write it back exactly.
 * - artifacts/** → run_artifacts, byte for byte (variation.json also fills instances.variations).
 * - An interrupted run (no summary.json, or an instance without completed_at) is marked
 *   runs.interrupted; steps and assertions whose instance line was never written get a placeholder
 *   instance (scenario 'unknown', as turbulence's report counts them; source = '' so export skips it).
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { VerdictDb } from "../open.js";
import { ConflictError, errorTextOf } from "../errors.js";
import { createRun } from "../queries/runs.js";
import { storeRunStats } from "../queries/run-analytics/store.js";
import { listArtifacts } from "./artifacts.js";
import { ImportInterruptedError, RunFileError } from "./errors.js";
import type { RunShape } from "./format.js";
import { type RunHeader, type RunSource, readRunHeader, runSourceAt } from "./header.js";
import { type FileLine, jsonErrorLine, readLines, readRunJsonText } from "./lines.js";
import { type LineSource, type SkippedLine, checkAbort, loadLines } from "./loader.js";
import { type InstanceRow, type MapContext, type RowResult, mapAssertion, mapInstance, mapStep } from "./mappers.js";
import { type ImportProgress, ProgressMeter } from "./progress.js";
import {
  type ChunkOptions,
  DEFAULT_CHUNKS,
  type ImportSink,
  dropIndexesForLoad,
  openSink,
  recreateIndexes,
} from "./sink.js";
import { TurbulenceDb } from "./sqlite-source.js";

export type { ImportProgress } from "./progress.js";
export type { SkippedLine } from "./loader.js";
export { readRunHeader, runSourceAt, type RunHeader, type RunSource } from "./header.js";

export const DEFAULT_BATCH_SIZE = 500;
/** instances.source of a placeholder instance (steps of an interrupted run whose instance line is missing). */
export const PLACEHOLDER_SOURCE = "";
export const PLACEHOLDER_SCENARIO = "unknown";

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
  /** Aborting removes what the import wrote and rejects with ImportInterruptedError. */
  signal?: AbortSignal;
  /** importRuns: called as each run is committed (later runs may still fail). */
  onRunDone?: (r: ImportResult) => void;
  /** Chunk sizes of a new run's import (default: 400 ms chunks, 110 ms gaps). */
  chunks?: ChunkOptions;
  /**
   * Import in ONE write transaction (as --replace does) instead of chunks: other writers wait until
   * it is done, but into empty run tables (a new per-run file), or tables holding at most about twice
   * the run's rows, the secondary indexes are dropped and rebuilt after the load (dropIndexesForLoad),
   * which is about 1.7x less CPU than keeping them up to date chunk by chunk.
   */
  oneTransaction?: boolean;
  /**
   * The database is a new file no other connection opens until the import is done (new-file.ts):
   * one transaction, indexes rebuilt after the load, and the file's lock, journal and fsyncs set for
   * a bulk load (see openSink). Only importRunsIntoNewFile sets it.
   */
  bulk?: boolean;
}

export interface ImportResult {
  run_id: string;
  path: string;
  shape: RunShape;
  source: RunSource["kind"];
  /** The source run was interrupted (no summary.json, or instances without an end). */
  interrupted: boolean;
  instances: number;
  steps: number;
  assertions: number;
  artifacts: number;
  /** Placeholder instances made for steps/assertions of instances whose line was never written. */
  placeholders: number;
  rows: number;
  skipped: SkippedLine[];
  replaced: boolean;
  bytes: number;
  elapsed_ms: number;
  rows_per_sec: number;
}

/** A stand-in for an instance whose line an interrupted run never wrote (turbulence's report: scenario "unknown"). */
function placeholderInstance(runId: string, id: string): InstanceRow {
  return [runId, id, PLACEHOLDER_SCENARIO, null, "fail", null, null, null, null, null, null, null, PLACEHOLDER_SOURCE];
}

/** pid@host of this process: a hidden run whose importer is no longer alive is a crash's leftover. */
const IMPORTER = `${process.pid}@${hostname()}`;

function importerAlive(importer: string | null): boolean {
  const m = importer === null ? null : /^(\d+)@(.*)$/.exec(importer);
  if (!m?.[1] || m[2] !== hostname()) return true; // another machine's: cannot tell, leave it
  if (Number(m[1]) === process.pid) return true;
  try {
    process.kill(Number(m[1]), 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Deletes a run and its rows, a slice at a time so that other writers get the lock in between. */
async function deleteRunRows(sink: ImportSink, runId: string): Promise<void> {
  for (const table of ["assertions", "steps", "instances", "run_artifacts"]) {
    for (;;) {
      const rs = await sink.execute({
        sql: `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE run_id = ? LIMIT 20000)`,
        args: [runId],
      });
      if (rs.rowsAffected === 0) break;
      await sink.breathe();
    }
  }
  await sink.execute({ sql: "DELETE FROM runs WHERE id = ?", args: [runId] });
}

/**
 * Removes hidden runs left by imports that died (their importer process is gone). Returns their ids.
 * Called at the start of every import.
 */
export async function cleanupCrashedImports(h: VerdictDb): Promise<string[]> {
  const sink = await openSink(h, DEFAULT_CHUNKS);
  try {
    const removed = await removeCrashedImports(sink);
    await sink.commit();
    return removed;
  } finally {
    await sink.close();
  }
}

async function removeCrashedImports(sink: ImportSink): Promise<string[]> {
  const rs = await sink.execute({ sql: "SELECT id, importer FROM runs WHERE state = 'importing'", args: [] });
  const dead = rs.rows.filter((r) => !importerAlive(r.importer === null ? null : String(r.importer)));
  for (const r of dead) await deleteRunRows(sink, String(r.id));
  return dead.map((r) => String(r.id));
}

/** The state of a run id in the database: absent, complete, or being imported (by whom). */
async function runState(
  x: Pick<ImportSink, "execute">,
  id: string,
): Promise<null | { state: string; importer: string | null }> {
  const rs = await x.execute({ sql: "SELECT state, importer FROM runs WHERE id = ?", args: [id] });
  const r = rs.rows[0];
  return r ? { state: String(r.state), importer: r.importer === null ? null : String(r.importer) } : null;
}

function conflict(runId: string, src: RunSource, st: { state: string; importer: string | null }): ConflictError {
  const from = src.kind === "jsonl" ? join(src.dir, "manifest.json") : src.dbFile;
  return st.state === "importing"
    ? new ConflictError(`run '${runId}' is being imported right now (by ${st.importer ?? "another process"})`, "run_id")
    : new ConflictError(`run '${runId}' already exists (from ${from}); use --replace to overwrite it`, "run_id");
}

/**
 * Imports one run (a run folder, a folder holding turbulence.db, or that file). Throws RunFileError
 * (`file:line: field: problem`) on the first bad line unless `skipInvalid`, ConflictError when the run
 * exists and `replace` is not set, and ImportInterruptedError when `signal` aborts; in all these cases
 * nothing stays written.
 */
export async function importRunFolder(h: VerdictDb, path: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const src = runSourceAt(path);
  if (!src) throw new RunFileError(join(path, "manifest.json"), null, "(file)", "missing: not a run folder");
  const header = readRunHeader(path);
  return importSource(h, src, header, opts);
}

interface Sources {
  instances: LineSource | null;
  steps: LineSource | null;
  assertions: LineSource | null;
  totalBytes: number;
  close(): void;
}

function lastByteIsNewline(file: string): boolean {
  const size = statSync(file).size;
  if (size === 0) return true;
  const b = Buffer.alloc(1);
  const fd = openSync(file, "r");
  try {
    readSync(fd, b, 0, 1, size - 1);
  } finally {
    closeSync(fd);
  }
  return b[0] === 10;
}

function jsonlSources(dir: string): Sources {
  const file = (name: string, required: boolean): LineSource | null => {
    const p = join(dir, name);
    if (!existsSync(p)) {
      if (required) throw new RunFileError(p, null, "(file)", "missing");
      return null;
    }
    // Opened when the loader reaches it: a stream read before its reader iterates loses lines.
    let bytesRead = () => 0;
    return {
      file: p,
      lines: (async function* () {
        const r = readLines(p);
        bytesRead = r.bytesRead;
        yield* r.batches;
      })(),
      bytesRead: () => bytesRead(),
      endsWithNewline: () => lastByteIsNewline(p),
    };
  };
  let totalBytes = 0;
  for (const f of ["instances.jsonl", "steps.jsonl", "assertions.jsonl"]) {
    const p = join(dir, f);
    if (existsSync(p)) totalBytes += statSync(p).size;
  }
  return {
    instances: file("instances.jsonl", true),
    steps: file("steps.jsonl", true),
    assertions: file("assertions.jsonl", false),
    totalBytes,
    close() {},
  };
}

function sqliteSources(dbFile: string): Sources {
  const tdb = new TurbulenceDb(dbFile);
  const table = (name: "instances" | "steps" | "assertions"): LineSource => {
    let n = 0;
    const lines = tdb.lines(name);
    return {
      file: `${dbFile} (${name})`,
      lines: (async function* () {
        let group: FileLine[] = [];
        for await (const l of lines) {
          n++;
          group.push(l);
          if (group.length >= 256) {
            yield group;
            group = [];
          }
        }
        if (group.length > 0) yield group;
      })(),
      bytesRead: () => n,
    };
  };
  return {
    instances: table("instances"),
    steps: table("steps"),
    assertions: table("assertions"),
    // Progress of a database source counts rows, not bytes.
    totalBytes: tdb.count("instances") + tdb.count("steps") + tdb.count("assertions"),
    close: () => tdb.close(),
  };
}

async function importSource(
  h: VerdictDb,
  src: RunSource,
  header: RunHeader,
  opts: ImportOptions,
): Promise<ImportResult> {
  const { runId, shape } = header;
  const dir = src.dir;
  const skipped: SkippedLine[] = [];
  const artifactsDir = join(dir, "artifacts");
  const artifacts = existsSync(artifactsDir) ? listArtifacts(artifactsDir) : [];
  const withVariationFile = new Set(
    artifacts
      .filter((a) => a.instanceId !== null && a.path === `${a.instanceId}/variation.json`)
      .map((a) => a.instanceId),
  );
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
  const ctx: MapContext = { runId, shape, variationOf, nextIndex: new Map() };

  const sources = src.kind === "jsonl" ? jsonlSources(dir) : sqliteSources(src.dbFile);
  const meter = new ProgressMeter(runId, sources.totalBytes, opts.onProgress, opts.progressIntervalMs ?? 200);
  const load = {
    // Interrupted or still running: a last line cut short is left out (see the loader).
    tornTailAllowed: header.run.completed_at === null,
    runId,
    batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE,
    skipInvalid: opts.skipInvalid ?? false,
    skipped,
    meter,
    signal: opts.signal,
  };
  const counts = { instances: 0, steps: 0, assertions: 0, artifacts: 0, placeholders: 0 };
  // Interrupted: no end time (turbulence writes summary.json, with completed_at, when the run ends;
  // a legacy manifest may carry completed_at itself), or an instance without completed_at.
  let interrupted = header.run.completed_at === null;

  // A new run is imported in chunks; a replacement in one transaction (the old run stays until the new is in).
  let chunked = !opts.oneTransaction && !opts.bulk;
  const sink = await openSink(h, chunked ? (opts.chunks ?? DEFAULT_CHUNKS) : null, undefined, opts.bulk ?? false);
  let replaced = false;
  let created = false;
  try {
    await removeCrashedImports(sink);
    const now = await runState(sink, runId);
    if (now && (now.state === "importing" || !opts.replace)) throw conflict(runId, src, now);
    if (now) {
      chunked = false;
      sink.setChunks(null);
      // Children first, so this works whether or not the connection enforces ON DELETE CASCADE.
      for (const table of ["assertions", "steps", "instances", "run_artifacts"])
        await sink.execute({ sql: `DELETE FROM ${table} WHERE run_id = ?`, args: [runId] });
      await sink.execute({ sql: "DELETE FROM runs WHERE id = ?", args: [runId] });
      replaced = true;
    }
    await createRun(h, header.run, sink);
    await sink.execute({
      sql: `UPDATE runs SET state = 'importing', importer = ?, source_format = ?, manifest_text = ?, summary_text = ?,
            source_files = ? WHERE id = ?`,
      args: [
        IMPORTER,
        src.kind,
        header.manifestText,
        header.summaryText,
        src.kind === "jsonl"
          ? JSON.stringify(
              ["instances.jsonl", "steps.jsonl", "assertions.jsonl"].filter((f) => existsSync(join(dir, f))),
            )
          : null,
        runId,
      ],
    });
    created = true;
    // Rows the run brings: a database source counts them; a JSONL line is a few hundred bytes (a guess).
    const incoming = src.kind === "jsonl" ? sources.totalBytes / 500 : sources.totalBytes;
    const rebuild = chunked ? null : await dropIndexesForLoad(sink, incoming);
    if (chunked) await sink.commitChunk();

    // instances
    let openInstance = false;
    if (sources.instances)
      counts.instances = await loadLines(
        sink,
        "instances",
        sources.instances,
        (obj, text) => {
          const r = mapInstance(ctx, obj, text);
          if (r.ok && r.row[6] === null) openInstance = true;
          return r;
        },
        load,
      );
    meter.fileDone(statSize(sources.instances));
    if (openInstance) interrupted = true;

    // steps and assertions: in an interrupted run, those of an instance never written get a placeholder
    const withPlaceholders = {
      ...load,
      onMissingInstance: async (id: string) => {
        if (!interrupted) return false;
        await sink.insert("instances", [placeholderInstance(runId, id)]);
        counts.placeholders++;
        return true;
      },
    };
    if (sources.steps)
      counts.steps = await loadLines(sink, "steps", sources.steps, (o, t) => mapStep(ctx, o, t), withPlaceholders);
    meter.fileDone(statSize(sources.steps));
    if (sources.assertions)
      counts.assertions = await loadLines(
        sink,
        "assertions",
        sources.assertions,
        (o, t) => mapAssertion(ctx, o, t),
        withPlaceholders,
      );
    meter.fileDone(statSize(sources.assertions));
    checkAbort(load);

    // artifacts/, byte for byte
    for (const a of artifacts) {
      await sink.insertArtifact(runId, a.path, a.instanceId, readFileSync(a.abs));
      counts.artifacts++;
      await sink.breathe();
    }
    checkAbort(load);
    if (rebuild) await recreateIndexes(sink, rebuild);
    checkAbort(load);
    await sink.execute({
      sql: "UPDATE runs SET state = 'complete', importer = NULL, interrupted = ? WHERE id = ?",
      args: [interrupted ? 1 : 0, runId],
    });
    await sink.commit();
  } catch (e) {
    try {
      await sink.rollback();
      // Chunks already committed: remove them (the run was never visible).
      if (chunked && created) {
        await sink.begin();
        await deleteRunRows(sink, runId);
        await sink.commit();
      }
    } catch {
      // the next import removes the leftovers (their importer is gone by then)
    }
    throw e instanceof ImportInterruptedError ? new ImportInterruptedError(runId) : e;
  } finally {
    await sink.close();
    sources.close();
  }
  // The run is in; its statistics are computed once, now (a failure leaves it without them, and
  // every question is then answered from its rows, with the same numbers).
  await storeRunStats(h, runId).catch(() => undefined);
  meter.report(true);
  const elapsedMs = meter.elapsedMs();
  return {
    run_id: runId,
    path: dir,
    shape,
    source: src.kind,
    interrupted,
    ...counts,
    rows: meter.rows,
    skipped,
    replaced,
    bytes: sources.totalBytes,
    elapsed_ms: Math.round(elapsedMs),
    rows_per_sec: Math.round(meter.rows / Math.max(elapsedMs / 1000, 1e-6)),
  };

  function statSize(s: LineSource | null): number {
    if (!s) return 0;
    return src.kind === "jsonl" ? statSync(s.file).size : s.bytesRead();
  }
}

/**
 * Run sources under a path: the path itself (a run folder, a folder holding turbulence.db, or a
 * turbulence.db file), or the run folders directly inside it.
 */
export function findRunFolders(path: string): string[] {
  if (!existsSync(path)) throw new RunFileError(path, null, "(path)", "no such file or folder");
  if (runSourceAt(path)) return [path];
  if (!statSync(path).isDirectory())
    throw new RunFileError(path, null, "(path)", "not a run folder and not turbulence's SQLite file (turbulence.db)");
  const found = readdirSync(path, { withFileTypes: true })
    .filter((e) => e.isDirectory() && runSourceAt(join(path, e.name)) !== null)
    .map((e) => join(path, e.name))
    .sort();
  if (found.length === 0)
    throw new RunFileError(
      path,
      null,
      "(path)",
      "not a run folder (no manifest.json or turbulence.db) and holds no run folders",
    );
  return found;
}

/**
 * Imports every run found under `paths`, one run at a time. Conflicts and duplicate run ids are
 * checked for all runs before the first is written, so the common refusal leaves nothing imported.
 */
export async function importRuns(h: VerdictDb, paths: string[], opts: ImportOptions = {}): Promise<ImportResult[]> {
  const folders = paths.flatMap(findRunFolders);
  const seen = new Map<string, string>();
  for (const dir of folders) {
    const { runId } = readRunHeader(dir);
    const other = seen.get(runId);
    if (other !== undefined) throw new ConflictError(`run '${runId}' appears twice: ${other} and ${dir}`, "run_id");
    seen.set(runId, dir);
    const st = await runState(h.client, runId);
    const src = runSourceAt(dir);
    const leftover = st?.state === "importing" && !importerAlive(st.importer); // removed by the import
    if (st && src && !leftover && (st.state === "importing" || !opts.replace)) throw conflict(runId, src, st);
  }
  const results: ImportResult[] = [];
  for (const dir of folders) {
    const r = await importRunFolder(h, dir, opts);
    results.push(r);
    opts.onRunDone?.(r);
  }
  return results;
}
