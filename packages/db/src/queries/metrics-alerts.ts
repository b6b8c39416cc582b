import {
  type BenchmarkRun,
  type MetricAlert,
  type MetricAlertFinding,
  type MetricAlertsInput,
  type Page,
  type ScalarMetricName,
  metricAlertsInput,
} from "@verdict/schema";
import { and, desc, eq, isNull, lt, or, type SQL } from "drizzle-orm";
import { translateDbError } from "../db-errors.js";
import type { VerdictDb } from "../open.js";
import { benchmarkRuns, metricAlerts } from "../schema/metrics.js";
import { decodeCursor, newId, toPage } from "./common.js";
import { withMetrics } from "./metrics.js";

export interface BaselineScope {
  run: Pick<BenchmarkRun, "run_id" | "timestamp" | "project_name" | "benchmark_name">;
  /** undefined: any; null: only runs without one; a string: that one. */
  branch?: string | null | undefined;
  testbed?: string | null | undefined;
  window: number;
}

/** The baseline window: the last `window` runs of the same project and benchmark before `run`, newest first. */
export async function baselineRuns(h: VerdictDb, scope: BaselineScope): Promise<BenchmarkRun[]> {
  const t = benchmarkRuns;
  const dim = (column: typeof t.branch | typeof t.testbed, value: string | null | undefined) =>
    value === undefined ? undefined : value === null ? isNull(column) : eq(column, value);
  const rows = await h.db
    .select()
    .from(t)
    .where(
      and(
        eq(t.project_name, scope.run.project_name),
        eq(t.benchmark_name, scope.run.benchmark_name),
        dim(t.branch, scope.branch),
        dim(t.testbed, scope.testbed),
        or(
          lt(t.timestamp, scope.run.timestamp),
          and(eq(t.timestamp, scope.run.timestamp), lt(t.run_id, scope.run.run_id)),
        ),
      ),
    )
    .orderBy(desc(t.timestamp), desc(t.run_id))
    .limit(scope.window);
  return withMetrics(h, rows);
}

/** A finding to store as an alert (the run it belongs to is given separately). */
export type NewMetricAlert = MetricAlertFinding;

/** Replaces the alerts of one run with `alerts` (a re-check does not pile up duplicates). */
export async function storeMetricAlerts(h: VerdictDb, runId: string, alerts: readonly NewMetricAlert[]): Promise<void> {
  const finite = (v: number | null) => (v === null || !Number.isFinite(v) ? null : v);
  try {
    await h.db.transaction(async (tx) => {
      await tx.delete(metricAlerts).where(eq(metricAlerts.run_id, runId));
      for (const a of alerts)
        await tx.insert(metricAlerts).values({
          ...a,
          alert_id: newId("alert"),
          run_id: runId,
          baseline_mean: finite(a.baseline_mean),
          baseline_stddev: finite(a.baseline_stddev),
          statistic: finite(a.statistic),
          p_value: finite(a.p_value),
          limit: finite(a.limit),
        });
    });
  } catch (e) {
    throw await translateDbError(h.client, e, { table: "metric_alerts" });
  }
}

/** Stored alerts, newest first, with the run's project, benchmark and dimensions. */
export async function listMetricAlerts(h: VerdictDb, raw: MetricAlertsInput = {}): Promise<Page<MetricAlert>> {
  const input = metricAlertsInput.parse(raw);
  const a = metricAlerts;
  const r = benchmarkRuns;
  const where: (SQL | undefined)[] = [
    input.run_id ? eq(a.run_id, input.run_id) : undefined,
    input.metric ? eq(a.metric, input.metric) : undefined,
    input.project_name ? eq(r.project_name, input.project_name) : undefined,
    input.benchmark_name ? eq(r.benchmark_name, input.benchmark_name) : undefined,
    input.branch ? eq(r.branch, input.branch) : undefined,
    input.testbed ? eq(r.testbed, input.testbed) : undefined,
  ];
  if (input.cursor) {
    const [ts, id] = decodeCursor(input.cursor, ["string", "string"]);
    where.push(or(lt(a.created_at, ts), and(eq(a.created_at, ts), lt(a.alert_id, id))));
  }
  const rows = await h.db
    .select({
      alert: a,
      project_name: r.project_name,
      benchmark_name: r.benchmark_name,
      branch: r.branch,
      testbed: r.testbed,
      timestamp: r.timestamp,
    })
    .from(a)
    .innerJoin(r, eq(r.run_id, a.run_id))
    .where(and(...where))
    .orderBy(desc(a.created_at), desc(a.alert_id))
    .limit(input.limit + 1);
  const page = toPage(rows, input.limit, (row) => [row.alert.created_at, row.alert.alert_id]);
  return {
    items: page.items.map(({ alert, ...run }) => ({ ...alert, metric: alert.metric as ScalarMetricName, ...run })),
    nextCursor: page.nextCursor,
  };
}
