import type { InValue } from "@libsql/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConstraintError,
  NotFoundError,
  type VerdictDb,
  createRun,
  createScenario,
  finishExecution,
  insertAssertions,
  insertInstances,
  insertSteps,
  openDatabase,
  recordBenchmarkRun,
  recordStepExecution,
  recordStepExecutions,
  startExecution,
  translateDbError,
} from "@verdict/db";
import { TARGETS, rejection, TABLES } from "./helpers.js";

const T0 = "2026-01-01T00:00:00.000Z";
const T1 = "2026-01-02T00:00:00.000Z";

type Row = Record<string, InValue>;

/** A row each table accepts, pointing at the parents made in `parents()`. */
const BASE: Record<string, Row> = {
  test_scenarios: { slug: "scn-new", name: "n", target_phone: "+1555", steps: "[]", timeout_seconds: 10 },
  test_executions: { scenario_id: 1, status: "running", start_time: T0 },
  step_executions: { execution_id: 1, step_number: 0, step_type: "prompt", status: "pass" },
  intent_training_data: { text_sample: "hello", intent_label: "greet" },
  ivr_ids_0004: { kind: "scenario", old_id: "old-text-id", new_id: 99 },
  ivr_targets: { name: "ivr-new", channel: "twiml", url: "https://ivr.example/voice", options: "{}" },
  benchmark_runs: { run_id: "bench-new", timestamp: T0, project_name: "p", benchmark_name: "b", version: "1" },
  performance_metrics: { run_id: "bench-bare" },
  autonomy_metrics: { run_id: "bench-bare" },
  quality_metrics: { run_id: "bench-bare" },
  workflow_metrics: { run_id: "bench-bare" },
  metric_alerts: {
    alert_id: "alert-new",
    run_id: "bench-bare",
    metric: "total_time_seconds",
    test: "zscore",
    direction: "lower",
    value: 1,
    baseline_runs: 2,
    reason: "r",
  },
  runs: { id: "run-new", started_at: T0, sut_name: "shop" },
  instances: { run_id: "run-1", id: "inst-new", scenario_id: "login", status: "pass" },
  steps: { run_id: "run-1", instance_id: "inst-1", step_index: 0, action_name: "get", action_type: "http" },
  assertions: { run_id: "run-1", instance_id: "inst-1", assertion_name: "status is 200", passed: 1 },
  run_stats: {
    run_id: "run-1",
    version: 1,
    computed_at: T0,
    instances: 1,
    pass: 1,
    fail: 0,
    undecided: 0,
    error: 0,
    steps: 1,
    failed_steps: 0,
    assertions: 1,
    failed_assertions: 0,
  },
  run_stat_groups: { run_id: "run-1", dimension: "run", measure: "latency_ms", ord: 0, rows: 1, n: 1 },
  run_error_categories: { run_id: "run-1", category: "Timeout", count: 1, example_instance_ids: "[]" },
  run_report_groups: { run_id: "run-1", kind: "service", ord: 0, key1: "auth", count: 1, fail_count: 0 },
};

/** [constraint, table, columns that break exactly that constraint]. */
const CHECK_CASES: [string, string, Row][] = [
  ["test_scenarios_steps_json", "test_scenarios", { steps: '{"type":"prompt"}' }],
  ["test_scenarios_steps_json", "test_scenarios", { steps: "not json" }],
  ["test_scenarios_timeout_positive", "test_scenarios", { timeout_seconds: 0 }],
  ["ivr_targets_name_slug", "ivr_targets", { name: "Prod IVR" }],
  ["ivr_targets_name_slug", "ivr_targets", { name: "-lead" }],
  ["ivr_targets_channel_enum", "ivr_targets", { channel: "sip" }],
  ["ivr_targets_url_http", "ivr_targets", { url: "ftp://ivr.example" }],
  ["ivr_targets_options_json", "ivr_targets", { options: "[]" }],
  ["test_executions_status_enum", "test_executions", { status: "done" }],
  ["test_executions_status_enum", "test_executions", { status: "queued" }],
  ["test_scenarios_slug_shape", "test_scenarios", { slug: "42" }],
  ["ivr_ids_0004_kind_enum", "ivr_ids_0004", { kind: "run" }],
  ["ivr_ids_0004_only_queued_unmapped", "ivr_ids_0004", { new_id: null }],
  ["test_scenarios_slug_shape", "test_scenarios", { slug: "two words" }],
  ["test_executions_final_result_enum", "test_executions", { final_result: "maybe" }],
  ["test_executions_end_after_start", "test_executions", { start_time: T1, end_time: T0 }],
  ["step_executions_step_type_enum", "step_executions", { step_type: "voice" }],
  ["step_executions_status_enum", "step_executions", { status: "ok" }],
  ["step_executions_confidence_range", "step_executions", { confidence: 1.01 }],
  ["step_executions_confidence_range", "step_executions", { confidence: -0.01 }],
  ["step_executions_step_number_range", "step_executions", { step_number: -1 }],
  ["step_executions_latency_range", "step_executions", { latency_ms: -1 }],
  ["step_executions_dtmf_chars", "step_executions", { dtmf_sent: "12x" }],
  ["step_executions_dtmf_chars", "step_executions", { dtmf_sent: "" }],
  ["step_executions_dtmf_chars", "step_executions", { dtmf_sent: "1E" }],
  ["intent_training_data_threshold_range", "intent_training_data", { confidence_threshold: 1.5 }],
  ["intent_training_data_threshold_range", "intent_training_data", { confidence_threshold: -0.5 }],
  ["intent_training_data_source_enum", "intent_training_data", { source: "scraped" }],
  ["intent_training_data_validation_status_enum", "intent_training_data", { validation_status: "approved" }],
  ["intent_training_data_text_not_blank", "intent_training_data", { text_sample: "   " }],
  ["intent_training_data_label_not_blank", "intent_training_data", { intent_label: "" }],
  ["benchmark_runs_metadata_json", "benchmark_runs", { metadata: "[1,2]" }],
  ["benchmark_runs_metadata_json", "benchmark_runs", { metadata: "{oops" }],
  ["performance_metrics_total_time_range", "performance_metrics", { total_time_seconds: -1 }],
  ["performance_metrics_token_usage_range", "performance_metrics", { token_usage_total: -1 }],
  ["performance_metrics_api_calls_range", "performance_metrics", { api_calls_count: -1 }],
  ["performance_metrics_api_cost_range", "performance_metrics", { api_calls_cost: -0.5 }],
  ["performance_metrics_phase_times_json", "performance_metrics", { phase_times: "[]" }],
  ["performance_metrics_token_usage_by_agent_json", "performance_metrics", { token_usage_by_agent: "nope" }],
  ["autonomy_metrics_interventions_range", "autonomy_metrics", { manual_interventions_count: -1 }],
  ["autonomy_metrics_interventions_types_json", "autonomy_metrics", { manual_interventions_types: "{}" }],
  ["autonomy_metrics_prompts_range", "autonomy_metrics", { prompts_needed_initial: -1 }],
  ["autonomy_metrics_prompts_range", "autonomy_metrics", { prompts_needed_followup: -1 }],
  ["autonomy_metrics_one_shot_rate_range", "autonomy_metrics", { one_shot_success_rate: 1.01 }],
  ["autonomy_metrics_one_shot_rate_range", "autonomy_metrics", { one_shot_success_rate: -0.01 }],
  ["autonomy_metrics_error_recovery_rate_range", "autonomy_metrics", { error_recovery_rate: 2 }],
  ["autonomy_metrics_handoffs_range", "autonomy_metrics", { agent_handoffs_failed: -1 }],
  ["quality_metrics_tests_range", "quality_metrics", { tests_written: -1, tests_passing: -2 }],
  ["quality_metrics_tests_passing_le_written", "quality_metrics", { tests_written: 5, tests_passing: 6 }],
  ["quality_metrics_coverage_range", "quality_metrics", { code_coverage_percentage: 100.5 }],
  ["quality_metrics_coverage_range", "quality_metrics", { code_coverage_percentage: -1 }],
  ["quality_metrics_completeness_range", "quality_metrics", { functional_completeness_percentage: 101 }],
  ["quality_metrics_error_counts_range", "quality_metrics", { type_errors_count: -1 }],
  ["quality_metrics_linting_by_severity_json", "quality_metrics", { linting_errors_by_severity: "[]" }],
  ["quality_metrics_security_by_severity_json", "quality_metrics", { security_vulnerabilities_by_severity: "x" }],
  ["workflow_metrics_stories_range", "workflow_metrics", { stories_created: -1, stories_completed: -1 }],
  ["workflow_metrics_completed_le_created", "workflow_metrics", { stories_created: 3, stories_completed: 4 }],
  ["workflow_metrics_cycle_time_range", "workflow_metrics", { avg_cycle_time_seconds: -1 }],
  ["workflow_metrics_rework_range", "workflow_metrics", { rework_count: -1 }],
  ["workflow_metrics_phase_distribution_json", "workflow_metrics", { phase_distribution: "1" }],
  ["metric_alerts_test", "metric_alerts", { test: "eyeball" }],
  ["metric_alerts_direction", "metric_alerts", { direction: "sideways" }],
  ["metric_alerts_p_value_range", "metric_alerts", { p_value: 1.5 }],
  ["runs_scenario_ids_json", "runs", { scenario_ids: "{}" }],
  ["runs_config_json", "runs", { config: "[]" }],
  ["instances_status_enum", "instances", { status: "ok" }],
  ["instances_duration_range", "instances", { duration_ms: -1 }],
  ["instances_variations_json", "instances", { variations: "{bad" }],
  ["instances_passed_bool", "instances", { passed: 2 }],
  ["instances_entry_data_json", "instances", { entry_data: "{bad" }],
  ["runs_state_enum", "runs", { state: "half" }],
  ["runs_interrupted_bool", "runs", { interrupted: 3 }],
  ["steps_step_index_range", "steps", { step_index: -1 }],
  ["steps_latency_range", "steps", { latency_ms: -0.1 }],
  ["steps_ok_bool", "steps", { ok: 2 }],
  ["steps_observation_json", "steps", { observation: "nope" }],
  ["assertions_passed_bool", "assertions", { passed: 2 }],
  ["assertions_expected_json", "assertions", { expected: "{x" }],
  ["assertions_actual_json", "assertions", { actual: "{x" }],
  ["run_stats_counts_range", "run_stats", { steps: -1 }],
  ["run_stat_groups_dimension_enum", "run_stat_groups", { dimension: "planet" }],
  ["run_stat_groups_measure_enum", "run_stat_groups", { measure: "weight" }],
  ["run_error_categories_examples_json", "run_error_categories", { example_instance_ids: "[x" }],
  ["run_report_groups_kind_enum", "run_report_groups", { kind: "planet" }],
];

/** [constraint name, child table, row with a missing parent]. */
const FK_CASES: [string, string, Row][] = [
  [
    "test_executions(scenario_id)->test_scenarios(scenario_id)",
    "test_executions",
    { ...BASE.test_executions, scenario_id: 999 },
  ],
  [
    "step_executions(execution_id)->test_executions(execution_id)",
    "step_executions",
    { ...BASE.step_executions, execution_id: 999 },
  ],
  ["performance_metrics(run_id)->benchmark_runs(run_id)", "performance_metrics", { run_id: "no-such-bench" }],
  ["autonomy_metrics(run_id)->benchmark_runs(run_id)", "autonomy_metrics", { run_id: "no-such-bench" }],
  ["quality_metrics(run_id)->benchmark_runs(run_id)", "quality_metrics", { run_id: "no-such-bench" }],
  ["workflow_metrics(run_id)->benchmark_runs(run_id)", "workflow_metrics", { run_id: "no-such-bench" }],
  [
    "metric_alerts(run_id)->benchmark_runs(run_id)",
    "metric_alerts",
    { ...BASE.metric_alerts, run_id: "no-such-bench" },
  ],
  ["instances(run_id)->runs(id)", "instances", { ...BASE.instances, run_id: "no-such-run" }],
  ["steps(run_id,instance_id)->instances(run_id,id)", "steps", { ...BASE.steps, instance_id: "no-such-instance" }],
  ["assertions(run_id,instance_id)->instances(run_id,id)", "assertions", { ...BASE.assertions, run_id: "no-such-run" }],
  ["run_stats(run_id)->runs(id)", "run_stats", { ...BASE.run_stats, run_id: "no-such-run" }],
  ["run_stat_groups(run_id)->runs(id)", "run_stat_groups", { ...BASE.run_stat_groups, run_id: "no-such-run" }],
  [
    "run_error_categories(run_id)->runs(id)",
    "run_error_categories",
    { ...BASE.run_error_categories, run_id: "no-such-run" },
  ],
  ["run_report_groups(run_id)->runs(id)", "run_report_groups", { ...BASE.run_report_groups, run_id: "no-such-run" }],
];

function insertSql(table: string, row: Row): { sql: string; args: InValue[] } {
  const cols = Object.keys(row);
  return {
    sql: `INSERT INTO "${table}" (${cols.map((c) => `"${c}"`).join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`,
    args: Object.values(row),
  };
}

async function count(h: VerdictDb, table: string): Promise<number> {
  const rs = await h.client.execute(`SELECT count(*) AS n FROM "${table}"`);
  return Number(rs.rows[0]?.n);
}

async function countAll(h: VerdictDb): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) out[t] = await count(h, t);
  return out;
}

/** Runs raw SQL and returns what translateDbError makes of its failure (fails the test if it succeeds). */
async function rawFailure(h: VerdictDb, table: string, row: Row): Promise<unknown> {
  try {
    await h.client.execute(insertSql(table, row));
  } catch (e) {
    return translateDbError(h.client, e, { table, row });
  }
  throw new Error(`INSERT into ${table} of ${JSON.stringify(row)} was accepted`);
}

/** One parent of each kind: scenario scn-1 (id 1) with execution 1, benchmark bench-1 (+ bare bench-bare), run run-1 with inst-1. */
async function parents(h: VerdictDb): Promise<void> {
  await createScenario(h, {
    slug: "scn-1",
    name: "s",
    target_phone: "+1555",
    steps: [{ type: "prompt", expected_text: "hi" }],
  });
  await startExecution(h, { scenario_id: "scn-1", start_time: T1 });
  await recordBenchmarkRun(h, { run_id: "bench-1", timestamp: T0, project_name: "p", benchmark_name: "b" });
  await h.client.execute(insertSql("benchmark_runs", { ...BASE.benchmark_runs, run_id: "bench-bare" }));
  await createRun(h, { id: "run-1", started_at: T0, sut_name: "shop" });
  await insertInstances(h.client, [["run-1", "inst-1", "login", null, "pass", T0, null, null, null, null]]);
}

describe.each(TARGETS)("constraints on %s", (_label, url) => {
  let h: VerdictDb;
  beforeEach(async () => {
    h = await openDatabase({ url: url(), migrate: true, domains: ["ivr", "metrics", "runs"] });
    await parents(h);
  });
  afterEach(() => h.close());

  it("accepts every base row (so each bad row below fails only for the column it changes)", async () => {
    await h.client.execute("BEGIN");
    try {
      for (const [table, row] of Object.entries(BASE)) {
        const rs = await h.client.execute(insertSql(table, row));
        expect(rs.rowsAffected, table).toBe(1);
      }
    } finally {
      await h.client.execute("ROLLBACK");
    }
  });

  it("the cases below cover every named CHECK constraint of the 14 tables", async () => {
    const rs = await h.client.execute({
      sql: `SELECT sql FROM sqlite_master WHERE type = 'table' AND name IN (${TABLES.map(() => "?").join(",")})`,
      args: TABLES,
    });
    const named = new Set<string>();
    for (const r of rs.rows) {
      for (const m of String(r.sql).matchAll(/CONSTRAINT\s+"([^"]+)"\s+CHECK/g)) if (m[1]) named.add(m[1]);
    }
    expect(named.size).toBeGreaterThan(50);
    expect([...new Set(CHECK_CASES.map(([c]) => c))].sort()).toEqual([...named].sort());
  });

  it.each(CHECK_CASES)("CHECK %s rejects %s %j", async (constraint, table, bad) => {
    const before = await countAll(h);
    const err = await rawFailure(h, table, { ...BASE[table], ...bad });
    expect(err).toBeInstanceOf(ConstraintError);
    const ce = err as ConstraintError;
    expect(ce.kind).toBe("check");
    expect(ce.constraint).toBe(constraint);
    expect(ce.code).toBe("CONSTRAINT");
    expect(ce.message).toContain(constraint);
    expect(await countAll(h)).toEqual(before);
  });

  it.each(FK_CASES)("FOREIGN KEY %s rejects an orphan row (raw SQL)", async (constraint, table, row) => {
    const before = await countAll(h);
    const err = await rawFailure(h, table, row);
    expect(err).toBeInstanceOf(ConstraintError);
    const ce = err as ConstraintError;
    expect(ce.kind).toBe("foreign_key");
    expect(ce.constraint).toBe(constraint);
    expect(ce.message).toContain(constraint);
    expect(await countAll(h)).toEqual(before);
  });

  it("recordStepExecution names the step_executions -> test_executions foreign key", async () => {
    const err = await rejection(
      recordStepExecution(h, {
        execution_id: 999,
        step_number: 0,
        step_type: "prompt",
        status: "pass",
      }),
    );
    expect(err).toBeInstanceOf(ConstraintError);
    expect((err as ConstraintError).kind).toBe("foreign_key");
    expect((err as ConstraintError).constraint).toBe("step_executions(execution_id)->test_executions(execution_id)");
    expect(await count(h, "step_executions")).toBe(0);
  });

  it("recordStepExecutions names the foreign key even when the orphan is not the first row, and writes none", async () => {
    const ok = { execution_id: 1, step_type: "prompt" as const, status: "pass" as const };
    const err = await rejection(
      recordStepExecutions(h, [
        { ...ok, step_number: 0 },
        { ...ok, step_number: 1 },
        { ...ok, step_number: 2, execution_id: 999 },
      ]),
    );
    expect(err).toBeInstanceOf(ConstraintError);
    expect((err as ConstraintError).constraint).toBe("step_executions(execution_id)->test_executions(execution_id)");
    expect(await count(h, "step_executions")).toBe(0);
  });

  it("startExecution on an unknown scenario is NotFound and writes nothing", async () => {
    const err = await rejection(startExecution(h, { scenario_id: "no-such-scenario" }));
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).message).toContain("no-such-scenario");
    expect(await count(h, "test_executions")).toBe(1);
  });

  it("finishExecution with an end before the start hits test_executions_end_after_start and changes nothing", async () => {
    const err = await rejection(finishExecution(h, { execution_id: 1, status: "completed", end_time: T0 }));
    expect(err).toBeInstanceOf(ConstraintError);
    expect((err as ConstraintError).constraint).toBe("test_executions_end_after_start");
    const rs = await h.client.execute("SELECT status, end_time FROM test_executions WHERE execution_id = 1");
    expect(rs.rows[0]?.status).toBe("running");
    expect(rs.rows[0]?.end_time).toBeNull();
  });

  it("createScenario with a taken id is a UNIQUE ConstraintError with code CONFLICT", async () => {
    const err = await rejection(
      createScenario(h, { slug: "scn-1", name: "dup", target_phone: "+1", steps: [{ type: "prompt" }] }),
    );
    expect(err).toBeInstanceOf(ConstraintError);
    expect((err as ConstraintError).kind).toBe("unique");
    expect((err as ConstraintError).code).toBe("CONFLICT");
    expect((err as ConstraintError).constraint).toBe("test_scenarios.slug");
    expect(await count(h, "test_scenarios")).toBe(1);
  });

  it("bulk inserts of instances, steps and assertions with a missing parent are refused whole", async () => {
    const before = await countAll(h);
    const instErr = await rejection(
      insertInstances(h.client, [
        ["run-1", "inst-2", "login", null, "pass", null, null, null, null, null],
        ["run-x", "inst-3", "login", null, "pass", null, null, null, null, null],
      ]),
    );
    const inst = await translateDbError(h.client, instErr, { table: "instances", row: { run_id: "run-x", id: "i" } });
    expect((inst as ConstraintError).constraint).toBe("instances(run_id)->runs(id)");

    const stepErr = await rejection(
      insertSteps(h.client, [
        ["run-1", "inst-1", 0, "get", "http", null, null, null, null, 1, "{}"],
        ["run-1", "inst-9", 0, "get", "http", null, null, null, null, 1, "{}"],
      ]),
    );
    const step = await translateDbError(h.client, stepErr, {
      table: "steps",
      row: { run_id: "run-1", instance_id: "inst-9" },
    });
    expect((step as ConstraintError).constraint).toBe("steps(run_id,instance_id)->instances(run_id,id)");

    const assertErr = await rejection(
      insertAssertions(h.client, [["run-1", "inst-9", null, "status", 1, null, null, null]]),
    );
    const asrt = await translateDbError(h.client, assertErr, {
      table: "assertions",
      row: { run_id: "run-1", instance_id: "inst-9" },
    });
    expect((asrt as ConstraintError).constraint).toBe("assertions(run_id,instance_id)->instances(run_id,id)");
    expect(await countAll(h)).toEqual(before);
  });
});
