import { z } from "zod";
import {
  identifier,
  jsonObject,
  jsonRecordOf,
  nonNegative,
  nonNegativeInt,
  pageInput,
  percent,
  rate01,
} from "./common.js";
import { normalizeTimestamp, rangeBound } from "./metrics-time.js";

/**
 * A run's timestamp: ISO-8601 with an offset, `Z`, or no zone (read as UTC; the CLI's `--tz` converts
 * before sending). Always stored as UTC with microseconds, see metrics-time.ts.
 */
export const benchmarkTimestamp = z.string().transform((text, ctx) => {
  const stored = normalizeTimestamp(text);
  if (stored === null) {
    ctx.addIssue({ code: "custom", message: `expected an ISO-8601 timestamp, got '${text}'` });
    return z.NEVER;
  }
  return stored;
});

const bound = (end: "since" | "until") =>
  z.string().transform((text, ctx) => {
    const stored = rangeBound(text, end);
    if (stored === null) {
      ctx.addIssue({ code: "custom", message: `expected an ISO-8601 date or timestamp, got '${text}'` });
      return z.NEVER;
    }
    return stored;
  });
/** `since`: a timestamp, or a date meaning its first instant (UTC unless converted by the caller). */
export const sinceBound = bound("since");
/** `until`: a timestamp, or a date meaning through its last instant, so the day is included. */
export const untilBound = bound("until");

/** Optional dimensions of a run: where it ran. Null or absent means unknown. */
export const dimensionValue = z.string().min(1).max(200).nullable().optional();
export const DIMENSIONS = ["branch", "testbed", "commit"] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Named numeric breakdowns stored as JSON columns (phase → seconds, agent → tokens, severity → count). */
export const numberMap = jsonRecordOf(z.number());
/** Durations (seconds) must not be negative. */
export const durationMap = jsonRecordOf(z.number().min(0, "must not be negative"));
export const countMap = jsonRecordOf(z.number().int("must be a whole number").min(0, "must not be negative"));

export const performanceMetrics = z.strictObject({
  total_time_seconds: nonNegative.default(0),
  phase_times: durationMap.default({}),
  token_usage_total: nonNegativeInt.default(0),
  token_usage_by_agent: countMap.default({}),
  api_calls_count: nonNegativeInt.default(0),
  api_calls_cost: nonNegative.default(0),
});

export const autonomyMetrics = z.strictObject({
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
  .strictObject({
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
  .strictObject({
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
export const benchmarkRunInput = z.strictObject({
  run_id: identifier.optional(),
  timestamp: benchmarkTimestamp,
  project_name: z.string().min(1).max(200),
  benchmark_name: z.string().min(1).max(200),
  version: z.string().min(1).max(100).default("1.0.0"),
  metadata: jsonObject.default({}),
  performance: performanceMetrics.default(() => performanceMetrics.parse({})),
  autonomy: autonomyMetrics.default(() => autonomyMetrics.parse({})),
  quality: qualityMetrics.default(() => qualityMetrics.parse({})),
  workflow: workflowMetrics.default(() => workflowMetrics.parse({})),
  branch: dimensionValue,
  testbed: dimensionValue,
  commit: dimensionValue,
});
export type BenchmarkRunInput = z.input<typeof benchmarkRunInput>;
export type BenchmarkRunParsed = z.output<typeof benchmarkRunInput>;

/** The keys a run file may hold, per level, for strict reading and did-you-mean suggestions. */
export const RUN_KEYS = {
  run: Object.keys(benchmarkRunInput.shape),
  performance: Object.keys(performanceMetrics.shape),
  autonomy: Object.keys(autonomyMetrics.shape),
  quality: Object.keys(qualityMetrics.shape),
  workflow: Object.keys(workflowMetrics.shape),
} as const;

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
  branch: string | null;
  testbed: string | null;
  commit: string | null;
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

/** Filters shared by list, export, average and trend: project, benchmark, dimensions. */
export const benchmarkFilter = z.object({
  project_name: z.string().min(1).optional(),
  benchmark_name: z.string().min(1).optional(),
  branch: z.string().min(1).optional(),
  testbed: z.string().min(1).optional(),
  commit: z.string().min(1).optional(),
});

export const benchmarkListInput = pageInput.extend({
  ...benchmarkFilter.shape,
  since: sinceBound.optional(),
  until: untilBound.optional(),
});
export type BenchmarkListInput = z.input<typeof benchmarkListInput>;

export const benchmarkScopeInput = benchmarkFilter.extend({
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

/** `insufficient_data`: fewer than 2 runs, so no direction and no "stable" either. */
export const trendVerdict = z.enum(["improving", "degrading", "stable", "insufficient_data"]);
export type TrendVerdict = z.infer<typeof trendVerdict>;
export const compareVerdict = z.enum(["improved", "regressed", "unchanged"]);
export type CompareVerdict = z.infer<typeof compareVerdict>;
/** Direction of a change read with the metric's better side; `unchanged` below 0.1 % (gao-dev's floor). */
export const changeDirection = compareVerdict;
export type ChangeDirection = CompareVerdict;

/**
 * One file's runs, imported all or nothing. A run already stored with the same content is skipped; with
 * different content it is a conflict unless `replace`. `partial` says the source carries only the scalar
 * columns (gao-dev's CSV export), so only those are compared.
 */
export const benchmarkImportInput = z.object({
  runs: z
    .array(benchmarkRunInput.refine((r) => r.run_id !== undefined, { message: "run_id is required", path: ["run_id"] }))
    .min(1)
    .max(100_000),
  replace: z.boolean().default(false),
  partial: z.boolean().default(false),
});
export type BenchmarkImportInput = z.input<typeof benchmarkImportInput>;

export interface BenchmarkImportResult {
  inserted: string[];
  replaced: string[];
  skipped: string[];
}

export const benchmarkExportInput = benchmarkFilter.extend({
  since: sinceBound.optional(),
  until: untilBound.optional(),
});
export type BenchmarkExportInput = z.input<typeof benchmarkExportInput>;

/** The run schema with timestamps without a zone read in `zone` (for files recorded with `--tz`). */
export function benchmarkRunInputInZone(zone: string) {
  return benchmarkRunInput.extend({
    timestamp: z.string().transform((text, ctx) => {
      const stored = normalizeTimestamp(text, zone);
      if (stored === null) {
        ctx.addIssue({ code: "custom", message: `expected an ISO-8601 timestamp, got '${text}'` });
        return z.NEVER;
      }
      return stored;
    }),
  });
}
