import {
  type CompareVerdict,
  type MetricCompareInput,
  type MetricTrendInput,
  SCALAR_METRICS,
  type ScalarMetricName,
  type TrendVerdict,
  metricCompareInput,
  metricTrendInput,
} from "@verdict/schema";
import { getBenchmarkRun, metricSeries, metricValue } from "@verdict/db";
import type { ServiceContext } from "./context.js";
import { type SeriesStats, seriesStats } from "./stats.js";

export interface MetricTrend {
  metric: ScalarMetricName;
  lower_is_better: boolean;
  points: { run_id: string; timestamp: string; value: number }[];
  stats: SeriesStats | null;
  verdict: TrendVerdict;
}

/**
 * The series of one metric over the last N runs, with its statistics and a verdict: a change
 * smaller than the threshold (percent of the first value) is stable; otherwise its direction,
 * read with the metric's lower-is-better flag, says improving or degrading.
 */
export async function metricTrend(ctx: ServiceContext, raw: MetricTrendInput): Promise<MetricTrend> {
  const input = metricTrendInput.parse(raw);
  const points = await metricSeries(ctx.db, input);
  const stats = seriesStats(points.map((p) => p.value));
  const lowerIsBetter = SCALAR_METRICS[input.metric].lowerIsBetter;
  // The verdict reads the least-squares line, not just the two end points: one noisy run should not
  // flip it. Its rise over the series, relative to the mean, is compared with the threshold.
  let verdict: TrendVerdict = "stable";
  if (stats && stats.count >= 2) {
    const rise = stats.slope * (stats.count - 1);
    const relative =
      stats.mean === 0 ? (rise === 0 ? 0 : Number.POSITIVE_INFINITY) : (Math.abs(rise) / Math.abs(stats.mean)) * 100;
    if (relative >= input.threshold_percent) verdict = rise > 0 === lowerIsBetter ? "degrading" : "improving";
  }
  return { metric: input.metric, lower_is_better: lowerIsBetter, points, stats, verdict };
}

export interface MetricDelta {
  metric: ScalarMetricName;
  group: string;
  lower_is_better: boolean;
  a: number;
  b: number;
  delta: number;
  pct_delta: number | null;
  verdict: CompareVerdict;
}

/**
 * Per scalar metric: absolute and percent change from run A to run B. A change below the
 * significance threshold is unchanged; a change from zero counts as significant.
 */
export async function compareBenchmarkRuns(
  ctx: ServiceContext,
  raw: MetricCompareInput,
): Promise<{
  run_a: string;
  run_b: string;
  threshold_percent: number;
  metrics: MetricDelta[];
  summary: Record<CompareVerdict, number>;
}> {
  const input = metricCompareInput.parse(raw);
  const [a, b] = await Promise.all([getBenchmarkRun(ctx.db, input.run_a), getBenchmarkRun(ctx.db, input.run_b)]);
  const metrics: MetricDelta[] = [];
  const summary: Record<CompareVerdict, number> = { improved: 0, regressed: 0, unchanged: 0 };
  for (const metric of Object.keys(SCALAR_METRICS) as ScalarMetricName[]) {
    const { group, lowerIsBetter } = SCALAR_METRICS[metric];
    const va = metricValue(a, metric);
    const vb = metricValue(b, metric);
    const delta = vb - va;
    const pct = va === 0 ? (vb === 0 ? 0 : null) : (delta / Math.abs(va)) * 100;
    const significant = pct === null ? delta !== 0 : Math.abs(pct) >= input.threshold_percent;
    const verdict: CompareVerdict = !significant ? "unchanged" : delta < 0 === lowerIsBetter ? "improved" : "regressed";
    summary[verdict]++;
    metrics.push({ metric, group, lower_is_better: lowerIsBetter, a: va, b: vb, delta, pct_delta: pct, verdict });
  }
  return { run_a: input.run_a, run_b: input.run_b, threshold_percent: input.threshold_percent, metrics, summary };
}
