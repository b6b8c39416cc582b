/// <reference path="../jstat.d.ts" />
/**
 * Judging one metric of one run against its baseline window (docs/metrics-regressions.md). Pure functions:
 * no database, so every formula here is tested directly.
 */
import type { MetricCheckResult, MetricCheckRule, MetricDirection, ScalarMetricName } from "@verdict/schema";
import jStat from "jstat";
import { seriesStats } from "./stats.js";

export const DEFAULT_MAX_Z = 3;
export const DEFAULT_ALPHA = 0.05;

/**
 * One-sided p-value that one new observation is at least `worse` above the baseline, under the baseline's
 * normal model: t = worse / (s · √(1 + 1/n)) with n − 1 degrees of freedom (the prediction-interval form of
 * Student's t; a one-sample or Welch test would need several new observations, and a check has one).
 */
export function predictionTTest(
  worse: number,
  baseline: readonly number[],
): { t: number; df: number; p: number } | null {
  const stats = seriesStats(baseline);
  if (!stats || stats.count < 2 || stats.stddev === 0) return null;
  const t = worse / (stats.stddev * Math.sqrt(1 + 1 / stats.count));
  const df = stats.count - 1;
  // P(T >= t) = F(-t): the lower tail keeps its precision for large t where 1 - F(t) would round to 0.
  return { t, df, p: jStat.studentt.cdf(-t, df) };
}

export function judgeMetric(
  rule: MetricCheckRule,
  direction: MetricDirection,
  value: number,
  baseline: readonly number[],
): MetricCheckResult {
  const stats = seriesStats(baseline);
  const base = {
    metric: rule.metric as ScalarMetricName,
    test: rule.test,
    direction,
    value,
    baseline: {
      runs: baseline.length,
      mean: stats?.mean ?? null,
      stddev: stats && stats.count >= 2 ? stats.stddev : null,
    },
  };
  const result = (
    status: MetricCheckResult["status"],
    reason: string,
    statistic: number | null = null,
    limit: number | null = null,
    p_value: number | null = null,
  ): MetricCheckResult => ({ ...base, statistic, p_value, limit, status, reason });
  // Positive when the value is worse than the baseline mean in this metric's direction.
  const sign = direction === "lower" ? 1 : -1;
  const worseWord = direction === "lower" ? "above" : "below";

  if (rule.test === "static") {
    if (rule.min !== undefined && value < rule.min)
      return result("regression", `${value} is below the minimum ${rule.min}`, value, rule.min);
    if (rule.max !== undefined && value > rule.max)
      return result("regression", `${value} is above the maximum ${rule.max}`, value, rule.max);
    return result("ok", "within bounds", value, null);
  }
  const minRuns = rule.test === "percent" ? (rule.min_runs ?? 1) : Math.max(2, rule.min_runs ?? 2);
  if (!stats || stats.count < minRuns)
    return result("insufficient_baseline", `${baseline.length} baseline run(s), the test needs ${minRuns}`);
  const worse = sign * (value - stats.mean);

  if (rule.test === "percent") {
    const limit = rule.max_percent ?? 0;
    if (stats.mean === 0) {
      // A zero baseline has no percent change: any change for the worse is reported as such, explicitly.
      if (worse > 0)
        return result(
          "regression",
          `baseline mean is 0 and the value is ${value} (no percent change defined)`,
          null,
          limit,
        );
      return result("ok", "baseline mean is 0 and the value is not worse", null, limit);
    }
    const pct = (worse / Math.abs(stats.mean)) * 100;
    return pct > limit
      ? result(
          "regression",
          `${pct.toFixed(2)}% worse than the baseline mean ${stats.mean} (limit ${limit}%)`,
          pct,
          limit,
        )
      : result("ok", `${pct.toFixed(2)}% worse than the baseline mean (limit ${limit}%)`, pct, limit);
  }

  if (stats.stddev === 0) {
    // No spread in the baseline: the statistic is undefined; any change for the worse is flagged.
    if (worse > 0)
      return result("regression", `baseline is constant at ${stats.mean}; the value is ${worseWord} it`, null, null);
    return result("ok", `baseline is constant at ${stats.mean}; the value is not worse`, null, null);
  }
  if (rule.test === "zscore") {
    const z = worse / stats.stddev;
    const limit = rule.max_z ?? DEFAULT_MAX_Z;
    return z > limit
      ? result(
          "regression",
          `${z.toFixed(2)} standard deviations ${worseWord} the baseline mean (limit ${limit})`,
          z,
          limit,
        )
      : result("ok", `z = ${z.toFixed(2)} (limit ${limit})`, z, limit);
  }
  const test = predictionTTest(worse, baseline);
  const alpha = rule.alpha ?? DEFAULT_ALPHA;
  if (!test) return result("insufficient_baseline", "the t-test needs at least 2 baseline runs with some spread");
  return test.p < alpha
    ? result(
        "regression",
        `t = ${test.t.toFixed(3)} (df ${test.df}), one-sided p = ${test.p.toPrecision(3)} < ${alpha}`,
        test.t,
        alpha,
        test.p,
      )
    : result(
        "ok",
        `t = ${test.t.toFixed(3)} (df ${test.df}), one-sided p = ${test.p.toPrecision(3)}`,
        test.t,
        alpha,
        test.p,
      );
}
