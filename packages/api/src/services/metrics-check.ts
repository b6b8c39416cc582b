import {
  type MetricAlert,
  type MetricAlertsInput,
  type MetricCheckInput,
  type MetricCheckReport,
  type Page,
  SCALAR_METRICS,
  metricCheckInput,
} from "@verdict/schema";
import { baselineRuns, getBenchmarkRun, listMetricAlerts, metricValue, storeMetricAlerts } from "@verdict/db";
import type { ServiceContext } from "./context.js";
import { judgeMetric } from "./metrics-regression.js";

/**
 * Checks one run against its baseline window: the last `window` runs of the same project and benchmark
 * before it (and of the same branch and testbed: the ones given, else the run's own when it has them).
 * Each rule judges one metric; regressions are stored as the run's alerts (replacing earlier ones).
 */
export async function checkBenchmarkRun(ctx: ServiceContext, raw: MetricCheckInput): Promise<MetricCheckReport> {
  const input = metricCheckInput.parse(raw);
  const run = await getBenchmarkRun(ctx.db, input.run_id);
  const branch = input.branch !== undefined ? input.branch : (run.branch ?? undefined);
  const testbed = input.testbed !== undefined ? input.testbed : (run.testbed ?? undefined);
  const baseline = await baselineRuns(ctx.db, { run, branch, testbed, window: input.window });
  const results = input.rules.map((rule) => {
    const direction = rule.direction ?? (SCALAR_METRICS[rule.metric].lowerIsBetter ? "lower" : "higher");
    return judgeMetric(
      rule,
      direction,
      metricValue(run, rule.metric),
      baseline.map((b) => metricValue(b, rule.metric)),
    );
  });
  const regressions = results.filter((r) => r.status === "regression");
  if (input.store)
    await storeMetricAlerts(
      ctx.db,
      run.run_id,
      regressions.map((r) => ({
        metric: r.metric,
        test: r.test,
        direction: r.direction,
        value: r.value,
        baseline_runs: r.baseline.runs,
        baseline_mean: r.baseline.mean,
        baseline_stddev: r.baseline.stddev,
        statistic: r.statistic,
        p_value: r.p_value,
        limit: r.limit,
        reason: r.reason,
      })),
    );
  return {
    run_id: run.run_id,
    project_name: run.project_name,
    benchmark_name: run.benchmark_name,
    branch: branch ?? null,
    testbed: testbed ?? null,
    baseline_run_ids: baseline.map((b) => b.run_id),
    results,
    regressions: regressions.length,
  };
}

export function metricAlerts(ctx: ServiceContext, input: MetricAlertsInput): Promise<Page<MetricAlert>> {
  return listMetricAlerts(ctx.db, input);
}
