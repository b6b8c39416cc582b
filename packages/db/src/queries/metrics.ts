import {
  type BenchmarkExportInput,
  type BenchmarkListInput,
  type BenchmarkRun,
  type BenchmarkRunInput,
  type BenchmarkRunParsed,
  type BenchmarkScopeInput,
  type Page,
  SCALAR_METRICS,
  type ScalarMetricName,
  benchmarkExportInput,
  benchmarkListInput,
  benchmarkRunInput,
  benchmarkScopeInput,
} from "@verdict/schema";
import { and, desc, eq, gte, inArray, lt, lte, or, type SQL } from "drizzle-orm";
import { translateDbError } from "../db-errors.js";
import { NotFoundError } from "../errors.js";
import type { VerdictDb } from "../open.js";
import {
  autonomyMetrics,
  benchmarkRuns,
  performanceMetrics,
  qualityMetrics,
  workflowMetrics,
} from "../schema/metrics.js";
import { decodeCursor, newId, toPage } from "./common.js";

/** Records a run and its four metric groups in one transaction. */
export async function recordBenchmarkRun(h: VerdictDb, raw: BenchmarkRunInput): Promise<BenchmarkRun> {
  const input = benchmarkRunInput.parse(raw);
  const run_id = input.run_id ?? newId("bench");
  const runRow = {
    run_id,
    timestamp: input.timestamp,
    project_name: input.project_name,
    benchmark_name: input.benchmark_name,
    version: input.version,
    metadata: input.metadata,
    branch: input.branch ?? null,
    testbed: input.testbed ?? null,
    commit: input.commit ?? null,
  };
  try {
    await h.db.transaction(async (tx) => insertRun(tx, { ...input, run_id }));
  } catch (e) {
    throw await translateDbError(h.client, e, { table: "benchmark_runs", row: runRow });
  }
  return getBenchmarkRun(h, run_id);
}

type Tx = Parameters<Parameters<VerdictDb["db"]["transaction"]>[0]>[0];

/** Inserts one validated run and its four groups inside the caller's transaction. */
export async function insertRun(tx: Tx, input: BenchmarkRunParsed & { run_id: string }): Promise<void> {
  const { run_id } = input;
  await tx.insert(benchmarkRuns).values({
    run_id,
    timestamp: input.timestamp,
    project_name: input.project_name,
    benchmark_name: input.benchmark_name,
    version: input.version,
    metadata: input.metadata,
    branch: input.branch ?? null,
    testbed: input.testbed ?? null,
    commit: input.commit ?? null,
  });
  await tx.insert(performanceMetrics).values({ run_id, ...input.performance });
  await tx.insert(autonomyMetrics).values({ run_id, ...input.autonomy });
  await tx.insert(qualityMetrics).values({ run_id, ...input.quality });
  await tx.insert(workflowMetrics).values({ run_id, ...input.workflow });
}

type RunRow = typeof benchmarkRuns.$inferSelect;

/** Loads the four metric groups of the given runs, in the order of `runs`. */
export async function withMetrics(h: { db: Pick<VerdictDb["db"], "select"> }, runs: RunRow[]): Promise<BenchmarkRun[]> {
  if (runs.length === 0) return [];
  const ids = runs.map((r) => r.run_id);
  const [perf, auto, qual, flow] = await Promise.all([
    h.db.select().from(performanceMetrics).where(inArray(performanceMetrics.run_id, ids)),
    h.db.select().from(autonomyMetrics).where(inArray(autonomyMetrics.run_id, ids)),
    h.db.select().from(qualityMetrics).where(inArray(qualityMetrics.run_id, ids)),
    h.db.select().from(workflowMetrics).where(inArray(workflowMetrics.run_id, ids)),
  ]);
  const byId = <T extends { run_id: string }>(rows: T[]) => new Map(rows.map((r) => [r.run_id, r]));
  const p = byId(perf);
  const a = byId(auto);
  const q = byId(qual);
  const w = byId(flow);
  return runs.map((r) => {
    const strip = <T extends { run_id: string }>(row: T | undefined, group: string) => {
      if (!row) throw new Error(`benchmark run ${r.run_id} has no ${group} metrics`);
      const { run_id: _omit, ...rest } = row;
      return rest;
    };
    return {
      ...r,
      metadata: r.metadata as BenchmarkRun["metadata"],
      performance: strip(p.get(r.run_id), "performance"),
      autonomy: strip(a.get(r.run_id), "autonomy"),
      quality: strip(q.get(r.run_id), "quality"),
      workflow: strip(w.get(r.run_id), "workflow"),
    };
  });
}

export async function getBenchmarkRun(h: VerdictDb, runId: string): Promise<BenchmarkRun> {
  const rows = await h.db.select().from(benchmarkRuns).where(eq(benchmarkRuns.run_id, runId));
  const [run] = await withMetrics(h, rows);
  if (!run) throw new NotFoundError("benchmark run", runId);
  return run;
}

export async function deleteBenchmarkRun(h: VerdictDb, runId: string): Promise<{ deleted: true }> {
  const rows = await h.db
    .delete(benchmarkRuns)
    .where(eq(benchmarkRuns.run_id, runId))
    .returning({ id: benchmarkRuns.run_id });
  if (rows.length === 0) throw new NotFoundError("benchmark run", runId);
  return { deleted: true };
}

/** Runs by project/benchmark/date range, newest first, with cursor pagination. */
export async function listBenchmarkRuns(h: VerdictDb, raw: BenchmarkListInput = {}): Promise<Page<BenchmarkRun>> {
  const input = benchmarkListInput.parse(raw);
  const t = benchmarkRuns;
  const where: (SQL | undefined)[] = [
    input.project_name ? eq(t.project_name, input.project_name) : undefined,
    input.benchmark_name ? eq(t.benchmark_name, input.benchmark_name) : undefined,
    input.branch ? eq(t.branch, input.branch) : undefined,
    input.testbed ? eq(t.testbed, input.testbed) : undefined,
    input.commit ? eq(t.commit, input.commit) : undefined,
    input.since ? gte(t.timestamp, input.since) : undefined,
    input.until ? lte(t.timestamp, input.until) : undefined,
  ];
  if (input.cursor) {
    const [ts, id] = decodeCursor(input.cursor, ["string", "string"]);
    where.push(or(lt(t.timestamp, String(ts)), and(eq(t.timestamp, String(ts)), lt(t.run_id, String(id)))));
  }
  const rows = await h.db
    .select()
    .from(t)
    .where(and(...where))
    .orderBy(desc(t.timestamp), desc(t.run_id))
    .limit(input.limit + 1);
  const page = toPage(rows, input.limit, (r) => [r.timestamp, r.run_id]);
  return { items: await withMetrics(h, page.items), nextCursor: page.nextCursor };
}

/** The latest N runs of a scope, newest first. */
export async function latestBenchmarkRuns(h: VerdictDb, raw: BenchmarkScopeInput = {}): Promise<BenchmarkRun[]> {
  const input = benchmarkScopeInput.parse(raw);
  const { last, ...filter } = input;
  const runs: BenchmarkRun[] = [];
  let cursor: string | undefined;
  do {
    const page = await listBenchmarkRuns(h, {
      ...filter,
      limit: Math.min(last - runs.length, 1000),
      ...(cursor ? { cursor } : {}),
    });
    runs.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && runs.length < last);
  return runs;
}

export function metricValue(run: BenchmarkRun, metric: ScalarMetricName): number {
  const group = SCALAR_METRICS[metric].group;
  const values = run[group] as unknown as Record<string, number>;
  const v = values[metric];
  if (typeof v !== "number") throw new Error(`metric ${metric} missing on run ${run.run_id}`);
  return v;
}

/** Mean of every scalar metric over the latest N runs of a scope. */
export async function averageMetrics(
  h: VerdictDb,
  raw: BenchmarkScopeInput = {},
): Promise<{ runs: number; averages: Record<ScalarMetricName, number> | null }> {
  const runs = await latestBenchmarkRuns(h, raw);
  if (runs.length === 0) return { runs: 0, averages: null };
  const averages = {} as Record<ScalarMetricName, number>;
  for (const metric of Object.keys(SCALAR_METRICS) as ScalarMetricName[]) {
    averages[metric] = runs.reduce((s, r) => s + metricValue(r, metric), 0) / runs.length;
  }
  return { runs: runs.length, averages };
}

/** The series of one metric over the latest N runs, oldest first (the order a trend is read in). */
export async function metricSeries(
  h: VerdictDb,
  raw: BenchmarkScopeInput & { metric: ScalarMetricName },
): Promise<{ run_id: string; timestamp: string; value: number }[]> {
  const runs = await latestBenchmarkRuns(h, raw);
  return runs.map((r) => ({ run_id: r.run_id, timestamp: r.timestamp, value: metricValue(r, raw.metric) })).reverse();
}

/** Every run matching the filters (project, benchmark, dimensions, time range), oldest first, for export. */
export async function exportBenchmarkRuns(h: VerdictDb, raw: BenchmarkExportInput = {}): Promise<BenchmarkRun[]> {
  const input = benchmarkExportInput.parse(raw);
  const runs: BenchmarkRun[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<BenchmarkRun> = await listBenchmarkRuns(h, {
      ...input,
      limit: 1000,
      ...(cursor ? { cursor } : {}),
    });
    runs.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return runs.reverse();
}
