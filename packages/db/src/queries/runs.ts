import {
  type Assertion,
  type AssertionQueryInput,
  type Instance,
  type InstanceQueryInput,
  type JsonValue,
  type Observation,
  type Page,
  type Run,
  type RunInput,
  type RunListInput,
  type Step,
  type StepQueryInput,
  assertionQueryInput,
  instanceQueryInput,
  runInput,
  runListInput,
  stepQueryInput,
} from "@verdict/schema";
import type { InValue, Row } from "@libsql/client";
import { translateDbError } from "../db-errors.js";
import { ConflictError, NotFoundError } from "../errors.js";
import type { VerdictDb } from "../open.js";
import { decodeCursor, parseJson, toPage } from "./common.js";

/** Anything that runs SQL: a client or an open transaction. */
export interface SqlExecutor {
  execute(stmt: { sql: string; args: InValue[] }): Promise<{ rows: Row[]; rowsAffected: number }>;
}

/** Column order of the bulk inserts; rows are arrays in this order. */
export const INSTANCE_COLUMNS = [
  "run_id",
  "id",
  "scenario_id",
  "correlation_id",
  "status",
  "started_at",
  "completed_at",
  "duration_ms",
  "variations",
  "error",
] as const;
export const STEP_COLUMNS = [
  "run_id",
  "instance_id",
  "step_index",
  "action_name",
  "action_type",
  "service",
  "started_at",
  "latency_ms",
  "status_code",
  "ok",
  "observation",
] as const;
export const ASSERTION_COLUMNS = [
  "run_id",
  "instance_id",
  "step_index",
  "assertion_name",
  "passed",
  "expected",
  "actual",
  "error",
] as const;

export type InstanceTuple = [
  string,
  string,
  string,
  string | null,
  "pass" | "fail",
  string | null,
  string | null,
  number | null,
  string | null,
  string | null,
];
export type StepTuple = [
  string,
  string,
  number,
  string,
  string,
  string | null,
  string | null,
  number | null,
  number | null,
  0 | 1 | null,
  string,
];
export type AssertionTuple = [
  string,
  string,
  number | null,
  string,
  0 | 1,
  string | null,
  string | null,
  string | null,
];

/**
 * One INSERT … SELECT … FROM json_each(?) per batch: the whole batch travels as a single JSON
 * argument, which costs one statement (and over HTTP one round trip) instead of one per row.
 */
export function bulkInsertSql(table: string, columns: readonly string[]): string {
  const select = columns.map((_, i) => `value ->> ${i}`).join(", ");
  return `INSERT INTO ${table} (${columns.join(", ")}) SELECT ${select} FROM json_each(?)`;
}
const INSERT_INSTANCES = bulkInsertSql("instances", INSTANCE_COLUMNS);
const INSERT_STEPS = bulkInsertSql("steps", STEP_COLUMNS);
const INSERT_ASSERTIONS = bulkInsertSql("assertions", ASSERTION_COLUMNS);

export async function insertInstances(x: SqlExecutor, rows: InstanceTuple[]): Promise<void> {
  if (rows.length > 0) await x.execute({ sql: INSERT_INSTANCES, args: [JSON.stringify(rows)] });
}
export async function insertSteps(x: SqlExecutor, rows: StepTuple[]): Promise<void> {
  if (rows.length > 0) await x.execute({ sql: INSERT_STEPS, args: [JSON.stringify(rows)] });
}
export async function insertAssertions(x: SqlExecutor, rows: AssertionTuple[]): Promise<void> {
  if (rows.length > 0) await x.execute({ sql: INSERT_ASSERTIONS, args: [JSON.stringify(rows)] });
}

const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

export async function createRun(h: VerdictDb, raw: RunInput, x: SqlExecutor = h.client): Promise<Run> {
  const input = runInput.parse(raw);
  const row = {
    id: input.id,
    started_at: input.started_at,
    completed_at: input.completed_at ?? null,
    sut_name: input.sut_name,
    scenario_ids: JSON.stringify(input.scenario_ids),
    seed: input.seed ?? null,
    config: JSON.stringify(input.config),
  };
  try {
    await x.execute({
      sql: "INSERT INTO runs (id, started_at, completed_at, sut_name, scenario_ids, seed, config) VALUES (?, ?, ?, ?, ?, ?, ?)",
      args: [row.id, row.started_at, row.completed_at, row.sut_name, row.scenario_ids, row.seed, row.config],
    });
  } catch (e) {
    const err = await translateDbError(h.client, e, { table: "runs", row });
    if (err instanceof Error && "kind" in err && err.kind === "unique")
      throw new ConflictError(`run '${input.id}' already exists`, "id");
    throw err;
  }
  return { ...input, completed_at: input.completed_at ?? null, seed: input.seed ?? null };
}

export async function completeRun(h: VerdictDb, id: string, completedAt: string): Promise<Run> {
  const rs = await h.client.execute({ sql: "UPDATE runs SET completed_at = ? WHERE id = ?", args: [completedAt, id] });
  if (rs.rowsAffected === 0) throw new NotFoundError("run", id);
  return getRun(h, id);
}

function toRun(r: Row): Run {
  return {
    id: String(r.id),
    started_at: String(r.started_at),
    completed_at: r.completed_at === null ? null : String(r.completed_at),
    sut_name: String(r.sut_name),
    scenario_ids: parseJson<string[]>(r.scenario_ids, []),
    seed: r.seed === null ? null : Number(r.seed),
    config: parseJson<Record<string, JsonValue>>(r.config, {}),
  };
}

export async function getRun(h: VerdictDb, id: string): Promise<Run> {
  // A run still being imported (state 'importing') is not there yet for anyone.
  const rs = await h.client.execute({ sql: "SELECT * FROM runs WHERE id = ? AND state = 'complete'", args: [id] });
  const row = rs.rows[0];
  if (!row) throw new NotFoundError("run", id);
  return toRun(row);
}

/** False while a run is being imported (runs.state = 'importing'): its rows are not there yet for queries. */
async function runVisible(h: VerdictDb, id: string): Promise<boolean> {
  const rs = await h.client.execute({ sql: "SELECT state FROM runs WHERE id = ?", args: [id] });
  const r = rs.rows[0];
  return r === undefined || r.state === "complete";
}

export async function runExists(x: SqlExecutor, id: string): Promise<boolean> {
  const rs = await x.execute({ sql: "SELECT 1 FROM runs WHERE id = ?", args: [id] });
  return rs.rows.length > 0;
}

export async function deleteRun(h: VerdictDb, id: string, x: SqlExecutor = h.client): Promise<{ deleted: true }> {
  const rs = await x.execute({ sql: "DELETE FROM runs WHERE id = ?", args: [id] });
  if (rs.rowsAffected === 0) throw new NotFoundError("run", id);
  return { deleted: true };
}

export async function listRuns(h: VerdictDb, raw: RunListInput = {}): Promise<Page<Run>> {
  const input = runListInput.parse(raw);
  const where: string[] = ["state = 'complete'"];
  const args: InValue[] = [];
  if (input.sut_name) {
    where.push("sut_name = ?");
    args.push(input.sut_name);
  }
  if (input.since) {
    where.push("started_at >= ?");
    args.push(input.since);
  }
  if (input.until) {
    where.push("started_at <= ?");
    args.push(input.until);
  }
  if (input.cursor) {
    const [started, id] = decodeCursor(input.cursor, ["string", "string"]);
    where.push("(started_at < ? OR (started_at = ? AND id < ?))");
    args.push(String(started), String(started), String(id));
  }
  const rs = await h.client.execute({
    sql: `SELECT * FROM runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY started_at DESC, id DESC LIMIT ?`,
    args: [...args, input.limit + 1],
  });
  return toPage(rs.rows.map(toRun), input.limit, (r) => [r.started_at, r.id]);
}

export function toInstance(r: Row): Instance {
  return {
    id: String(r.id),
    run_id: String(r.run_id),
    scenario_id: String(r.scenario_id),
    correlation_id: r.correlation_id === null ? null : String(r.correlation_id),
    status: r.status === "pass" ? "pass" : "fail",
    started_at: r.started_at === null ? null : String(r.started_at),
    completed_at: r.completed_at === null ? null : String(r.completed_at),
    duration_ms: r.duration_ms === null ? null : Number(r.duration_ms),
    variations: parseJson<JsonValue | null>(r.variations, null),
    error: r.error === null ? null : String(r.error),
  };
}

/**
 * A page of a run's instances in rowid order without a filter. No index orders a run's instances by
 * rowid alone, so `WHERE run_id = ? ORDER BY rowid LIMIT n` reads and sorts every instance of the run
 * (150 ms on a million); the status index (run_id, status) holds each status's rows in rowid order,
 * and status is 'pass' or 'fail' (CHECK instances_status_enum), so the page is the first n of the
 * two ranges merged: two index range reads of n entries and n row lookups, however large the run.
 */
function unfilteredInstancePage(runId: string, after: number | null, n: number): { sql: string; args: InValue[] } {
  const arm = (status: string) =>
    `SELECT r FROM (SELECT rowid AS r FROM instances INDEXED BY instances_run_status_idx
       WHERE run_id = ?1 AND status = '${status}'${after === null ? "" : " AND rowid > ?3"} ORDER BY rowid LIMIT ?2)`;
  return {
    // The rowids are this run's already: another condition on run_id would lead the planner to an index scan.
    sql: `SELECT rowid AS _rowid, * FROM instances
          WHERE rowid IN (${arm("pass")} UNION ALL ${arm("fail")} ORDER BY r LIMIT ?2)
          ORDER BY rowid`,
    args: after === null ? [runId, n] : [runId, n, after],
  };
}

/**
 * Instances of a run by status/scenario/time/error text. Pages follow insertion order (rowid), which
 * every (run_id, …) index already holds, so a page is a short index range scan however big the run.
 */
export async function queryInstances(
  h: VerdictDb,
  raw: InstanceQueryInput,
): Promise<Page<Instance> & { total: number | null }> {
  const input = instanceQueryInput.parse(raw);
  const where = ["run_id = ?"];
  const args: InValue[] = [input.run_id];
  if (input.status) {
    where.push("status = ?");
    args.push(input.status);
  }
  if (input.scenario_id) {
    where.push("scenario_id = ?");
    args.push(input.scenario_id);
  }
  if (input.since) {
    where.push("started_at >= ?");
    args.push(input.since);
  }
  if (input.until) {
    where.push("started_at <= ?");
    args.push(input.until);
  }
  if (input.error_contains) {
    where.push("instr(error, ?) > 0");
    args.push(input.error_contains);
  }
  if (input.has_error !== undefined)
    where.push(input.has_error ? "coalesce(error, '') != ''" : "coalesce(error, '') = ''");
  const filterSql = where.join(" AND ");
  const filterArgs = [...args];
  const unfiltered = where.length === 1;
  let after: number | null = null;
  if (input.cursor) {
    const [rowid] = decodeCursor(input.cursor, ["int"]);
    after = Number(rowid);
    where.push("rowid > ?");
    args.push(after);
  }
  // The run's visibility, the page and its total from one read transaction: one snapshot (a server
  // replica may apply the run between separate statements) and one round trip to a remote database.
  const [state, rs, c] = await h.client.batch(
    [
      { sql: "SELECT state FROM runs WHERE id = ?", args: [input.run_id] },
      unfiltered
        ? unfilteredInstancePage(input.run_id, after, input.limit + 1)
        : {
            sql: `SELECT rowid AS _rowid, * FROM instances WHERE ${where.join(" AND ")} ORDER BY rowid LIMIT ?`,
            args: [...args, input.limit + 1],
          },
      ...(input.with_total
        ? [{ sql: `SELECT count(*) AS n FROM instances WHERE ${filterSql}`, args: filterArgs }]
        : []),
    ],
    "read",
  );
  const runState = state?.rows[0]?.state;
  if (runState !== undefined && runState !== "complete")
    return { items: [], nextCursor: null, total: input.with_total ? 0 : null };
  const page = toPage(rs?.rows ?? [], input.limit, (r) => [Number(r._rowid)]);
  const total = c ? Number(c.rows[0]?.n ?? 0) : null;
  return {
    items: page.items.map(toInstance),
    nextCursor: page.nextCursor,
    total,
  };
}

export function toStep(r: Row): Step {
  return {
    id: Number(r.id),
    run_id: String(r.run_id),
    instance_id: String(r.instance_id),
    step_index: Number(r.step_index),
    action_name: String(r.action_name),
    action_type: String(r.action_type),
    service: r.service === null ? null : String(r.service),
    started_at: r.started_at === null ? null : String(r.started_at),
    latency_ms: r.latency_ms === null ? null : Number(r.latency_ms),
    status_code: r.status_code === null ? null : Number(r.status_code),
    ok: r.ok === null ? null : Number(r.ok) === 1,
    observation: parseJson<Observation>(r.observation, {}),
  };
}

export type StepWithInstance = Step & { scenario_id: string; instance_status: "pass" | "fail" };

/**
 * Steps of a run by instance, correlation id, step name, action name, action type, service, ok,
 * status code and minimum latency, joined with their instance.
 */
export async function querySteps(h: VerdictDb, raw: StepQueryInput): Promise<Page<StepWithInstance>> {
  const input = stepQueryInput.parse(raw);
  if (!(await runVisible(h, input.run_id))) return { items: [], nextCursor: null };
  const where = ["s.run_id = ?"];
  const args: InValue[] = [input.run_id];
  if (input.action_type) {
    where.push("s.action_type = ?");
    args.push(input.action_type);
  }
  if (input.service) {
    where.push("s.service = ?");
    args.push(input.service);
  }
  if (input.ok !== undefined) {
    where.push("s.ok = ?");
    args.push(input.ok ? 1 : 0);
  }
  if (input.min_latency_ms !== undefined) {
    where.push("s.latency_ms >= ?");
    args.push(input.min_latency_ms);
  }
  if (input.instance_status) {
    where.push("i.status = ?");
    args.push(input.instance_status);
  }
  if (input.instance_id) {
    where.push("s.instance_id = ?");
    args.push(input.instance_id);
  }
  if (input.correlation_id) {
    where.push("i.correlation_id = ?");
    args.push(input.correlation_id);
  }
  if (input.step_name) {
    where.push("s.action_name = ?");
    args.push(input.step_name);
  }
  if (input.action_name) {
    where.push("coalesce(s.observation ->> '$.action_name', s.action_name) = ?");
    args.push(input.action_name);
  }
  if (input.status_code !== undefined) {
    where.push("s.status_code = ?");
    args.push(input.status_code);
  }
  if (input.cursor) {
    const [id] = decodeCursor(input.cursor, ["int"]);
    where.push("s.id > ?");
    args.push(Number(id));
  }
  const rs = await h.client.execute({
    sql: `SELECT s.*, i.scenario_id AS scenario_id, i.status AS instance_status
          FROM steps s JOIN instances i ON i.run_id = s.run_id AND i.id = s.instance_id
          WHERE ${where.join(" AND ")} ORDER BY s.id LIMIT ?`,
    args: [...args, input.limit + 1],
  });
  const page = toPage(rs.rows, input.limit, (r) => [Number(r.id)]);
  const items = page.items.map((r) => ({
    ...toStep(r),
    scenario_id: String(r.scenario_id),
    instance_status: r.instance_status === "pass" ? ("pass" as const) : ("fail" as const),
  }));
  return { items, nextCursor: page.nextCursor };
}

export function toAssertion(r: Row): Assertion {
  return {
    id: Number(r.id),
    run_id: String(r.run_id),
    instance_id: String(r.instance_id),
    step_index: r.step_index === null ? null : Number(r.step_index),
    assertion_name: String(r.assertion_name),
    passed: Number(r.passed) === 1,
    expected: parseJson<JsonValue | null>(r.expected, null),
    actual: parseJson<JsonValue | null>(r.actual, null),
    error: r.error === null ? null : String(r.error),
  };
}

export async function queryAssertions(h: VerdictDb, raw: AssertionQueryInput): Promise<Page<Assertion>> {
  const input = assertionQueryInput.parse(raw);
  if (!(await runVisible(h, input.run_id))) return { items: [], nextCursor: null };
  const where = ["run_id = ?"];
  const args: InValue[] = [input.run_id];
  if (input.passed !== undefined) {
    where.push("passed = ?");
    args.push(input.passed ? 1 : 0);
  }
  if (input.assertion_name) {
    where.push("assertion_name = ?");
    args.push(input.assertion_name);
  }
  if (input.cursor) {
    const [id] = decodeCursor(input.cursor, ["int"]);
    where.push("id > ?");
    args.push(Number(id));
  }
  const rs = await h.client.execute({
    sql: `SELECT * FROM assertions WHERE ${where.join(" AND ")} ORDER BY id LIMIT ?`,
    args: [...args, input.limit + 1],
  });
  const page = toPage(rs.rows, input.limit, (r) => [Number(r.id)]);
  return { items: page.items.map(toAssertion), nextCursor: page.nextCursor };
}

export { json as toJsonText };
