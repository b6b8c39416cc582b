import type { StepDefinition } from "@verdict/schema";
import { sql } from "drizzle-orm";
import { check, index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, updatedAt } from "./columns.js";

export const testScenarios = sqliteTable(
  "test_scenarios",
  {
    scenario_id: integer("scenario_id").primaryKey({ autoIncrement: true }),
    /** The human-readable key files and the CLI use (e.g. `banking-balance`); never all digits, so it cannot be mistaken for an id. */
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    target_phone: text("target_phone").notNull(),
    steps: text("steps", { mode: "json" }).notNull().$type<StepDefinition[]>(),
    timeout_seconds: integer("timeout_seconds").notNull().default(300),
    created_at: createdAt(),
    updated_at: updatedAt(),
    /** The name of the ivr_targets row its calls go to (no foreign key: deleting a target is checked by the verb). */
    target: text("target"),
  },
  (t) => [
    check("test_scenarios_steps_json", sql`json_valid(${t.steps}) AND json_type(${t.steps}) = 'array'`),
    check("test_scenarios_timeout_positive", sql`${t.timeout_seconds} > 0`),
    check(
      "test_scenarios_slug_shape",
      sql`length(${t.slug}) BETWEEN 1 AND 200 AND ${t.slug} NOT GLOB '*[^A-Za-z0-9._-]*' AND ${t.slug} GLOB '*[^0-9]*'`,
    ),
    uniqueIndex("test_scenarios_slug_uq").on(t.slug),
    index("test_scenarios_name_idx").on(t.name),
    index("test_scenarios_target_idx").on(t.target),
  ],
);

/** Named IVR targets; never a secret in here (auth tokens come from the environment by target name). */
export const ivrTargets = sqliteTable(
  "ivr_targets",
  {
    name: text("name").primaryKey(),
    channel: text("channel", { enum: ["webhook", "twiml"] }).notNull(),
    url: text("url").notNull(),
    options: text("options", { mode: "json" }).notNull().default({}).$type<Record<string, string>>(),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    check(
      "ivr_targets_name_slug",
      sql`length(${t.name}) BETWEEN 1 AND 64 AND ${t.name} NOT GLOB '*[^a-z0-9-]*' AND ${t.name} NOT GLOB '-*'`,
    ),
    check("ivr_targets_channel_enum", sql`${t.channel} IN ('webhook', 'twiml')`),
    check("ivr_targets_url_http", sql`${t.url} GLOB 'http://?*' OR ${t.url} GLOB 'https://?*'`),
    check("ivr_targets_options_json", sql`json_valid(${t.options}) AND json_type(${t.options}) = 'object'`),
  ],
);

export const testExecutions = sqliteTable(
  "test_executions",
  {
    execution_id: integer("execution_id").primaryKey({ autoIncrement: true }),
    scenario_id: integer("scenario_id")
      .notNull()
      .references(() => testScenarios.scenario_id, { onDelete: "cascade" }),
    status: text("status", { enum: ["running", "completed", "failed", "timeout"] })
      .notNull()
      .default("running"),
    start_time: text("start_time"),
    end_time: text("end_time"),
    call_id: text("call_id"),
    final_result: text("final_result", { enum: ["pass", "fail"] }),
    error_message: text("error_message"),
  },
  (t) => [
    check("test_executions_status_enum", sql`${t.status} IN ('running', 'completed', 'failed', 'timeout')`),
    check("test_executions_final_result_enum", sql`${t.final_result} IS NULL OR ${t.final_result} IN ('pass', 'fail')`),
    check(
      "test_executions_end_after_start",
      sql`${t.end_time} IS NULL OR ${t.start_time} IS NULL OR ${t.end_time} >= ${t.start_time}`,
    ),
    index("test_executions_scenario_id_idx").on(t.scenario_id),
    index("test_executions_status_idx").on(t.status),
    index("test_executions_call_id_idx").on(t.call_id),
    index("test_executions_start_time_idx").on(t.start_time),
  ],
);

export const stepExecutions = sqliteTable(
  "step_executions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    execution_id: integer("execution_id")
      .notNull()
      .references(() => testExecutions.execution_id, { onDelete: "cascade" }),
    step_number: integer("step_number").notNull(),
    step_type: text("step_type", { enum: ["prompt", "intent", "dtmf", "validate"] }).notNull(),
    expected_intent: text("expected_intent"),
    actual_intent: text("actual_intent"),
    confidence: real("confidence"),
    transcript: text("transcript"),
    dtmf_sent: text("dtmf_sent"),
    status: text("status", { enum: ["pass", "fail", "skipped", "error"] }).notNull(),
    started_at: text("started_at"),
    ended_at: text("ended_at"),
    latency_ms: real("latency_ms"),
    error: text("error"),
  },
  (t) => [
    check("step_executions_step_type_enum", sql`${t.step_type} IN ('prompt', 'intent', 'dtmf', 'validate')`),
    check("step_executions_status_enum", sql`${t.status} IN ('pass', 'fail', 'skipped', 'error')`),
    check(
      "step_executions_confidence_range",
      sql`${t.confidence} IS NULL OR (${t.confidence} >= 0 AND ${t.confidence} <= 1)`,
    ),
    check("step_executions_step_number_range", sql`${t.step_number} >= 0`),
    check("step_executions_latency_range", sql`${t.latency_ms} IS NULL OR ${t.latency_ms} >= 0`),
    check(
      "step_executions_dtmf_chars",
      sql`${t.dtmf_sent} IS NULL OR (${t.dtmf_sent} <> '' AND ${t.dtmf_sent} NOT GLOB '*[^0-9*#A-D]*')`,
    ),
    index("step_executions_execution_id_idx").on(t.execution_id),
    index("step_executions_status_idx").on(t.status),
    // A step of an execution is recorded once: the key of idempotent step reports.
    uniqueIndex("step_executions_execution_step_uq").on(t.execution_id, t.step_number),
  ],
);

export const intentTrainingData = sqliteTable(
  "intent_training_data",
  {
    training_id: integer("training_id").primaryKey({ autoIncrement: true }),
    text_sample: text("text_sample").notNull(),
    intent_label: text("intent_label").notNull(),
    confidence_threshold: real("confidence_threshold").notNull().default(0.85),
    source: text("source", { enum: ["manual", "recorded", "synthetic"] })
      .notNull()
      .default("manual"),
    validation_status: text("validation_status", { enum: ["pending", "validated", "rejected"] })
      .notNull()
      .default("pending"),
    created_at: createdAt(),
  },
  (t) => [
    check(
      "intent_training_data_threshold_range",
      sql`${t.confidence_threshold} >= 0 AND ${t.confidence_threshold} <= 1`,
    ),
    check("intent_training_data_source_enum", sql`${t.source} IN ('manual', 'recorded', 'synthetic')`),
    check(
      "intent_training_data_validation_status_enum",
      sql`${t.validation_status} IN ('pending', 'validated', 'rejected')`,
    ),
    check("intent_training_data_text_not_blank", sql`trim(${t.text_sample}) <> ''`),
    check("intent_training_data_label_not_blank", sql`trim(${t.intent_label}) <> ''`),
    index("intent_training_data_intent_label_idx").on(t.intent_label),
    index("intent_training_data_validation_status_idx").on(t.validation_status),
  ],
);
