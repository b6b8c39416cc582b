import { sql } from "drizzle-orm";
import { check, foreignKey, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { NOW_ISO } from "./columns.js";
import { testExecutions } from "./ivr.js";
import { runs } from "./runs.js";

/**
 * The execution queue (domain `queue`). A work item is one IVR execution (kind 'ivr': its scenario's
 * numeric id in payload.scenario_id and its slug in scenario_id; the test_executions row is created,
 * status 'running', when a worker first claims it, and execution_id points at it from then on) or one
 * instance of an HTTP run (kind 'http', pointing at a runs row; its instances row is written when the
 * instance finishes). A queued IVR execution therefore exists only here until a worker starts it.
 *
 * A worker claims an item under a lease (claimed_by + lease_token + lease_expires_at), extends it
 * with heartbeats, and completes it. A lease that expires returns the item to the queue; past
 * max_attempts it ends 'failed'; past deadline_at (first start + timeout_seconds) it ends 'timeout'.
 * Deleting the execution or the run deletes its work item.
 */
export const workItems = sqliteTable(
  "work_items",
  {
    id: text("id").primaryKey(),
    kind: text("kind", { enum: ["ivr", "http"] }).notNull(),
    scenario_id: text("scenario_id").notNull(),
    execution_id: integer("execution_id").references(() => testExecutions.execution_id, { onDelete: "cascade" }),
    run_id: text("run_id"),
    instance_id: text("instance_id"),
    payload: text("payload").notNull().default(sql`'{}'`),
    status: text("status", { enum: ["queued", "running", "done", "failed", "timeout"] })
      .notNull()
      .default("queued"),
    attempts: integer("attempts").notNull().default(0),
    max_attempts: integer("max_attempts").notNull().default(3),
    timeout_seconds: integer("timeout_seconds").notNull(),
    claimed_by: text("claimed_by"),
    lease_token: text("lease_token"),
    lease_expires_at: text("lease_expires_at"),
    heartbeat_at: text("heartbeat_at"),
    last_error: text("last_error"),
    enqueued_at: text("enqueued_at").notNull().default(NOW_ISO),
    started_at: text("started_at"),
    deadline_at: text("deadline_at"),
    finished_at: text("finished_at"),
  },
  (t) => [
    foreignKey({ name: "work_items_run_fk", columns: [t.run_id], foreignColumns: [runs.id] }).onDelete("cascade"),
    check("work_items_kind_enum", sql`${t.kind} IN ('ivr', 'http')`),
    check("work_items_status_enum", sql`${t.status} IN ('queued', 'running', 'done', 'failed', 'timeout')`),
    check(
      "work_items_kind_refs",
      sql`(${t.kind} = 'ivr' AND (${t.execution_id} IS NOT NULL OR ${t.started_at} IS NULL OR ${t.status} = 'failed') AND ${t.run_id} IS NULL AND ${t.instance_id} IS NULL) OR (${t.kind} = 'http' AND ${t.execution_id} IS NULL AND ${t.run_id} IS NOT NULL AND ${t.instance_id} IS NOT NULL)`,
    ),
    check("work_items_attempts_range", sql`${t.attempts} >= 0 AND ${t.attempts} <= ${t.max_attempts}`),
    check("work_items_max_attempts_range", sql`${t.max_attempts} >= 1 AND ${t.max_attempts} <= 100`),
    check("work_items_timeout_positive", sql`${t.timeout_seconds} > 0`),
    check("work_items_payload_json", sql`json_valid(${t.payload}) AND json_type(${t.payload}) = 'object'`),
    check(
      "work_items_running_has_lease",
      sql`${t.status} <> 'running' OR (${t.claimed_by} IS NOT NULL AND ${t.lease_token} IS NOT NULL AND ${t.lease_expires_at} IS NOT NULL)`,
    ),
    check(
      "work_items_finished_iff_terminal",
      sql`(${t.status} IN ('done', 'failed', 'timeout')) = (${t.finished_at} IS NOT NULL)`,
    ),
    check("work_items_started_has_deadline", sql`(${t.started_at} IS NULL) = (${t.deadline_at} IS NULL)`),
    uniqueIndex("work_items_execution_id_uq").on(t.execution_id),
    uniqueIndex("work_items_run_instance_uq").on(t.run_id, t.instance_id),
    // Claiming: the oldest queued items (rowid breaks ties in enqueue order).
    index("work_items_status_enqueued_idx").on(t.status, t.enqueued_at),
    // Reaping: running items whose lease expired, queued/running items past their deadline.
    index("work_items_status_lease_idx").on(t.status, t.lease_expires_at),
    index("work_items_status_deadline_idx").on(t.status, t.deadline_at),
    index("work_items_scenario_id_idx").on(t.scenario_id),
  ],
);

/**
 * Idempotency ledger of step reports: a report retried after a lost response finds its key and is
 * skipped, so no step row is ever written twice. Keys of an item are dropped when a new attempt
 * claims it (together with that attempt's partial step rows).
 */
export const reportKeys = sqliteTable(
  "report_keys",
  {
    key: text("key").primaryKey(),
    work_item_id: text("work_item_id")
      .notNull()
      .references(() => workItems.id, { onDelete: "cascade" }),
    lease_token: text("lease_token").notNull(),
    created_at: text("created_at").notNull().default(NOW_ISO),
  },
  (t) => [index("report_keys_work_item_id_idx").on(t.work_item_id)],
);
