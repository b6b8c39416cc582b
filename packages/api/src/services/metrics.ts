import {
  type ChangeDirection,
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
 * The series of one metric over the last N runs, with its statistics (r² of the line included) and a
 * verdict: fewer than 2 runs is `insufficient_data` (never "stable"); a change smaller than the threshold
 * (percent of the mean) is stable; otherwise its direction, read with the metric's lower-is-better flag,
 * says improving or degrading. A zero mean is explicit: any rise or fall then counts as a change.
 */
export async function metricTrend(ctx: ServiceContext, raw: MetricTrendInput): Promise<MetricTrend> {
  const input = metricTrendInput.parse(raw);
  const points = await metricSeries(ctx.db, input);
  const stats = seriesStats(points.map((p) => p.value));
  const lowerIsBetter = SCALAR_METRICS[input.metric].lowerIsBetter;
  // The verdict reads the least-squares line, not just the two end points: one noisy run should not
  // flip it. Its rise over the series, relative to the mean, is compared with the threshold.
  let verdict: TrendVerdict = "insufficient_data";
  if (stats && stats.count >= 2) {
    verdict = "stable";
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
  /** Percent of A; null when A is 0 (see zero_baseline). */
  pct_delta: number | null;
  /** A is 0: no percent change exists; any change is significant. */
  zero_baseline: boolean;
  /** Which way it moved, read with the metric's better side (gao-dev's ChangeDirection). */
  direction: ChangeDirection;
  /** |percent change| at or above the threshold (gao-dev's is_significant). */
  significant: boolean;
  /** The direction when significant, else unchanged. */
  verdict: CompareVerdict;
}

/** Changes smaller than this (percent of A) have no direction, as in gao-dev's comparison report. */
const DIRECTION_FLOOR_PERCENT = 0.1;

/**
 * Per scalar metric: absolute and percent change from run A to run B, its direction and, separately,
 * whether it is significant (at least the threshold). The summary counts directions and significant ones.
 */
export async function compareBenchmarkRuns(
  ctx: ServiceContext,
  raw: MetricCompareInput,
): Promise<{
  run_a: string;
  run_b: string;
  threshold_percent: number;
  metrics: MetricDelta[];
  summary: Record<CompareVerdict, number> & { significant_regressions: number; significant_improvements: number };
}> {
  const input = metricCompareInput.parse(raw);
  const [a, b] = await Promise.all([getBenchmarkRun(ctx.db, input.run_a), getBenchmarkRun(ctx.db, input.run_b)]);
  const metrics: MetricDelta[] = [];
  const summary = { improved: 0, regressed: 0, unchanged: 0, significant_regressions: 0, significant_improvements: 0 };
  for (const metric of Object.keys(SCALAR_METRICS) as ScalarMetricName[]) {
    const { group, lowerIsBetter } = SCALAR_METRICS[metric];
    const va = metricValue(a, metric);
    const vb = metricValue(b, metric);
    const delta = vb - va;
    const zero = va === 0;
    const pct = zero ? null : (delta / Math.abs(va)) * 100;
    const moved = pct === null ? delta !== 0 : Math.abs(pct) >= DIRECTION_FLOOR_PERCENT;
    const direction: ChangeDirection = !moved ? "unchanged" : delta < 0 === lowerIsBetter ? "improved" : "regressed";
    const significant = pct === null ? delta !== 0 : Math.abs(pct) >= input.threshold_percent;
    const verdict: CompareVerdict = significant ? direction : "unchanged";
    summary[direction]++;
    if (significant && direction === "regressed") summary.significant_regressions++;
    if (significant && direction === "improved") summary.significant_improvements++;
    metrics.push({
      metric,
      group,
      lower_is_better: lowerIsBetter,
      a: va,
      b: vb,
      delta,
      pct_delta: pct,
      zero_baseline: zero,
      direction,
      significant,
      verdict,
    });
  }
  return { run_a: input.run_a, run_b: input.run_b, threshold_percent: input.threshold_percent, metrics, summary };
}
