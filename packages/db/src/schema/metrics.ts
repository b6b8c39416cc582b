import { sql } from "drizzle-orm";
import { check, index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt } from "./columns.js";

export const benchmarkRuns = sqliteTable(
  "benchmark_runs",
  {
    run_id: text("run_id").primaryKey(),
    timestamp: text("timestamp").notNull(),
    project_name: text("project_name").notNull(),
    benchmark_name: text("benchmark_name").notNull(),
    version: text("version").notNull(),
    metadata: text("metadata", { mode: "json" }).notNull().$type<Record<string, unknown>>().default(sql`'{}'`),
    branch: text("branch"),
    testbed: text("testbed"),
    commit: text("git_commit"),
    created_at: createdAt(),
  },
  (t) => [
    check("benchmark_runs_metadata_json", sql`json_valid(${t.metadata}) AND json_type(${t.metadata}) = 'object'`),
    index("benchmark_runs_timestamp_idx").on(t.timestamp),
    index("benchmark_runs_project_timestamp_idx").on(t.project_name, t.timestamp),
    index("benchmark_runs_benchmark_timestamp_idx").on(t.benchmark_name, t.timestamp),
    // The baseline window of `metrics check`: same project and benchmark, newest first.
    index("benchmark_runs_scope_timestamp_idx").on(t.project_name, t.benchmark_name, t.timestamp),
  ],
);

/** The run a metric group belongs to: one row per group per run, gone with its run. */
const runRef = () =>
  text("run_id")
    .primaryKey()
    .references(() => benchmarkRuns.run_id, { onDelete: "cascade" });

const jsonObjectCheck = (name: string, column: unknown) =>
  check(name, sql`json_valid(${column}) AND json_type(${column}) = 'object'`);

export const performanceMetrics = sqliteTable(
  "performance_metrics",
  {
    run_id: runRef(),
    total_time_seconds: real("total_time_seconds").notNull().default(0),
    phase_times: text("phase_times", { mode: "json" }).notNull().$type<Record<string, number>>().default(sql`'{}'`),
    token_usage_total: integer("token_usage_total").notNull().default(0),
    token_usage_by_agent: text("token_usage_by_agent", { mode: "json" })
      .notNull()
      .$type<Record<string, number>>()
      .default(sql`'{}'`),
    api_calls_count: integer("api_calls_count").notNull().default(0),
    api_calls_cost: real("api_calls_cost").notNull().default(0),
  },
  (t) => [
    check("performance_metrics_total_time_range", sql`${t.total_time_seconds} >= 0`),
    check("performance_metrics_token_usage_range", sql`${t.token_usage_total} >= 0`),
    check("performance_metrics_api_calls_range", sql`${t.api_calls_count} >= 0`),
    check("performance_metrics_api_cost_range", sql`${t.api_calls_cost} >= 0`),
    jsonObjectCheck("performance_metrics_phase_times_json", t.phase_times),
    jsonObjectCheck("performance_metrics_token_usage_by_agent_json", t.token_usage_by_agent),
  ],
);

export const autonomyMetrics = sqliteTable(
  "autonomy_metrics",
  {
    run_id: runRef(),
    manual_interventions_count: integer("manual_interventions_count").notNull().default(0),
    manual_interventions_types: text("manual_interventions_types", { mode: "json" })
      .notNull()
      .$type<string[]>()
      .default(sql`'[]'`),
    prompts_needed_initial: integer("prompts_needed_initial").notNull().default(0),
    prompts_needed_followup: integer("prompts_needed_followup").notNull().default(0),
    one_shot_success_rate: real("one_shot_success_rate").notNull().default(0),
    error_recovery_rate: real("error_recovery_rate").notNull().default(0),
    agent_handoffs_successful: integer("agent_handoffs_successful").notNull().default(0),
    agent_handoffs_failed: integer("agent_handoffs_failed").notNull().default(0),
  },
  (t) => [
    check("autonomy_metrics_interventions_range", sql`${t.manual_interventions_count} >= 0`),
    check(
      "autonomy_metrics_interventions_types_json",
      sql`json_valid(${t.manual_interventions_types}) AND json_type(${t.manual_interventions_types}) = 'array'`,
    ),
    check(
      "autonomy_metrics_prompts_range",
      sql`${t.prompts_needed_initial} >= 0 AND ${t.prompts_needed_followup} >= 0`,
    ),
    check(
      "autonomy_metrics_one_shot_rate_range",
      sql`${t.one_shot_success_rate} >= 0 AND ${t.one_shot_success_rate} <= 1`,
    ),
    check(
      "autonomy_metrics_error_recovery_rate_range",
      sql`${t.error_recovery_rate} >= 0 AND ${t.error_recovery_rate} <= 1`,
    ),
    check(
      "autonomy_metrics_handoffs_range",
      sql`${t.agent_handoffs_successful} >= 0 AND ${t.agent_handoffs_failed} >= 0`,
    ),
  ],
);

export const qualityMetrics = sqliteTable(
  "quality_metrics",
  {
    run_id: runRef(),
    tests_written: integer("tests_written").notNull().default(0),
    tests_passing: integer("tests_passing").notNull().default(0),
    code_coverage_percentage: real("code_coverage_percentage").notNull().default(0),
    linting_errors_count: integer("linting_errors_count").notNull().default(0),
    linting_errors_by_severity: text("linting_errors_by_severity", { mode: "json" })
      .notNull()
      .$type<Record<string, number>>()
      .default(sql`'{}'`),
    type_errors_count: integer("type_errors_count").notNull().default(0),
    security_vulnerabilities_count: integer("security_vulnerabilities_count").notNull().default(0),
    security_vulnerabilities_by_severity: text("security_vulnerabilities_by_severity", { mode: "json" })
      .notNull()
      .$type<Record<string, number>>()
      .default(sql`'{}'`),
    functional_completeness_percentage: real("functional_completeness_percentage").notNull().default(0),
  },
  (t) => [
    check("quality_metrics_tests_range", sql`${t.tests_written} >= 0 AND ${t.tests_passing} >= 0`),
    check("quality_metrics_tests_passing_le_written", sql`${t.tests_passing} <= ${t.tests_written}`),
    check(
      "quality_metrics_coverage_range",
      sql`${t.code_coverage_percentage} >= 0 AND ${t.code_coverage_percentage} <= 100`,
    ),
    check(
      "quality_metrics_completeness_range",
      sql`${t.functional_completeness_percentage} >= 0 AND ${t.functional_completeness_percentage} <= 100`,
    ),
    check(
      "quality_metrics_error_counts_range",
      sql`${t.linting_errors_count} >= 0 AND ${t.type_errors_count} >= 0 AND ${t.security_vulnerabilities_count} >= 0`,
    ),
    jsonObjectCheck("quality_metrics_linting_by_severity_json", t.linting_errors_by_severity),
    jsonObjectCheck("quality_metrics_security_by_severity_json", t.security_vulnerabilities_by_severity),
  ],
);

export const workflowMetrics = sqliteTable(
  "workflow_metrics",
  {
    run_id: runRef(),
    stories_created: integer("stories_created").notNull().default(0),
    stories_completed: integer("stories_completed").notNull().default(0),
    avg_cycle_time_seconds: real("avg_cycle_time_seconds").notNull().default(0),
    phase_distribution: text("phase_distribution", { mode: "json" })
      .notNull()
      .$type<Record<string, number>>()
      .default(sql`'{}'`),
    rework_count: integer("rework_count").notNull().default(0),
  },
  (t) => [
    check("workflow_metrics_stories_range", sql`${t.stories_created} >= 0 AND ${t.stories_completed} >= 0`),
    check("workflow_metrics_completed_le_created", sql`${t.stories_completed} <= ${t.stories_created}`),
    check("workflow_metrics_cycle_time_range", sql`${t.avg_cycle_time_seconds} >= 0`),
    check("workflow_metrics_rework_range", sql`${t.rework_count} >= 0`),
    jsonObjectCheck("workflow_metrics_phase_distribution_json", t.phase_distribution),
  ],
);

/** Regressions found by `metrics check`: one row per (run, metric, test), gone with its run. */
export const metricAlerts = sqliteTable(
  "metric_alerts",
  {
    alert_id: text("alert_id").primaryKey(),
    run_id: text("run_id")
      .notNull()
      .references(() => benchmarkRuns.run_id, { onDelete: "cascade" }),
    metric: text("metric").notNull(),
    test: text("test", { enum: ["static", "percent", "zscore", "ttest"] }).notNull(),
    direction: text("direction", { enum: ["lower", "higher"] }).notNull(),
    value: real("value").notNull(),
    baseline_runs: integer("baseline_runs").notNull(),
    baseline_mean: real("baseline_mean"),
    baseline_stddev: real("baseline_stddev"),
    statistic: real("statistic"),
    p_value: real("p_value"),
    limit: real("limit_value"),
    reason: text("reason").notNull(),
    created_at: createdAt(),
  },
  (t) => [
    check("metric_alerts_test", sql`${t.test} IN ('static', 'percent', 'zscore', 'ttest')`),
    check("metric_alerts_direction", sql`${t.direction} IN ('lower', 'higher')`),
    check("metric_alerts_p_value_range", sql`${t.p_value} IS NULL OR (${t.p_value} >= 0 AND ${t.p_value} <= 1)`),
    uniqueIndex("metric_alerts_run_metric_test_idx").on(t.run_id, t.metric, t.test),
    index("metric_alerts_created_idx").on(t.created_at),
  ],
);
