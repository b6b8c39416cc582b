import { z } from "zod";
import {
  identifier,
  isoTimestamp,
  jsonObject,
  jsonRecordOf,
  nonNegative,
  nonNegativeInt,
  pageInput,
  percent,
  rate01,
} from "./common.js";

/** Named numeric breakdowns stored as JSON columns (phase → seconds, agent → tokens, severity → count). */
export const numberMap = jsonRecordOf(z.number());
export const countMap = jsonRecordOf(nonNegativeInt);

export const performanceMetrics = z.object({
  total_time_seconds: nonNegative.default(0),
  phase_times: numberMap.default({}),
  token_usage_total: nonNegativeInt.default(0),
  token_usage_by_agent: countMap.default({}),
  api_calls_count: nonNegativeInt.default(0),
  api_calls_cost: nonNegative.default(0),
});

export const autonomyMetrics = z.object({
  manual_interventions_count: nonNegativeInt.default(0),
  manual_interventions_types: z.array(z.string()).default([]),
  prompts_needed_initial: nonNegativeInt.default(0),
  prompts_needed_followup: nonNegativeInt.default(0),
  one_shot_success_rate: rate01.default(0),
  error_recovery_rate: rate01.default(0),
  agent_handoffs_successful: nonNegativeInt.default(0),
  agent_handoffs_failed: nonNegativeInt.default(0),
});

export const qualityMetrics = z
  .object({
    tests_written: nonNegativeInt.default(0),
    tests_passing: nonNegativeInt.default(0),
    code_coverage_percentage: percent.default(0),
    linting_errors_count: nonNegativeInt.default(0),
    linting_errors_by_severity: countMap.default({}),
    type_errors_count: nonNegativeInt.default(0),
    security_vulnerabilities_count: nonNegativeInt.default(0),
    security_vulnerabilities_by_severity: countMap.default({}),
    functional_completeness_percentage: percent.default(0),
  })
  .refine((q) => q.tests_passing <= q.tests_written, {
    message: "tests_passing must not exceed tests_written",
    path: ["tests_passing"],
  });

export const workflowMetrics = z
  .object({
    stories_created: nonNegativeInt.default(0),
    stories_completed: nonNegativeInt.default(0),
    avg_cycle_time_seconds: nonNegative.default(0),
    phase_distribution: numberMap.default({}),
    rework_count: nonNegativeInt.default(0),
  })
  .refine((w) => w.stories_completed <= w.stories_created, {
    message: "stories_completed must not exceed stories_created",
    path: ["stories_completed"],
  });

/** A whole benchmark run in the gao-dev BenchmarkMetrics shape. */
export const benchmarkRunInput = z.object({
  run_id: identifier.optional(),
  timestamp: isoTimestamp,
  project_name: z.string().min(1).max(200),
  benchmark_name: z.string().min(1).max(200),
  version: z.string().min(1).max(100).default("1.0.0"),
  metadata: jsonObject.default({}),
  performance: performanceMetrics.default(() => performanceMetrics.parse({})),
  autonomy: autonomyMetrics.default(() => autonomyMetrics.parse({})),
  quality: qualityMetrics.default(() => qualityMetrics.parse({})),
  workflow: workflowMetrics.default(() => workflowMetrics.parse({})),
});
export type BenchmarkRunInput = z.input<typeof benchmarkRunInput>;

export type PerformanceMetrics = z.infer<typeof performanceMetrics>;
export type AutonomyMetrics = z.infer<typeof autonomyMetrics>;
export type QualityMetrics = z.infer<typeof qualityMetrics>;
export type WorkflowMetrics = z.infer<typeof workflowMetrics>;

export interface BenchmarkRun {
  run_id: string;
  timestamp: string;
  project_name: string;
  benchmark_name: string;
  version: string;
  metadata: z.infer<typeof jsonObject>;
  created_at: string;
  performance: PerformanceMetrics;
  autonomy: AutonomyMetrics;
  quality: QualityMetrics;
  workflow: WorkflowMetrics;
}

export const metricGroup = z.enum(["performance", "autonomy", "quality", "workflow"]);
export type MetricGroup = z.infer<typeof metricGroup>;

/**
 * Every scalar metric that can be averaged, trended or compared, with the group it lives in
 * and whether a lower value is the better one.
 */
export const SCALAR_METRICS = {
  total_time_seconds: { group: "performance", lowerIsBetter: true },
  token_usage_total: { group: "performance", lowerIsBetter: true },
  api_calls_count: { group: "performance", lowerIsBetter: true },
  api_calls_cost: { group: "performance", lowerIsBetter: true },
  manual_interventions_count: { group: "autonomy", lowerIsBetter: true },
  prompts_needed_initial: { group: "autonomy", lowerIsBetter: true },
  prompts_needed_followup: { group: "autonomy", lowerIsBetter: true },
  one_shot_success_rate: { group: "autonomy", lowerIsBetter: false },
  error_recovery_rate: { group: "autonomy", lowerIsBetter: false },
  agent_handoffs_successful: { group: "autonomy", lowerIsBetter: false },
  agent_handoffs_failed: { group: "autonomy", lowerIsBetter: true },
  tests_written: { group: "quality", lowerIsBetter: false },
  tests_passing: { group: "quality", lowerIsBetter: false },
  code_coverage_percentage: { group: "quality", lowerIsBetter: false },
  linting_errors_count: { group: "quality", lowerIsBetter: true },
  type_errors_count: { group: "quality", lowerIsBetter: true },
  security_vulnerabilities_count: { group: "quality", lowerIsBetter: true },
  functional_completeness_percentage: { group: "quality", lowerIsBetter: false },
  stories_created: { group: "workflow", lowerIsBetter: false },
  stories_completed: { group: "workflow", lowerIsBetter: false },
  avg_cycle_time_seconds: { group: "workflow", lowerIsBetter: true },
  rework_count: { group: "workflow", lowerIsBetter: true },
} as const satisfies Record<string, { group: MetricGroup; lowerIsBetter: boolean }>;

export type ScalarMetricName = keyof typeof SCALAR_METRICS;
export const scalarMetricName = z.enum(Object.keys(SCALAR_METRICS) as [ScalarMetricName, ...ScalarMetricName[]]);

export const benchmarkListInput = pageInput.extend({
  project_name: z.string().min(1).optional(),
  benchmark_name: z.string().min(1).optional(),
  since: isoTimestamp.optional(),
  until: isoTimestamp.optional(),
});
export type BenchmarkListInput = z.input<typeof benchmarkListInput>;

export const benchmarkScopeInput = z.object({
  project_name: z.string().min(1).optional(),
  benchmark_name: z.string().min(1).optional(),
  last: z.number().int().min(1).max(10_000).default(10),
});
export type BenchmarkScopeInput = z.input<typeof benchmarkScopeInput>;

export const metricTrendInput = benchmarkScopeInput.extend({
  metric: scalarMetricName,
  /** Relative change (percent) below which a trend counts as stable. */
  threshold_percent: z.number().min(0).max(1000).default(5),
});
export type MetricTrendInput = z.input<typeof metricTrendInput>;

export const metricCompareInput = z.object({
  run_a: identifier,
  run_b: identifier,
  threshold_percent: z.number().min(0).max(1000).default(5),
});
export type MetricCompareInput = z.input<typeof metricCompareInput>;

export const trendVerdict = z.enum(["improving", "degrading", "stable"]);
export type TrendVerdict = z.infer<typeof trendVerdict>;
export const compareVerdict = z.enum(["improved", "regressed", "unchanged"]);
export type CompareVerdict = z.infer<typeof compareVerdict>;
