/**
 * Writes a stored run back as a turbulence run folder in the current shape: manifest.json (pretty),
 * instances.jsonl, steps.jsonl, assertions.jsonl and summary.json. Rows are read page by page with
 * keyset pagination and streamed to disk, so memory stays flat for runs of any size. Files are
 * written under temporary names (safe-output.ts) and put in place at the end: a failed export leaves
 * no partial folder. A folder already holding any of the five files is refused unless `force`, and
 * even then only when it holds a run manifest.json (a previous export or a turbulence run folder):
 * an export never replaces files it could not have written, nor the open database.
 *
 * Inverse of import.ts's mapping: runs.config minus `_turbulence` is the manifest's config, and
 * `_turbulence.manifest` keys go back to the manifest's top level; `_turbulence.summary` is written
 * verbatim as summary.json, or, when the source had none, a summary computed from the rows and
 * marked `verdict_computed: true`. JSON columns (observation, variations, expected, actual) are
 * spliced in as stored, without a parse/serialize round.
 */
import { once } from "node:events";
import { createWriteStream, lstatSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import type { Row } from "@libsql/client";
import { readInputText } from "../input-files.js";
import type { VerdictDb } from "../open.js";
import { countInstancesByStatus, gateMetrics } from "../queries/run-analytics.js";
import { getRun } from "../queries/runs.js";
import { OutputRefusedError, PendingOutput, commitOutputs, databaseFiles, outputWriteFailure } from "../safe-output.js";
import { COMPUTED_SUMMARY_KEY, RESERVED_CONFIG_KEY } from "./format.js";

export interface ExportOptions {
  /** Replace the five run files of a folder holding a previous export (a run manifest.json). */
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
  summary: "kept" | "computed";
  files: string[];
}

type Json = Record<string, unknown>;
const FILES = ["manifest.json", "instances.jsonl", "steps.jsonl", "assertions.jsonl", "summary.json"] as const;

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
  const outs = new Map<(typeof FILES)[number], Out>();
  const open = (name: (typeof FILES)[number]) => {
    const o = new Out(PendingOutput.create(join(outDir, name), { force, protect }));
    outs.set(name, o);
    return o;
  };
  const counts = { instances: 0, steps: 0, assertions: 0 };
  let summaryKind: ExportResult["summary"] = "kept";
  try {
    // manifest.json
    const config: Json = { ...run.config };
    const kept = (config[RESERVED_CONFIG_KEY] ?? {}) as { manifest?: Json; summary?: Json };
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
    const m = open("manifest.json");
    await m.write(`${JSON.stringify(manifest, null, 2)}\n`);

    // instances.jsonl
    const inst = open("instances.jsonl");
    const runIdJson = JSON.stringify(run.id);
    for await (const rows of pages(h, "instances", runId, "SELECT t.rowid AS _r, t.* FROM instances t", pageSize)) {
      let text = "";
      for (const r of rows) {
        const failed = r.status !== "pass";
        const error = str(r.error);
        // Errored instances (failed with an error message) are turbulence's `passed: null`.
        const passed = failed ? (error === null ? false : null) : true;
        const head = JSON.stringify({
          instance_id: str(r.id),
          run_id: run.id,
          correlation_id: str(r.correlation_id),
          scenario_id: str(r.scenario_id),
          started_at: str(r.started_at),
          completed_at: str(r.completed_at),
          duration_ms: num(r.duration_ms),
          passed,
        });
        const entry = r.variations === null ? "" : `,"entry_data":{"seed_data":{"variation":${rawJson(r.variations)}}}`;
        text += `${head.slice(0, -1)}${entry},"error":${JSON.stringify(error)}}\n`;
      }
      counts.instances += rows.length;
      await inst.write(text);
    }

    // steps.jsonl (correlation_id comes from the instance)
    const st = open("steps.jsonl");
    for await (const rows of pages(
      h,
      "steps",
      runId,
      `SELECT t.id AS _r, t.*, i.correlation_id AS correlation_id FROM steps t
       LEFT JOIN instances i ON i.run_id = t.run_id AND i.id = t.instance_id`,
      pageSize,
    )) {
      let text = "";
      for (const r of rows) {
        text += `{"instance_id":${JSON.stringify(str(r.instance_id))},"run_id":${runIdJson},"correlation_id":${JSON.stringify(
          str(r.correlation_id),
        )},"step_index":${Number(r.step_index)},"step_name":${JSON.stringify(str(r.action_name))},"step_type":${JSON.stringify(
          str(r.action_type),
        )},"timestamp":${JSON.stringify(str(r.started_at))},"observation":${rawJson(r.observation)}}\n`;
      }
      counts.steps += rows.length;
      await st.write(text);
    }

    // assertions.jsonl
    const as = open("assertions.jsonl");
    for await (const rows of pages(
      h,
      "assertions",
      runId,
      `SELECT t.id AS _r, t.*, i.correlation_id AS correlation_id FROM assertions t
       LEFT JOIN instances i ON i.run_id = t.run_id AND i.id = t.instance_id`,
      pageSize,
    )) {
      let text = "";
      for (const r of rows) {
        text += `{"instance_id":${JSON.stringify(str(r.instance_id))},"run_id":${runIdJson},"correlation_id":${JSON.stringify(
          str(r.correlation_id),
        )},"step_index":${JSON.stringify(num(r.step_index))},"assertion_name":${JSON.stringify(
          str(r.assertion_name),
        )},"passed":${Number(r.passed) === 1},"expected":${rawJson(r.expected)},"actual":${rawJson(
          r.actual,
        )},"message":${JSON.stringify(str(r.error))}}\n`;
      }
      counts.assertions += rows.length;
      await as.write(text);
    }

    // summary.json
    let summary: Json;
    if (kept.summary) summary = kept.summary;
    else {
      summaryKind = "computed";
      summary = await computedSummary(h, run.id, run.started_at, run.completed_at, counts);
    }
    const su = open("summary.json");
    await su.write(`${JSON.stringify(summary, null, 2)}\n`);

    for (const o of outs.values()) await o.close();
    commitOutputs([...outs.values()].map((o) => o.pending));
  } catch (e) {
    for (const o of outs.values()) {
      o.destroy();
      o.pending.discard();
    }
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
    files: FILES.map((f) => join(outDir, f)),
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
  const c = await countInstancesByStatus(h, runId);
  const g = await gateMetrics(h, runId);
  const a = await h.client.execute({
    sql: "SELECT count(*) AS n FROM assertions WHERE run_id = ? AND passed = 1",
    args: [runId],
  });
  const aPassed = Number(a.rows[0]?.n ?? 0);
  const span = completedAt === null ? Number.NaN : Date.parse(completedAt) - Date.parse(startedAt);
  const duration = Number.isFinite(span) ? Math.max(0, span) : null;
  return {
    run_id: runId,
    completed_at: completedAt,
    total_instances: c.instances,
    pass_count: c.pass,
    fail_count: c.fail - c.error,
    error_count: c.error,
    pass_rate: c.pass_rate ?? 0,
    duration_ms: duration,
    total_steps: counts.steps,
    total_assertions: counts.assertions,
    assertions_passed: aPassed,
    assertions_failed: counts.assertions - aPassed,
    p50_latency_ms: g.p50_latency_ms,
    p95_latency_ms: g.p95_latency_ms,
    p99_latency_ms: g.p99_latency_ms,
    [COMPUTED_SUMMARY_KEY]: true,
  };
}
