import { sql } from "drizzle-orm";
import { blob, check, foreignKey, index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const runs = sqliteTable(
  "runs",
  {
    id: text("id").primaryKey(),
    started_at: text("started_at").notNull(),
    completed_at: text("completed_at"),
    sut_name: text("sut_name").notNull(),
    scenario_ids: text("scenario_ids").notNull().default(sql`'[]'`),
    seed: integer("seed"),
    config: text("config").notNull().default(sql`'{}'`),
    /**
     * 'importing' while `runs import` commits its chunks (the run is hidden from every query), 'complete'
     * once its last chunk is in. `importer` names the importing process (pid@host) so the next import or
     * open can remove what a crashed one left.
     */
    state: text("state", { enum: ["importing", "complete"] })
      .notNull()
      .default("complete"),
    importer: text("importer"),
    /** 1 when the source run was interrupted: no summary.json, or instances/steps without an end. */
    interrupted: integer("interrupted", { mode: "boolean" }).notNull().default(false),
    /** Where an imported run came from: 'jsonl' (a run folder) or 'sqlite' (turbulence.db); null when not imported. */
    source_format: text("source_format"),
    /** manifest.json and summary.json exactly as the source folder held them (byte for byte), for export. */
    manifest_text: text("manifest_text"),
    summary_text: text("summary_text"),
    /** Which of instances/steps/assertions.jsonl the source folder had (a JSON array), so export adds none. */
    source_files: text("source_files"),
  },
  (t) => [
    check("runs_scenario_ids_json", sql`json_valid(${t.scenario_ids}) AND json_type(${t.scenario_ids}) = 'array'`),
    check("runs_config_json", sql`json_valid(${t.config}) AND json_type(${t.config}) = 'object'`),
    check("runs_state_enum", sql`${t.state} IN ('importing', 'complete')`),
    check("runs_interrupted_bool", sql`${t.interrupted} IN (0, 1)`),
    index("runs_sut_started_idx").on(t.sut_name, t.started_at),
    index("runs_started_at_idx").on(t.started_at),
  ],
);

/**
 * Instance ids are unique within a run only (tools number them per run), so the key is (run_id, id),
 * and steps/assertions carry run_id too: every query is per run and starts from that prefix.
 */
export const instances = sqliteTable(
  "instances",
  {
    run_id: text("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    id: text("id").notNull(),
    scenario_id: text("scenario_id").notNull(),
    correlation_id: text("correlation_id"),
    status: text("status", { enum: ["pass", "fail"] }).notNull(),
    started_at: text("started_at"),
    completed_at: text("completed_at"),
    duration_ms: real("duration_ms"),
    variations: text("variations"),
    error: text("error"),
    /** turbulence's `passed` as written (true/false/null); status is derived from it. */
    passed: integer("passed", { mode: "boolean" }),
    /** The whole entry_data, as the JSON text of the source line. */
    entry_data: text("entry_data"),
    /** The source line itself, kept only when the columns cannot write it back exactly (see turbulence/render.ts). */
    source: text("source"),
  },
  (t) => [
    primaryKey({ name: "instances_pk", columns: [t.run_id, t.id] }),
    check("instances_status_enum", sql`${t.status} IN ('pass', 'fail')`),
    check("instances_duration_range", sql`${t.duration_ms} IS NULL OR ${t.duration_ms} >= 0`),
    check("instances_variations_json", sql`${t.variations} IS NULL OR json_valid(${t.variations})`),
    check("instances_passed_bool", sql`${t.passed} IS NULL OR ${t.passed} IN (0, 1)`),
    check("instances_entry_data_json", sql`${t.entry_data} IS NULL OR json_valid(${t.entry_data})`),
    index("instances_run_status_idx").on(t.run_id, t.status),
    index("instances_run_scenario_idx").on(t.run_id, t.scenario_id),
    index("instances_run_started_idx").on(t.run_id, t.started_at),
    // Percentiles by ORDER BY … LIMIT 1 OFFSET k walk these instead of sorting (run-analytics.ts).
    index("instances_run_duration_idx").on(t.run_id, t.duration_ms),
    index("instances_run_scenario_duration_idx").on(t.run_id, t.scenario_id, t.duration_ms),
    // Failed instances are a few percent of a run: fail/error counts, per scenario, and error grouping
    // read this small partial index instead of visiting a million rows. It holds `passed` and `source`
    // too (runs/0005), so counting as turbulence does (passed null, placeholders) reads the index only.
    index("instances_run_failed_idx")
      .on(t.run_id, t.scenario_id, t.error, t.passed, t.source)
      .where(sql`${t.status} = 'fail'`),
  ],
);

export const steps = sqliteTable(
  "steps",
  {
    // A plain rowid key: AUTOINCREMENT would cost a sqlite_sequence write per bulk-imported row.
    id: integer("id").primaryKey(),
    run_id: text("run_id").notNull(),
    instance_id: text("instance_id").notNull(),
    step_index: integer("step_index").notNull(),
    action_name: text("action_name").notNull(),
    action_type: text("action_type").notNull(),
    service: text("service"),
    started_at: text("started_at"),
    latency_ms: real("latency_ms"),
    status_code: integer("status_code"),
    ok: integer("ok", { mode: "boolean" }),
    observation: text("observation").notNull().default(sql`'{}'`),
    /** The step's own correlation id (null: the instance's). */
    correlation_id: text("correlation_id"),
    /** The source line, kept only when the columns cannot write it back exactly. */
    source: text("source"),
  },
  (t) => [
    foreignKey({
      name: "steps_instance_fk",
      columns: [t.run_id, t.instance_id],
      foreignColumns: [instances.run_id, instances.id],
    }).onDelete("cascade"),
    check("steps_step_index_range", sql`${t.step_index} >= 0`),
    check("steps_latency_range", sql`${t.latency_ms} IS NULL OR ${t.latency_ms} >= 0`),
    check("steps_ok_bool", sql`${t.ok} IS NULL OR ${t.ok} IN (0, 1)`),
    check("steps_observation_json", sql`json_valid(${t.observation})`),
    index("steps_run_instance_idx").on(t.run_id, t.instance_id, t.step_index),
    index("steps_run_action_type_idx").on(t.run_id, t.action_type),
    // latency_ms last: per-service percentiles walk this index; it still serves (run_id, service) filters.
    index("steps_run_service_idx").on(t.run_id, t.service, t.latency_ms),
    index("steps_run_latency_idx").on(t.run_id, t.latency_ms),
    index("steps_run_action_latency_idx").on(t.run_id, t.action_name, t.latency_ms),
    // Failed steps are a few percent of a run: a partial index finds them without scanning the run.
    index("steps_run_failed_idx").on(t.run_id, t.action_name).where(sql`${t.ok} = 0`),
    // Steps not ok (ok false or missing), whose errors turbulence's error categories count: computing
    // them for a run's stored statistics reads these few entries instead of every step (runs/0004).
    index("steps_run_not_ok_idx").on(t.run_id, t.instance_id).where(sql`${t.ok} IS NOT 1`),
  ],
);

export const assertions = sqliteTable(
  "assertions",
  {
    // A plain rowid key: AUTOINCREMENT would cost a sqlite_sequence write per bulk-imported row.
    id: integer("id").primaryKey(),
    run_id: text("run_id").notNull(),
    instance_id: text("instance_id").notNull(),
    step_index: integer("step_index"),
    assertion_name: text("assertion_name").notNull(),
    passed: integer("passed", { mode: "boolean" }).notNull(),
    expected: text("expected"),
    actual: text("actual"),
    /** The message when the assertion failed (what the failure queries read); `message` holds it either way. */
    error: text("error"),
    correlation_id: text("correlation_id"),
    message: text("message"),
    timestamp: text("timestamp"),
    /** The source line, kept only when the columns cannot write it back exactly. */
    source: text("source"),
  },
  (t) => [
    foreignKey({
      name: "assertions_instance_fk",
      columns: [t.run_id, t.instance_id],
      foreignColumns: [instances.run_id, instances.id],
    }).onDelete("cascade"),
    check("assertions_passed_bool", sql`${t.passed} IN (0, 1)`),
    check("assertions_expected_json", sql`${t.expected} IS NULL OR json_valid(${t.expected})`),
    check("assertions_actual_json", sql`${t.actual} IS NULL OR json_valid(${t.actual})`),
    index("assertions_run_instance_idx").on(t.run_id, t.instance_id),
    index("assertions_run_passed_name_idx").on(t.run_id, t.passed, t.assertion_name),
  ],
);

/**
 * The files of a run folder's artifacts/ (e.g. artifacts/<instance_id>/variation.json), byte for byte,
 * so that a per-run database is self-contained and export writes them back. `path` is relative to
 * artifacts/ with '/' separators; `instance_id` is its first folder (null for a file at the top).
 */
export const runArtifacts = sqliteTable(
  "run_artifacts",
  {
    run_id: text("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    path: text("path").notNull(),
    instance_id: text("instance_id"),
    bytes: blob("bytes", { mode: "buffer" }).notNull(),
  },
  (t) => [primaryKey({ name: "run_artifacts_pk", columns: [t.run_id, t.path] })],
);

/**
 * Statistics of a run, computed once from its rows when the run is imported or completed
 * (queries/run-analytics/stored.ts) so that `runs summary`, the gate and the error categories read a
 * few rows instead of walking millions. A run without a row here (an old database, a run still being
 * written) is computed from its rows instead; the numbers are the same either way. `version` is the
 * computation's format: a row of another version is ignored (recomputed from the rows).
 */
export const runStats = sqliteTable(
  "run_stats",
  {
    run_id: text("run_id")
      .primaryKey()
      .references(() => runs.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    computed_at: text("computed_at").notNull(),
    /** Instance counts as turbulence's summary counts them (summary.ts, InstanceCounts). */
    instances: integer("instances").notNull(),
    pass: integer("pass").notNull(),
    fail: integer("fail").notNull(),
    undecided: integer("undecided").notNull(),
    error: integer("error").notNull(),
    steps: integer("steps").notNull(),
    failed_steps: integer("failed_steps").notNull(),
    assertions: integer("assertions").notNull(),
    failed_assertions: integer("failed_assertions").notNull(),
  },
  (t) => [check("run_stats_counts_range", sql`${t.instances} >= 0 AND ${t.steps} >= 0 AND ${t.assertions} >= 0`)],
);

/**
 * One group of a run's statistics: the whole run, a scenario, an action or a service, over one
 * measure (instance duration or step latency), in the order the summary lists them
 * (`ord`). Percentiles by both methods: `p50`… by linear interpolation (turbulence's), `p50_nearest`…
 * by nearest rank; min, max and mean are the same for both.
 */
export const runStatGroups = sqliteTable(
  "run_stat_groups",
  {
    run_id: text("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    dimension: text("dimension", { enum: ["run", "scenario", "action", "service"] }).notNull(),
    measure: text("measure", { enum: ["duration_ms", "latency_ms"] }).notNull(),
    ord: integer("ord").notNull(),
    key1: text("key1"),
    key2: text("key2"),
    /** Rows in the group (instances or steps). */
    rows: integer("rows").notNull(),
    /** Scenario groups: instance counts (InstanceCounts); null for the others. */
    instances: integer("instances"),
    pass: integer("pass"),
    fail: integer("fail"),
    undecided: integer("undecided"),
    error: integer("error"),
    /** Values the percentiles are over (non-null ones). */
    n: integer("n").notNull(),
    min: real("min"),
    max: real("max"),
    mean: real("mean"),
    p50: real("p50"),
    p95: real("p95"),
    p99: real("p99"),
    p50_nearest: real("p50_nearest"),
    p95_nearest: real("p95_nearest"),
    p99_nearest: real("p99_nearest"),
  },
  (t) => [
    primaryKey({ name: "run_stat_groups_pk", columns: [t.run_id, t.dimension, t.measure, t.ord] }),
    check("run_stat_groups_dimension_enum", sql`${t.dimension} IN ('run', 'scenario', 'action', 'service')`),
    check("run_stat_groups_measure_enum", sql`${t.measure} IN ('duration_ms', 'latency_ms')`),
  ],
);

/** Turbulence's error categories of a run (report.ts, errorCategories) with counts and up to five example instances. */
export const runErrorCategories = sqliteTable(
  "run_error_categories",
  {
    run_id: text("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    category: text("category").notNull(),
    count: integer("count").notNull(),
    /** JSON array of instance ids, sorted, at most five. */
    example_instance_ids: text("example_instance_ids").notNull(),
  },
  (t) => [
    primaryKey({ name: "run_error_categories_pk", columns: [t.run_id, t.category] }),
    check("run_error_categories_examples_json", sql`json_valid(${t.example_instance_ids})`),
  ],
);

/**
 * The groups of turbulence's report (queries/run-analytics/report.ts) of a run, computed with the rest
 * of its statistics: per scenario (instance pass/fail counts, `count` = their sum), per scenario ×
 * action and per service (steps, not-ok steps, mean and p50/p95/p99 latency with a missing latency
 * counted as 0), in the report's order (`ord`). Percentiles by both methods as in run_stat_groups.
 */
export const runReportGroups = sqliteTable(
  "run_report_groups",
  {
    run_id: text("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: ["scenario", "scenario_action", "service"] }).notNull(),
    ord: integer("ord").notNull(),
    /** scenario: scenario id; scenario_action: scenario id; service: the service. */
    key1: text("key1").notNull(),
    /** scenario_action: the action (step name); null for the others. */
    key2: text("key2"),
    count: integer("count").notNull(),
    fail_count: integer("fail_count").notNull(),
    /** scenario: passed instances; null for the others. */
    pass_count: integer("pass_count"),
    mean: real("mean"),
    p50: real("p50"),
    p95: real("p95"),
    p99: real("p99"),
    p50_nearest: real("p50_nearest"),
    p95_nearest: real("p95_nearest"),
    p99_nearest: real("p99_nearest"),
  },
  (t) => [
    primaryKey({ name: "run_report_groups_pk", columns: [t.run_id, t.kind, t.ord] }),
    check("run_report_groups_kind_enum", sql`${t.kind} IN ('scenario', 'scenario_action', 'service')`),
  ],
);
