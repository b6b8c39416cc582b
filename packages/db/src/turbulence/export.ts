/**
 * Writes a stored run back as a turbulence run folder in the current shape: manifest.json (pretty),
 * instances.jsonl, steps.jsonl, assertions.jsonl and summary.json. Rows are read page by page with
 * keyset pagination and streamed to disk, so memory stays flat for runs of any size. Files are
 * written under temporary names and renamed at the end: a failed export leaves no partial folder.
 *
 * An imported run comes back exactly as it was read: manifest.json and summary.json are the stored
 * texts (runs.manifest_text/summary_text; no summary.json when the source had none, i.e. an
 * interrupted run), each line is its kept `source` or is rendered from the columns by render.ts
 * (which gives the line back exactly: see there), placeholder instances are left out, and the
 * files of artifacts/ are written back byte for byte. A run written through the API (or imported
 * from turbulence.db, which has no manifest.json) gets a manifest built from its columns
 * (runs.config minus `_turbulence` is its config, `_turbulence.manifest` keys go to the top level)
 * and, unless a summary was kept, a summary computed from the rows (a valid RunSummary, counted as
 * turbulence counts: fail_count = instances with passed false, error_count = instances with an error).
 * Every line written is valid for turbulence's own models (render.ts lists what they require).
 */
import { once } from "node:events";
import { createWriteStream, lstatSync, mkdirSync, renameSync, rmSync, writeFileSync, type WriteStream } from "node:fs";
import { dirname, join } from "node:path";
import type { Row } from "@libsql/client";
import { readInputText } from "../input-files.js";
import type { VerdictDb } from "../open.js";
import { gateMetrics } from "../queries/run-analytics.js";
import { getRun } from "../queries/runs.js";
import { OutputRefusedError, PendingOutput, commitOutputs, databaseFiles, outputWriteFailure } from "../safe-output.js";
import { safeArtifactPath } from "./artifacts.js";
import { RESERVED_CONFIG_KEY } from "./format.js";
import { PLACEHOLDER_SOURCE } from "./import.js";
import { renderAssertion, renderInstance, renderStep } from "./render.js";

export interface ExportOptions {
  /** Replace the run files (and artifacts/) of a folder holding a previous export (a run manifest.json). */
  force?: boolean;
  /** Old name of `force`. */
  overwrite?: boolean;
  /** Rows per page read from the database (default 5000). */
  pageSize?: number;
}

export interface ExportResult {
  run_id: string;
  out_dir: string;
  instances: number;
  steps: number;
  assertions: number;
  /** kept: the source's summary.json; computed: from the rows; none: the source had none (interrupted). */
  summary: "kept" | "computed" | "none";
  artifacts: number;
  files: string[];
}

type Json = Record<string, unknown>;
const FILES = ["manifest.json", "instances.jsonl", "steps.jsonl", "assertions.jsonl", "summary.json"] as const;
const bool = (v: unknown): boolean | null => (v === null || v === undefined ? null : Number(v) === 1);

class Out {
  private stream: WriteStream;
  private buf = "";
  constructor(readonly pending: PendingOutput) {
    this.stream = createWriteStream(pending.tmp, { flags: "w" });
  }
  async write(text: string): Promise<void> {
    this.buf += text;
    if (this.buf.length >= 1 << 20) await this.flush();
  }
  private async flush(): Promise<void> {
    if (this.buf === "") return;
    const chunk = this.buf;
    this.buf = "";
    if (!this.stream.write(chunk)) await once(this.stream, "drain");
  }
  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await once(this.stream, "close");
  }
  destroy(): void {
    this.stream.destroy();
  }
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
/** A stored JSON text column, spliced as-is (it passed json_valid on the way in). */
const rawJson = (v: unknown): string => (v === null || v === undefined ? "null" : String(v));

/** Rows of one run in rowid order, one page at a time, from the first rowid of the run onwards. */
async function* pages(
  h: VerdictDb,
  table: "instances" | "steps" | "assertions",
  runId: string,
  select: string,
  pageSize: number,
): AsyncGenerator<Row[]> {
  // `+run_id` keeps the planner on the rowid range (the run's rows are contiguous after an import).
  const first = await h.client.execute({ sql: `SELECT min(rowid) AS r FROM ${table} WHERE run_id = ?`, args: [runId] });
  const start = first.rows[0]?.r;
  if (start === null || start === undefined) return;
  let after = Number(start) - 1;
  for (;;) {
    const rs = await h.client.execute({
      sql: `${select} WHERE +t.run_id = ? AND t.rowid > ? ORDER BY t.rowid LIMIT ?`,
      args: [runId, after, pageSize],
    });
    if (rs.rows.length === 0) return;
    yield rs.rows;
    after = Number(rs.rows[rs.rows.length - 1]?._r);
    if (rs.rows.length < pageSize) return;
  }
}

export async function exportRun(
  h: VerdictDb,
  runId: string,
  outDir: string,
  opts: ExportOptions = {},
): Promise<ExportResult> {
  const run = await getRun(h, runId);
  const pageSize = opts.pageSize ?? 5000;
  const force = Boolean(opts.force ?? opts.overwrite);
  checkExportFolder(outDir, force);
  const protect = databaseFiles(h.url);
  const tag = `.verdict-export-${process.pid}-${Date.now()}`;
  const outs = new Map<(typeof FILES)[number], Out>();
  const open = (name: (typeof FILES)[number]) => {
    const o = new Out(PendingOutput.create(join(outDir, name), { force, protect }));
    outs.set(name, o);
    return o;
  };
  const counts = { instances: 0, steps: 0, assertions: 0 };
  let summaryKind: ExportResult["summary"] = "kept";
  let artifactsCount = 0;
  let artifactsTmp: string | null = null;
  try {
    const meta = (
      await h.client.execute({
        sql: "SELECT manifest_text, summary_text, source_format, source_files FROM runs WHERE id = ?",
        args: [runId],
      })
    ).rows[0];
    const imported = meta?.source_format !== null && meta?.source_format !== undefined;
    // A folder without assertions.jsonl (older producers) gets none back when the run has no assertions.
    const sourceFiles = meta?.source_files ? (JSON.parse(String(meta.source_files)) as string[]) : null;

    // manifest.json
    const m = open("manifest.json");
    if (meta?.manifest_text !== null && meta?.manifest_text !== undefined) await m.write(String(meta.manifest_text));
    else {
      const config: Json = { ...run.config };
      const kept = (config[RESERVED_CONFIG_KEY] ?? {}) as { manifest?: Json };
      delete config[RESERVED_CONFIG_KEY];
      const manifest: Json = {
        run_id: run.id,
        timestamp: run.started_at,
        sut_name: run.sut_name,
        scenario_ids: run.scenario_ids,
        seed: run.seed,
        config,
      };
      for (const [k, v] of Object.entries(kept.manifest ?? {})) if (!(k in manifest)) manifest[k] = v;
      await m.write(JSON.stringify(manifest, null, 2));
    }

    // instances.jsonl
    const inst = open("instances.jsonl");
    for await (const rows of pages(h, "instances", runId, "SELECT t.rowid AS _r, t.* FROM instances t", pageSize)) {
      let text = "";
      for (const r of rows) {
        if (r.source === PLACEHOLDER_SOURCE) continue;
        counts.instances++;
        if (r.source !== null) {
          text += `${String(r.source)}\n`;
          continue;
        }
        const variations = r.variations === null ? null : rawJson(r.variations);
        text += `${renderInstance({
          instance_id: String(r.id),
          run_id: run.id,
          correlation_id: str(r.correlation_id),
          scenario_id: String(r.scenario_id),
          started_at: str(r.started_at),
          completed_at: str(r.completed_at),
          duration_ms: num(r.duration_ms),
          // Imported rows hold passed as written; rows written through the API derive it from status.
          passed: imported ? bool(r.passed) : r.status === "pass",
          entry_data:
            r.entry_data !== null
              ? String(r.entry_data)
              : variations === null
                ? "{}"
                : `{"seed_data":{"variation":${variations}}}`,
          error: str(r.error),
        })}\n`;
      }
      await inst.write(text);
    }

    // steps.jsonl (a step without its own correlation id gets its instance's)
    const st = open("steps.jsonl");
    for await (const rows of pages(
      h,
      "steps",
      runId,
      `SELECT t.id AS _r, t.*, coalesce(t.correlation_id, i.correlation_id) AS corr FROM steps t
       LEFT JOIN instances i ON i.run_id = t.run_id AND i.id = t.instance_id`,
      pageSize,
    )) {
      let text = "";
      for (const r of rows) {
        text += `${
          r.source !== null
            ? String(r.source)
            : renderStep({
                instance_id: String(r.instance_id),
                run_id: run.id,
                correlation_id: str(r.corr),
                step_index: Number(r.step_index),
                step_name: String(r.action_name),
                step_type: String(r.action_type),
                timestamp: str(r.started_at),
                observation: rawJson(r.observation),
              })
        }\n`;
      }
      counts.steps += rows.length;
      await st.write(text);
    }

    // assertions.jsonl
    const assertionsFile = await h.client.execute({
      sql: "SELECT 1 FROM assertions WHERE run_id = ? LIMIT 1",
      args: [runId],
    });
    const as =
      sourceFiles && !sourceFiles.includes("assertions.jsonl") && assertionsFile.rows.length === 0
        ? null
        : open("assertions.jsonl");
    for await (const rows of pages(
      h,
      "assertions",
      runId,
      `SELECT t.id AS _r, t.*, coalesce(t.correlation_id, i.correlation_id) AS corr FROM assertions t
       LEFT JOIN instances i ON i.run_id = t.run_id AND i.id = t.instance_id`,
      pageSize,
    )) {
      let text = "";
      for (const r of rows) {
        text += `${
          r.source !== null
            ? String(r.source)
            : renderAssertion({
                instance_id: String(r.instance_id),
                run_id: run.id,
                correlation_id: str(r.corr),
                step_index: num(r.step_index),
                assertion_name: String(r.assertion_name),
                passed: Number(r.passed) === 1,
                expected: rawJson(r.expected),
                actual: rawJson(r.actual),
                message: str(r.message) ?? str(r.error),
                timestamp: str(r.timestamp),
              })
        }\n`;
      }
      counts.assertions += rows.length;
      await as?.write(text);
    }

    // summary.json
    if (meta?.summary_text !== null && meta?.summary_text !== undefined) {
      await open("summary.json").write(String(meta.summary_text));
    } else if (imported) {
      summaryKind = "none";
    } else {
      summaryKind = "computed";
      const summary = await computedSummary(h, run.id, run.started_at, run.completed_at, counts);
      await open("summary.json").write(JSON.stringify(summary, null, 2));
    }

    // artifacts/: written under a temporary folder, renamed into place with the files
    artifactsCount = await writeArtifacts(h, runId, outDir, tag, force);
    if (artifactsCount > 0) artifactsTmp = join(outDir, `artifacts${tag}`);

    for (const o of outs.values()) await o.close();
    commitOutputs([...outs.values()].map((o) => o.pending));
    if (artifactsTmp) {
      // --force on a previous export: its artifacts/ goes aside, the new one in, then the old is removed.
      const target = join(outDir, "artifacts");
      const aside = join(outDir, `artifacts${tag}.old`);
      const replacing = exists(target);
      if (replacing) renameSync(target, aside);
      renameSync(artifactsTmp, target);
      if (replacing) rmSync(aside, { recursive: true, force: true });
    }
  } catch (e) {
    for (const o of outs.values()) {
      o.destroy();
      o.pending.discard();
    }
    rmSync(join(outDir, `artifacts${tag}`), { recursive: true, force: true });
    // A write that failed (disk full, …): name the folder; the run's files are as they were.
    if (e instanceof Error && typeof (e as NodeJS.ErrnoException).syscall === "string")
      throw outputWriteFailure(outDir, e);
    throw e;
  }
  return {
    run_id: run.id,
    out_dir: outDir,
    ...counts,
    summary: summaryKind,
    artifacts: artifactsCount,
    files: [...outs.keys()].map((f) => join(outDir, f)),
  };
}

const exists = (path: string): boolean => {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
};

/** A manifest.json a turbulence run or a Verdict export wrote (a JSON object naming its SUT and start). */
function holdsRunManifest(dir: string): boolean {
  try {
    const m: unknown = JSON.parse(readInputText(join(dir, "manifest.json")));
    if (typeof m !== "object" || m === null || Array.isArray(m)) return false;
    const o = m as Json;
    return typeof o.sut_name === "string" && (typeof o.timestamp === "string" || typeof o.started_at === "string");
  } catch {
    return false;
  }
}

/**
 * An export writes only where it would not destroy anything: a folder holding none of the five run
 * files, or, with `force`, a folder whose manifest.json is a run manifest (a previous export).
 */
function checkExportFolder(outDir: string, force: boolean): void {
  const present = FILES.filter((f) => exists(join(outDir, f)));
  if (present.length === 0) return;
  if (!force)
    throw new OutputRefusedError(
      outDir,
      `${outDir} already holds ${present.join(", ")}; choose another --out, or pass --force to replace a previous export`,
    );
  if (!holdsRunManifest(outDir))
    throw new OutputRefusedError(
      outDir,
      `${outDir} holds ${present.join(", ")} but no run manifest.json, so it is not a previous export; refusing to replace them, even with --force`,
    );
}

/** Writes the run's artifacts under outDir/artifacts<tag>/ (renamed by the caller); returns how many. */
async function writeArtifacts(
  h: VerdictDb,
  runId: string,
  outDir: string,
  tag: string,
  force: boolean,
): Promise<number> {
  const first = await h.client.execute({
    sql: "SELECT count(*) AS n FROM run_artifacts WHERE run_id = ?",
    args: [runId],
  });
  const n = Number(first.rows[0]?.n ?? 0);
  if (n === 0) return 0;
  if (exists(join(outDir, "artifacts")) && !force)
    throw new OutputRefusedError(
      outDir,
      `${join(outDir, "artifacts")} already exists; choose another --out, or pass --force to replace a previous export`,
    );
  const root = join(outDir, `artifacts${tag}`);
  let after = "";
  for (;;) {
    const rs = await h.client.execute({
      sql: "SELECT path, bytes FROM run_artifacts WHERE run_id = ? AND path > ? ORDER BY path LIMIT 200",
      args: [runId, after],
    });
    for (const r of rs.rows) {
      const p = String(r.path);
      if (!safeArtifactPath(p)) throw new Error(`stored artifact path '${p}' is not a relative path`);
      const file = join(root, ...p.split("/"));
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, new Uint8Array(r.bytes as ArrayBuffer), { flag: "wx" });
      after = p;
    }
    if (rs.rows.length < 200) return n;
  }
}

/**
 * A turbulence-style summary for a run whose source had none. Its counts are disjoint, as
 * turbulence writes them: pass_count + fail_count + error_count = total_instances.
 */
async function computedSummary(
  h: VerdictDb,
  runId: string,
  startedAt: string,
  completedAt: string | null,
  counts: { instances: number; steps: number; assertions: number },
): Promise<Json> {
  const g = await gateMetrics(h, runId);
  const c = (
    await h.client.execute({
      sql: `SELECT count(*) AS n, coalesce(sum(coalesce(passed, status = 'pass') = 1), 0) AS pass,
                   coalesce(sum(coalesce(passed, status = 'pass') = 0), 0) AS fail,
                   coalesce(sum(error IS NOT NULL), 0) AS error
            FROM instances WHERE run_id = ? AND (source IS NULL OR source <> '')`,
      args: [runId],
    })
  ).rows[0];
  const total = Number(c?.n ?? 0);
  const pass = Number(c?.pass ?? 0);
  const a = await h.client.execute({
    sql: "SELECT count(*) AS n FROM assertions WHERE run_id = ? AND passed = 1",
    args: [runId],
  });
  const aPassed = Number(a.rows[0]?.n ?? 0);
  const span = completedAt === null ? Number.NaN : Date.parse(completedAt) - Date.parse(startedAt);
  // RunSummary requires a datetime and a float when the keys are present: the start stands in for an unknown end.
  const duration = Number.isFinite(span) ? Math.max(0, span) : 0;
  return {
    run_id: runId,
    completed_at: completedAt ?? startedAt,
    total_instances: total,
    pass_count: pass,
    fail_count: Number(c?.fail ?? 0),
    error_count: Number(c?.error ?? 0),
    pass_rate: total === 0 ? 0 : (pass / total) * 100,
    duration_ms: duration,
    total_steps: counts.steps,
    total_assertions: counts.assertions,
    assertions_passed: aPassed,
    assertions_failed: counts.assertions - aPassed,
    p50_latency_ms: g.p50_latency_ms ?? 0,
    p95_latency_ms: g.p95_latency_ms ?? 0,
    p99_latency_ms: g.p99_latency_ms ?? 0,
  };
}
