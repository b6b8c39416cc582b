import { z } from "zod";
import { identifier, pageInput } from "./common.js";
import { scalarMetricName, type ScalarMetricName } from "./metrics.js";

/** Which way is worse for a metric: `lower` means lower is better, so a rise is a regression. */
export const metricDirection = z.enum(["lower", "higher"]);
export type MetricDirection = z.infer<typeof metricDirection>;

/**
 * How a run's value is judged against its baseline window (docs/metrics-regressions.md):
 * - `static`: outside [min, max];
 * - `percent`: worse than the baseline mean by more than `max_percent`;
 * - `zscore`: worse than the baseline mean by more than `max_z` sample standard deviations;
 * - `ttest`: Student's t for one new observation against the baseline sample, one-sided p below `alpha`.
 */
export const metricTestKind = z.enum(["static", "percent", "zscore", "ttest"]);
export type MetricTestKind = z.infer<typeof metricTestKind>;

const ruleFields = {
  test: metricTestKind,
  direction: metricDirection.optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  max_percent: z.number().min(0).max(1_000_000).optional(),
  max_z: z.number().positive().max(1000).optional(),
  alpha: z.number().gt(0).max(0.5).optional(),
  /** Fewest baseline runs the statistical tests need (at least 2; default 2). */
  min_runs: z.number().int().min(2).max(10_000).optional(),
};

const ruleCheck = (
  r: { test: MetricTestKind; min?: number | undefined; max?: number | undefined; max_percent?: number | undefined },
  ctx: z.RefinementCtx,
) => {
  if (r.test === "static" && r.min === undefined && r.max === undefined)
    ctx.addIssue({ code: "custom", message: "a static test needs min or max", path: ["min"] });
  if (r.min !== undefined && r.max !== undefined && r.min > r.max)
    ctx.addIssue({ code: "custom", message: "min must not exceed max", path: ["min"] });
  if (r.test === "percent" && r.max_percent === undefined)
    ctx.addIssue({ code: "custom", message: "a percent test needs max_percent", path: ["max_percent"] });
};

export const metricRuleSettings = z.strictObject(ruleFields).superRefine(ruleCheck);
export type MetricRuleSettings = z.infer<typeof metricRuleSettings>;
export const metricCheckRule = z.strictObject({ metric: scalarMetricName, ...ruleFields }).superRefine(ruleCheck);
export type MetricCheckRule = z.infer<typeof metricCheckRule>;

/** A checked-in thresholds file (YAML or JSON): the window and one rule per metric. */
export const thresholdsFile = z.strictObject({
  window: z.number().int().min(2).max(10_000).optional(),
  metrics: z.partialRecord(scalarMetricName, metricRuleSettings),
});
export type ThresholdsFile = z.infer<typeof thresholdsFile>;

export function rulesOf(file: ThresholdsFile): MetricCheckRule[] {
  return (Object.entries(file.metrics) as [ScalarMetricName, MetricRuleSettings][]).map(([metric, s]) => ({
    metric,
    ...s,
  }));
}

export const metricCheckInput = z.strictObject({
  run_id: identifier,
  /** Baseline: the last `window` runs of the same project and benchmark before this run. */
  window: z.number().int().min(2).max(10_000).default(10),
  /** Narrow the baseline to a branch/testbed; by default the run's own (when it has one). */
  branch: z.string().min(1).nullable().optional(),
  testbed: z.string().min(1).nullable().optional(),
  rules: z.array(metricCheckRule).min(1).max(100),
  /** Store the regressions found as alerts (replacing earlier alerts of this run). */
  store: z.boolean().default(true),
});
export type MetricCheckInput = z.input<typeof metricCheckInput>;

export type MetricCheckStatus = "ok" | "regression" | "insufficient_baseline";

export interface MetricCheckResult {
  metric: ScalarMetricName;
  test: MetricTestKind;
  direction: MetricDirection;
  value: number;
  baseline: { runs: number; mean: number | null; stddev: number | null };
  /** z for zscore, t for ttest, percent change for percent; null when undefined (e.g. zero baseline). */
  statistic: number | null;
  /** One-sided p-value of the t-test (probability of a value at least this much worse under the baseline). */
  p_value: number | null;
  /** The limit the statistic was held against (max_z, alpha, max_percent, or the bound crossed). */
  limit: number | null;
  status: MetricCheckStatus;
  reason: string;
}

export interface MetricCheckReport {
  run_id: string;
  project_name: string;
  benchmark_name: string;
  branch: string | null;
  testbed: string | null;
  baseline_run_ids: string[];
  results: MetricCheckResult[];
  regressions: number;
}

export const metricAlertsInput = pageInput.extend({
  run_id: identifier.optional(),
  project_name: z.string().min(1).optional(),
  benchmark_name: z.string().min(1).optional(),
  branch: z.string().min(1).optional(),
  testbed: z.string().min(1).optional(),
  metric: scalarMetricName.optional(),
});
export type MetricAlertsInput = z.input<typeof metricAlertsInput>;

/** What a check found about one metric of a run (stored as an alert when it is a regression). */
export interface MetricAlertFinding {
  metric: ScalarMetricName;
  test: MetricTestKind;
  direction: MetricDirection;
  value: number;
  baseline_runs: number;
  baseline_mean: number | null;
  baseline_stddev: number | null;
  statistic: number | null;
  p_value: number | null;
  limit: number | null;
  reason: string;
}

/** A stored alert: the finding, its run's identity and dimensions, and when it was stored. */
export interface MetricAlert extends MetricAlertFinding {
  alert_id: string;
  run_id: string;
  project_name: string;
  benchmark_name: string;
  branch: string | null;
  testbed: string | null;
  timestamp: string;
  created_at: string;
}
