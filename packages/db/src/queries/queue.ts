import { randomBytes } from "node:crypto";
import type { InValue, Row, Transaction } from "@libsql/client";
import {
  type ClaimInput,
  type ClaimedItem,
  type CompleteInput,
  type CompleteManyInput,
  type CompletionResult,
  type EnqueueExecutionsInput,
  type FailInput,
  type FinishResult,
  type HandBackInput,
  type HeartbeatInput,
  type HttpScenario,
  type JsonValue,
  type LeaseState,
  type Page,
  type QueueCounts,
  type QueueListInput,
  type ReportInput,
  type ReportResult,
  type Run,
  type Scenario,
  type StartRunInput,
  type WorkItem,
  type WorkKind,
  type WorkStatus,
  claimInput,
  completeInput,
  completeManyInput,
  enqueueExecutionsInput,
  failInput,
  handBackInput,
  heartbeatInput,
  httpScenario,
  type ivrStepReport,
  queueListInput,
  reportInput,
  startRunInput,
  workKind,
  workStatus,
} from "@verdict/schema";
import type { z } from "zod";
import { translateDbError } from "../db-errors.js";
import { ConflictError, NotFoundError, VerdictError } from "../errors.js";
import type { VerdictDb } from "../open.js";
import { decodeCursor, encodeCursor, newId, parseJson } from "./common.js";
import { queueTransaction } from "./queue-connection.js";
import { storeRunStatsIn } from "./run-analytics/store.js";
import {
  type AssertionTuple,
  type InstanceTuple,
  type StepTuple,
  createRun,
  insertAssertions,
  insertInstances,
  insertSteps,
} from "./runs.js";

/**
 * The execution queue. Every state change runs in one write transaction (BEGIN IMMEDIATE), so two
 * workers never hold the same item and a crash between statements leaves nothing half-done.
 * Times are ISO-8601 UTC strings from this process's clock; they sort as text.
 */

/** A running item whose deadline passed is reaped this long after it, leaving the worker time to report `timeout` itself. */
export const DEADLINE_GRACE_MS = 2_000;

type StepReportRow = z.output<typeof ivrStepReport>;

const iso = (ms: number) => new Date(ms).toISOString();
const str = (v: unknown) => String(v);
const strOrNull = (v: unknown) => (v === null || v === undefined ? null : String(v));
const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));
/** An IVR item's scenario (numeric id), kept in its payload; null for HTTP items. */
const scenarioRefOf = (r: Row) =>
  r.kind === "ivr" ? numOrNull(parseJson<{ scenario_id?: unknown }>(r.payload, {}).scenario_id) : null;
const newLease = () => randomBytes(12).toString("base64url");

/**
 * Group commit. In-process writers queue here instead of spinning on SQLite's busy handler (other
 * processes are kept out by the write lock itself). The calls queued while one transaction runs
 * share the next one: each call runs inside its own SAVEPOINT, so a call that fails is undone alone
 * and the others still commit; no caller hears "done" before the COMMIT that holds its writes. One
 * transaction per group instead of per call: one BEGIN, one COMMIT (one WAL sync) and one fresh
 * connection from the driver (it hands its connection to every transaction) for many calls.
 */
interface QueuedWrite {
  table: string;
  fn: (tx: Transaction) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}
interface WriteGroup {
  queue: QueuedWrite[];
  running: boolean;
}
/** Most calls in one transaction: bounds how long the write lock is held at once. */
const MAX_GROUP = 64;
const writeGroups = new WeakMap<VerdictDb, WriteGroup>();

function writeTx<T>(h: VerdictDb, table: string, fn: (tx: Transaction) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let g = writeGroups.get(h);
    if (!g) {
      g = { queue: [], running: false };
      writeGroups.set(h, g);
    }
    g.queue.push({ table, fn, resolve: resolve as (v: unknown) => void, reject });
    if (!g.running) {
      g.running = true;
      // After the current I/O callbacks: the calls of one HTTP batch reach this point a few
      // microtasks apart and join the same transaction.
      const group = g;
      setImmediate(() => void drainWrites(h, group));
    }
  });
}

/** writeTx for calls that put work in the queue: waiting claims of this process wake once it is committed. */
async function writeTxThenWake<T>(h: VerdictDb, table: string, fn: (tx: Transaction) => Promise<T>): Promise<T> {
  const out = await writeTx(h, table, fn);
  workAppeared(h);
  return out;
}

async function drainWrites(h: VerdictDb, g: WriteGroup): Promise<void> {
  try {
    while (g.queue.length > 0) await runGroup(h, g.queue.splice(0, MAX_GROUP));
  } finally {
    g.running = false;
  }
}

async function failure(h: VerdictDb, e: unknown, table: string): Promise<unknown> {
  return e instanceof VerdictError ? e : await translateDbError(h.client, e, { table });
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Runs `fn` inside SAVEPOINT `name`: kept when it succeeds, undone alone when it fails (the failure
 * is returned and the transaction goes on). When the undo itself fails, the transaction is gone and
 * this throws.
 */
async function inSavepoint<T>(tx: Transaction, name: string, fn: () => Promise<T>): Promise<Outcome<T>> {
  await tx.execute(`SAVEPOINT ${name}`);
  try {
    const value = await fn();
    await tx.execute(`RELEASE ${name}`);
    return { ok: true, value };
  } catch (error) {
    await tx.execute(`ROLLBACK TO ${name}`);
    await tx.execute(`RELEASE ${name}`);
    return { ok: false, error };
  }
}

async function runGroup(h: VerdictDb, calls: QueuedWrite[]): Promise<void> {
  const outcomes: Outcome<unknown>[] = [];
  let tx: Transaction;
  try {
    tx = await queueTransaction(h);
  } catch (e) {
    for (const c of calls) c.reject(await failure(h, e, c.table));
    return;
  }
  const alone = calls.length === 1;
  try {
    for (const c of calls)
      outcomes.push(alone ? { ok: true, value: await c.fn(tx) } : await inSavepoint(tx, "queue_call", () => c.fn(tx)));
    await tx.commit();
  } catch (e) {
    try {
      await tx.rollback();
    } catch {
      // the transaction may already be gone with its connection; nothing was committed
    }
    for (const c of calls) c.reject(await failure(h, e, c.table));
    return;
  } finally {
    tx.close();
  }
  for (const [i, c] of calls.entries()) {
    const o = outcomes[i];
    if (o?.ok) c.resolve(o.value);
    else c.reject(await failure(h, o?.error, c.table));
  }
}

function toWorkItem(r: Row): WorkItem {
  return {
    id: str(r.id),
    kind: workKind.parse(r.kind),
    status: workStatus.parse(r.status),
    scenario_id: str(r.scenario_id),
    scenario_ref: scenarioRefOf(r),
    execution_id: numOrNull(r.execution_id),
    run_id: strOrNull(r.run_id),
    instance_id: strOrNull(r.instance_id),
    attempts: Number(r.attempts),
    max_attempts: Number(r.max_attempts),
    timeout_seconds: Number(r.timeout_seconds),
    claimed_by: strOrNull(r.claimed_by),
    lease_expires_at: strOrNull(r.lease_expires_at),
    heartbeat_at: strOrNull(r.heartbeat_at),
    last_error: strOrNull(r.last_error),
    enqueued_at: str(r.enqueued_at),
    started_at: strOrNull(r.started_at),
    deadline_at: strOrNull(r.deadline_at),
    finished_at: strOrNull(r.finished_at),
  };
}

// ---------- enqueue ----------

/**
 * Queues `repeat` executions of an IVR scenario (named by id or slug): one work item each, carrying
 * the scenario's id (payload) and slug. No test_executions row exists until a worker claims an item:
 * a queued execution lives only here, and its execution_id appears on the item when it starts.
 */
export async function enqueueExecutions(
  h: VerdictDb,
  raw: EnqueueExecutionsInput,
): Promise<{ scenario_id: number; slug: string; item_ids: string[] }> {
  const input = enqueueExecutionsInput.parse(raw);
  const now = iso(Date.now());
  return writeTxThenWake(h, "work_items", async (tx) => {
    const byId = typeof input.scenario_id === "number";
    const sc = await tx.execute({
      sql: `SELECT scenario_id, slug, timeout_seconds FROM test_scenarios WHERE ${byId ? "scenario_id" : "slug"} = ?`,
      args: [input.scenario_id],
    });
    const row = sc.rows[0];
    if (!row) throw new NotFoundError("scenario", String(input.scenario_id));
    const scenarioId = Number(row.scenario_id);
    const slug = str(row.slug);
    const ids = Array.from({ length: input.repeat }, () => newId("wi"));
    await tx.execute({
      sql: `INSERT INTO work_items (id, kind, scenario_id, payload, max_attempts, timeout_seconds, enqueued_at)
            SELECT value, 'ivr', ?, json_object('scenario_id', ?), ?, ?, ? FROM json_each(?)`,
      args: [slug, scenarioId, input.max_attempts, Number(row.timeout_seconds), now, JSON.stringify(ids)],
    });
    return { scenario_id: scenarioId, slug, item_ids: ids };
  });
}

/**
 * Starts an HTTP run: a runs row (its config keeps the scenario the workers execute) and one work
 * item per instance. Instance rows appear as instances finish.
 */
export async function startHttpRun(
  h: VerdictDb,
  raw: StartRunInput,
): Promise<{ run: Run; instances: number; instance_ids: string[] }> {
  const input = startRunInput.parse(raw);
  const scenario = input.scenario;
  const runId = input.run_id ?? newId("run");
  const now = iso(Date.now());
  const width = Math.max(4, String(input.instances).length);
  const rows = Array.from(
    { length: input.instances },
    (_, i) => [newId("wi"), `inst-${String(i + 1).padStart(width, "0")}`, i] as const,
  );
  return writeTxThenWake(h, "work_items", async (tx) => {
    const run = await createRun(
      h,
      {
        id: runId,
        started_at: now,
        sut_name: input.sut_name ?? scenario.sut ?? scenario.id,
        scenario_ids: [scenario.id],
        seed: input.seed ?? null,
        config: {
          source: "verdict-worker",
          instances: input.instances,
          scenario: JSON.parse(JSON.stringify(scenario)) as JsonValue,
        },
      },
      tx,
    );
    await tx.execute({
      sql: `INSERT INTO work_items (id, kind, scenario_id, run_id, instance_id, payload, max_attempts, timeout_seconds, enqueued_at)
            SELECT value ->> 0, 'http', ?, ?, value ->> 1, json_object('instance_index', value -> 2), ?, ?, ? FROM json_each(?)`,
      args: [scenario.id, runId, scenario.max_attempts, scenario.timeout_seconds, now, JSON.stringify(rows)],
    });
    return { run, instances: rows.length, instance_ids: rows.map((r) => r[1]) };
  });
}

// ---------- reaping ----------

interface ItemRef {
  id: string;
  kind: WorkKind;
  execution_id: number | null;
  /** An IVR item's scenario (numeric id). */
  scenario_ref: number | null;
  run_id: string | null;
  instance_id: string | null;
  scenario_id: string;
  started_at: string | null;
}

function itemRef(r: Row): ItemRef {
  return {
    id: str(r.id),
    kind: workKind.parse(r.kind),
    execution_id: numOrNull(r.execution_id),
    scenario_ref: scenarioRefOf(r),
    run_id: strOrNull(r.run_id),
    instance_id: strOrNull(r.instance_id),
    scenario_id: str(r.scenario_id),
    started_at: strOrNull(r.started_at),
  };
}

/**
 * Marks the run completed once none of its items is queued or running, and stores its statistics in
 * the same transaction (the run is complete with them or not at all). Checked at every completion,
 * so it must not cost the run's size: `+run_id` keeps SQLite on the status indexes (the first queued
 * item of a run in progress is found at once, and few items run at a time) instead of the run's
 * index, which read every item of the run to look at its status (quadratic over a run).
 */
async function maybeCompleteRun(tx: Transaction, runId: string, now: string): Promise<void> {
  const rs = await tx.execute({
    sql: `UPDATE runs SET completed_at = ? WHERE id = ? AND completed_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM work_items WHERE status = 'queued' AND +run_id = ?)
          AND NOT EXISTS (SELECT 1 FROM work_items WHERE status = 'running' AND +run_id = ?)`,
    args: [now, runId, runId, runId],
  });
  if (rs.rowsAffected > 0) await storeRunStatsIn(tx, runId);
}

/**
 * Ends an item as failed or timed out, and what it stands for with it: the IVR execution gets the
 * same status with final_result 'fail'; an HTTP instance is recorded as a failed instance.
 */
async function endItem(
  tx: Transaction,
  item: ItemRef,
  status: "failed" | "timeout",
  reason: string,
  now: string,
  by: "worker" | "queue",
) {
  // Ended by the queue itself (reaper), the lease is dropped: the worker's late calls are refused,
  // not mistaken for retries of a call that ended it.
  await tx.execute({
    sql: `UPDATE work_items SET status = ?, finished_at = ?, last_error = ?, lease_expires_at = NULL,
            lease_token = CASE WHEN ? THEN lease_token ELSE NULL END WHERE id = ?`,
    args: [status, now, reason, by === "worker" ? 1 : 0, item.id],
  });
  await tx.execute({ sql: "DELETE FROM report_keys WHERE work_item_id = ?", args: [item.id] });
  if (item.kind === "ivr" && item.execution_id) {
    await tx.execute({
      sql: `UPDATE test_executions SET status = ?, final_result = 'fail', error_message = ?,
              end_time = CASE WHEN start_time IS NOT NULL AND start_time > ? THEN start_time ELSE ? END
            WHERE execution_id = ? AND status = 'running'`,
      args: [status, reason, now, now, item.execution_id],
    });
  } else if (item.kind === "http" && item.run_id && item.instance_id) {
    const started = item.started_at ?? now;
    const duration = Math.max(0, Date.parse(now) - Date.parse(started));
    const row: InstanceTuple = [
      item.run_id,
      item.instance_id,
      item.scenario_id,
      item.id,
      "fail",
      started,
      now,
      duration,
      null,
      reason,
    ];
    // A partial instance row of the attempt (none is written before completion) gives way to this one.
    await tx.execute({
      sql: "DELETE FROM instances WHERE run_id = ? AND id = ?",
      args: [item.run_id, item.instance_id],
    });
    await insertInstances(tx, [row]);
    await maybeCompleteRun(tx, item.run_id, now);
  }
}

/**
 * Returns items whose lease expired to the queue (attempt counted), fails those out of attempts,
 * and times out those past their deadline. Runs at every claim; also callable on its own.
 */
async function reapIn(
  tx: Transaction,
  nowMs: number,
): Promise<{ requeued: number; failed: number; timed_out: number }> {
  const now = iso(nowMs);
  const counts = { requeued: 0, failed: 0, timed_out: 0 };
  const late = await tx.execute({
    sql: `SELECT * FROM work_items
          WHERE (status = 'queued' AND deadline_at IS NOT NULL AND deadline_at <= ?)
             OR (status = 'running' AND deadline_at <= ?)`,
    args: [now, iso(nowMs - DEADLINE_GRACE_MS)],
  });
  for (const r of late.rows) {
    await endItem(
      tx,
      itemRef(r),
      "timeout",
      `timed out: exceeded timeout_seconds=${Number(r.timeout_seconds)}`,
      now,
      "queue",
    );
    counts.timed_out++;
  }
  const expired = await tx.execute({
    sql: "SELECT * FROM work_items WHERE status = 'running' AND lease_expires_at <= ?",
    args: [now],
  });
  for (const r of expired.rows) {
    const attempts = Number(r.attempts);
    const max = Number(r.max_attempts);
    const why = `attempt ${attempts}/${max}: lease expired (worker ${str(r.claimed_by)} stopped heartbeating)`;
    if (attempts >= max) {
      await endItem(tx, itemRef(r), "failed", `gave up after ${attempts} attempt(s); last: ${why}`, now, "queue");
      counts.failed++;
    } else {
      await requeue(tx, itemRef(r), why, false);
      counts.requeued++;
    }
  }
  return counts;
}

async function requeue(tx: Transaction, item: ItemRef, why: string, uncount: boolean): Promise<void> {
  await tx.execute({
    sql: `UPDATE work_items SET status = 'queued', lease_token = NULL, lease_expires_at = NULL, last_error = ?,
            attempts = attempts - ? WHERE id = ?`,
    args: [why, uncount ? 1 : 0, item.id],
  });
  // A started IVR execution stays 'running' while its item waits for another attempt (an execution
  // has no 'queued' status); the item's status says it is back in the queue.
}

export async function reapQueue(h: VerdictDb): Promise<{ requeued: number; failed: number; timed_out: number }> {
  return writeTx(h, "work_items", (tx) => reapIn(tx, Date.now()));
}

// ---------- claim ----------

function toScenario(r: Row): Scenario {
  return {
    scenario_id: Number(r.scenario_id),
    slug: str(r.slug),
    name: str(r.name),
    description: strOrNull(r.description),
    target_phone: str(r.target_phone),
    steps: parseJson<Scenario["steps"]>(r.steps, []),
    timeout_seconds: Number(r.timeout_seconds),
    target: strOrNull(r.target),
    created_at: str(r.created_at),
    updated_at: str(r.updated_at),
  };
}

/**
 * The execution of an IVR item being claimed: created now on its first start (in the claim's
 * transaction, so exactly once), or the one an earlier attempt started, which must still be running.
 * A string says why the item cannot run.
 */
async function startIvrExecution(
  tx: Transaction,
  item: ItemRef,
  now: string,
): Promise<{ execution_id: number; scenario: Scenario } | string> {
  if (item.execution_id === null) {
    const sc = await tx.execute({
      sql: "SELECT * FROM test_scenarios WHERE scenario_id = ?",
      args: [item.scenario_ref],
    });
    const scenarioRow = sc.rows[0];
    if (!scenarioRow)
      return `scenario ${item.scenario_ref ?? "?"} (${item.scenario_id}) was deleted before the execution started`;
    const exe = await tx.execute({
      sql: "INSERT INTO test_executions (scenario_id, status, start_time) VALUES (?, 'running', ?) RETURNING execution_id",
      args: [Number(scenarioRow.scenario_id), now],
    });
    return { execution_id: Number(exe.rows[0]?.execution_id), scenario: toScenario(scenarioRow) };
  }
  const exe = await tx.execute({
    sql: `UPDATE test_executions SET end_time = NULL, final_result = NULL, error_message = NULL
          WHERE execution_id = ? AND status = 'running' RETURNING scenario_id`,
    args: [item.execution_id],
  });
  const scenarioId = exe.rows[0]?.scenario_id;
  if (scenarioId === undefined) return `execution ${item.execution_id} was finished outside the queue`;
  const sc = await tx.execute({
    sql: "SELECT * FROM test_scenarios WHERE scenario_id = ?",
    args: [Number(scenarioId)],
  });
  const scenarioRow = sc.rows[0];
  if (!scenarioRow) return `execution ${item.execution_id} was finished outside the queue`;
  return { execution_id: item.execution_id, scenario: toScenario(scenarioRow) };
}

/**
 * Claims up to `max_items` of the oldest queued items of the given kinds for one worker, under a
 * lease of `lease_ms`. A re-claimed item's previous attempt leaves nothing behind: its step rows
 * (IVR) or instance row (HTTP) and its report keys are deleted in the same transaction.
 */
export async function claimWork(h: VerdictDb, raw: ClaimInput): Promise<ClaimedItem[]> {
  const input = claimInput.parse(raw);
  const kinds = [...new Set(input.kinds)];
  return writeTx(h, "work_items", async (tx) => {
    const nowMs = Date.now();
    const now = iso(nowMs);
    await reapIn(tx, nowMs);
    const candidates = await tx.execute({
      sql: `SELECT * FROM work_items WHERE status = 'queued' AND kind IN (${kinds.map(() => "?").join(", ")})
            ORDER BY enqueued_at, rowid LIMIT ?`,
      args: [...kinds, input.max_items],
    });
    const claimed: ClaimedItem[] = [];
    const runScenarios = new Map<string, HttpScenario | null>();
    for (const c of candidates.rows) {
      const item = itemRef(c);
      const firstClaim = item.started_at === null;
      const deadlineMs = firstClaim ? nowMs + Number(c.timeout_seconds) * 1000 : Date.parse(str(c.deadline_at));
      const lease = newLease();
      // An IVR item's execution: created now on its first start (in this transaction, so exactly
      // once), or the one an earlier attempt started, which must still be running.
      let started: { execution_id: number; scenario: Scenario } | null = null;
      if (item.kind === "ivr") {
        const got = await startIvrExecution(tx, item, now);
        if (typeof got === "string") {
          await endItem(tx, item, "failed", got, now, "queue");
          continue;
        }
        started = got;
      }
      const updated = await tx.execute({
        sql: `UPDATE work_items SET status = 'running', attempts = attempts + 1, claimed_by = ?, lease_token = ?,
                lease_expires_at = ?, heartbeat_at = ?, started_at = coalesce(started_at, ?), deadline_at = ?,
                execution_id = coalesce(execution_id, ?)
              WHERE id = ? AND status = 'queued' RETURNING attempts, max_attempts`,
        args: [
          input.worker_id,
          lease,
          iso(nowMs + input.lease_ms),
          now,
          now,
          iso(deadlineMs),
          started?.execution_id ?? null,
          item.id,
        ],
      });
      const u = updated.rows[0];
      if (!u) continue;
      if (!firstClaim) {
        await tx.execute({ sql: "DELETE FROM report_keys WHERE work_item_id = ?", args: [item.id] });
        if (item.kind === "ivr")
          await tx.execute({ sql: "DELETE FROM step_executions WHERE execution_id = ?", args: [item.execution_id] });
        else
          await tx.execute({
            sql: "DELETE FROM instances WHERE run_id = ? AND id = ?",
            args: [item.run_id, item.instance_id],
          });
      }
      const base = {
        item_id: item.id,
        lease,
        attempt: Number(u.attempts),
        max_attempts: Number(u.max_attempts),
        lease_ms: input.lease_ms,
        deadline_at: iso(deadlineMs),
        deadline_in_ms: Math.max(0, deadlineMs - nowMs),
      };
      if (started !== null) {
        claimed.push({ ...base, kind: "ivr", execution_id: started.execution_id, scenario: started.scenario });
      } else if (item.kind === "http" && item.run_id && item.instance_id) {
        let scenario = runScenarios.get(item.run_id);
        if (scenario === undefined) {
          const rs = await tx.execute({
            sql: "SELECT json_extract(config, '$.scenario') AS scenario FROM runs WHERE id = ?",
            args: [item.run_id],
          });
          const parsed = httpScenario.safeParse(parseJson<unknown>(rs.rows[0]?.scenario, null));
          scenario = parsed.success ? parsed.data : null;
          runScenarios.set(item.run_id, scenario);
        }
        if (scenario === null) {
          await endItem(
            tx,
            item,
            "failed",
            `run ${item.run_id} holds no valid HTTP scenario in its config`,
            now,
            "queue",
          );
          continue;
        }
        const payload = parseJson<{ instance_index?: unknown }>(c.payload, {});
        claimed.push({
          ...base,
          kind: "http",
          run_id: item.run_id,
          instance_id: item.instance_id,
          instance_index: Number(payload.instance_index ?? 0),
          scenario,
        });
      }
    }
    return claimed;
  });
}

// ---------- waiting for work (long-poll claims) ----------

/** How often waiting claims look for work that another process queued (in-process queuing wakes them at once). */
const WORK_CHECK_MS = 25;

interface Waiter {
  kinds: readonly WorkKind[];
  wake: () => void;
}
interface Waiters {
  all: Set<Waiter>;
  timer: NodeJS.Timeout | null;
}
const waiters = new WeakMap<VerdictDb, Waiters>();

/** Wakes the claims waiting on this handle for any of `kinds` (work was queued or handed back). */
function workAppeared(h: VerdictDb, kinds: readonly WorkKind[] = workKind.options): void {
  const w = waiters.get(h);
  if (!w) return;
  for (const waiter of [...w.all]) if (waiter.kinds.some((k) => kinds.includes(k))) waiter.wake();
}

/**
 * The kinds a claim could get an item of now: queued items by kind; an item whose lease or deadline
 * passed is reaped by any claim, so it counts for every kind.
 */
async function claimableKinds(h: VerdictDb, nowMs: number): Promise<WorkKind[]> {
  const rs = await h.client.execute({
    sql: `SELECT EXISTS (SELECT 1 FROM work_items WHERE status = 'queued' AND kind = 'ivr') AS ivr,
            EXISTS (SELECT 1 FROM work_items WHERE status = 'queued' AND kind = 'http') AS http,
            EXISTS (SELECT 1 FROM work_items WHERE status = 'running' AND lease_expires_at <= ?)
              OR EXISTS (SELECT 1 FROM work_items WHERE status = 'running' AND deadline_at <= ?) AS reap`,
    args: [iso(nowMs), iso(nowMs - DEADLINE_GRACE_MS)],
  });
  const r = rs.rows[0];
  if (Number(r?.reap) === 1) return [...workKind.options];
  return workKind.options.filter((k) => Number(r?.[k]) === 1);
}

/**
 * Resolves when work of these kinds may be claimable, after `ms` at most, or when `signal` aborts.
 * All waiting claims of a handle share one check every WORK_CHECK_MS (an indexed read, no write).
 */
async function waitForWork(
  h: VerdictDb,
  kinds: readonly WorkKind[],
  ms: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (signal?.aborted) return;
  let w = waiters.get(h);
  if (!w) {
    w = { all: new Set(), timer: null };
    waiters.set(h, w);
  }
  const group = w;
  await new Promise<void>((resolve) => {
    const waiter: Waiter = { kinds, wake: done };
    function done() {
      clearTimeout(t);
      group.all.delete(waiter);
      signal?.removeEventListener("abort", done);
      if (group.all.size === 0 && group.timer) {
        clearInterval(group.timer);
        group.timer = null;
      }
      resolve();
    }
    const t = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    group.all.add(waiter);
    group.timer ??= setInterval(() => {
      claimableKinds(h, Date.now()).then(
        (ready) => {
          if (ready.length > 0) workAppeared(h, ready);
        },
        () => workAppeared(h), // let the claims run and report the fault themselves
      );
    }, WORK_CHECK_MS);
  });
}

/**
 * claimWork, holding the call up to `wait_ms` while nothing is claimable: returns as soon as a
 * claim gets items, or an empty list when the time is up or `signal` aborts (the caller went away:
 * nothing is claimed for it).
 */
export async function claimWorkWaiting(h: VerdictDb, raw: ClaimInput, signal?: AbortSignal): Promise<ClaimedItem[]> {
  const input = claimInput.parse(raw);
  const end = Date.now() + input.wait_ms;
  for (;;) {
    if (signal?.aborted) return [];
    const items = await claimWork(h, input);
    const left = end - Date.now();
    if (items.length > 0 || left <= 0) return items;
    await waitForWork(h, input.kinds, left, signal);
  }
}

// ---------- leases ----------

/** Why a worker no longer holds an item (null when it does). */
async function leaseProblem(
  tx: Transaction,
  workerId: string,
  itemId: string,
  lease: string,
): Promise<{ row: Row | null; problem: string | null }> {
  const rs = await tx.execute({ sql: "SELECT * FROM work_items WHERE id = ?", args: [itemId] });
  const row = rs.rows[0];
  if (!row) return { row: null, problem: `work item '${itemId}' does not exist (deleted with its execution or run?)` };
  return { row, problem: leaseProblemOf(row, workerId, itemId, lease) };
}

/** Why `workerId` may not act on the item `row` with `lease`, or null when it holds it. */
function leaseProblemOf(row: Row, workerId: string, itemId: string, lease: string): string | null {
  const status = str(row.status);
  const ours = row.lease_token === lease && row.claimed_by === workerId;
  if (status === "running" && ours) return null;
  if (status !== "running" && status !== "queued") return `work item '${itemId}' already ended with status ${status}`;
  if (status === "queued")
    return `work item '${itemId}' went back to the queue (its lease expired or it was handed back)`;
  return `work item '${itemId}' was claimed again by another attempt (its lease expired)`;
}

/** Extends the leases of the items a worker holds; says which it no longer holds, and why. */
export async function heartbeatWork(h: VerdictDb, raw: HeartbeatInput): Promise<LeaseState[]> {
  const input = heartbeatInput.parse(raw);
  return writeTx(h, "work_items", async (tx) => {
    const nowMs = Date.now();
    const refs = input.items.map((i) => [i.item_id, i.lease]);
    const rs = await tx.execute({
      sql: `UPDATE work_items SET lease_expires_at = ?, heartbeat_at = ?
            WHERE status = 'running' AND claimed_by = ?
              AND (id, lease_token) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?))
            RETURNING id, deadline_at`,
      args: [iso(nowMs + input.lease_ms), iso(nowMs), input.worker_id, JSON.stringify(refs)],
    });
    const held = new Map(rs.rows.map((r) => [str(r.id), Date.parse(str(r.deadline_at))]));
    const out: LeaseState[] = [];
    for (const ref of input.items) {
      const deadline = held.get(ref.item_id);
      if (deadline !== undefined) {
        out.push({ item_id: ref.item_id, held: true, reason: null, deadline_in_ms: Math.max(0, deadline - nowMs) });
      } else {
        const { problem } = await leaseProblem(tx, input.worker_id, ref.item_id, ref.lease);
        out.push({ item_id: ref.item_id, held: false, reason: problem ?? "lease not held", deadline_in_ms: null });
      }
    }
    return out;
  });
}

// ---------- step reports ----------

const STEP_INSERT = `INSERT INTO step_executions (execution_id, step_number, step_type, expected_intent, actual_intent,
    confidence, transcript, dtmf_sent, status, started_at, ended_at, latency_ms, error)
  SELECT ?, value ->> 'step_number', value ->> 'step_type', value ->> 'expected_intent', value ->> 'actual_intent',
    value ->> 'confidence', value ->> 'transcript', value ->> 'dtmf_sent', value ->> 'status', value ->> 'started_at',
    value ->> 'ended_at', value ->> 'latency_ms', value ->> 'error'
  FROM json_each(?) WHERE true
  ON CONFLICT (execution_id, step_number) DO NOTHING`;

/**
 * Records the steps of one held IVR item, each at most once: its key (execution, step number) goes
 * into the ledger first, and only steps whose key was new are written (a step already stored by
 * another path, e.g. ivr.steps.record, is kept as it is: the unique step key skips it).
 */
async function recordSteps(
  tx: Transaction,
  itemId: string,
  executionId: number,
  lease: string,
  steps: StepReportRow[],
  now: string,
): Promise<{ accepted: number; duplicates: number }> {
  if (steps.length === 0) return { accepted: 0, duplicates: 0 };
  const keys = steps.map((s) => `${executionId}:${s.step_number}`);
  const inserted = await tx.execute({
    sql: `INSERT INTO report_keys (key, work_item_id, lease_token, created_at)
          SELECT value, ?, ?, ? FROM json_each(?) WHERE true
          ON CONFLICT (key) DO NOTHING RETURNING key`,
    args: [itemId, lease, now, JSON.stringify(keys)],
  });
  const fresh = new Set(inserted.rows.map((r) => str(r.key)));
  const rows: Record<string, InValue>[] = [];
  for (const s of steps) {
    const key = `${executionId}:${s.step_number}`;
    if (!fresh.delete(key)) continue; // recorded before, or twice in this batch
    rows.push({
      step_number: s.step_number,
      step_type: s.step_type,
      expected_intent: s.expected_intent ?? null,
      actual_intent: s.actual_intent ?? null,
      confidence: s.confidence ?? null,
      transcript: s.transcript ?? null,
      dtmf_sent: s.dtmf_sent ?? null,
      status: s.status,
      started_at: s.started_at,
      ended_at: s.ended_at,
      latency_ms: s.latency_ms,
      error: s.error ?? null,
    });
  }
  if (rows.length > 0) await tx.execute({ sql: STEP_INSERT, args: [executionId, JSON.stringify(rows)] });
  return { accepted: rows.length, duplicates: steps.length - rows.length };
}

/** Step reports of several held IVR items in one transaction; an item no longer held is refused alone. */
export async function reportSteps(h: VerdictDb, raw: ReportInput): Promise<ReportResult[]> {
  const input = reportInput.parse(raw);
  return writeTx(h, "step_executions", async (tx) => {
    const now = iso(Date.now());
    const out: ReportResult[] = [];
    for (const rep of input.reports) {
      const { row, problem } = await leaseProblem(tx, input.worker_id, rep.item_id, rep.lease);
      if (problem || !row) {
        out.push({ item_id: rep.item_id, held: false, reason: problem, accepted: 0, duplicates: 0 });
        continue;
      }
      if (row.kind !== "ivr") {
        out.push({
          item_id: rep.item_id,
          held: true,
          reason: "HTTP items report their steps when they complete",
          accepted: 0,
          duplicates: rep.steps.length,
        });
        continue;
      }
      const r = await recordSteps(tx, rep.item_id, Number(row.execution_id), rep.lease, rep.steps, now);
      out.push({ item_id: rep.item_id, held: true, reason: null, ...r });
    }
    return out;
  });
}

// ---------- finishing ----------

/**
 * The lease check of complete/fail: the same call arriving twice (a retry after a lost response)
 * finds the item already ended under the same lease and is answered as done.
 */
async function holdOrAlready(
  tx: Transaction,
  workerId: string,
  itemId: string,
  lease: string,
): Promise<{ row: Row; already: FinishResult | null }> {
  const { row, problem } = await leaseProblem(tx, workerId, itemId, lease);
  if (!row) throw new NotFoundError("work item", itemId);
  if (problem === null) return { row, already: null };
  const status = workStatus.parse(row.status);
  if (row.lease_token === lease && row.claimed_by === workerId && status !== "queued" && status !== "running") {
    return { row, already: { item_id: itemId, status, already: true } };
  }
  throw new ConflictError(problem, "lease");
}

type Completion = z.output<typeof completeInput>;
type HttpCompletion = Extract<Completion, { kind: "http" }>;

/** Finishes a held item with its results: the IVR execution's last steps and verdict, or the HTTP instance's rows. */
export async function completeWork(h: VerdictDb, raw: CompleteInput): Promise<FinishResult> {
  const input = completeInput.parse(raw);
  return writeTx(h, "work_items", (tx) => completeIn(tx, input, iso(Date.now())));
}

/**
 * Several completions of one worker in one transaction. Held HTTP items are written together (one
 * statement per table for all of them, in a savepoint); if that fails, or for IVR items and items
 * refused or already finished, each goes alone in its own savepoint, as `completeWork` would: an
 * item lands whole or not at all, a refusal (not found, no longer held, invalid rows) is that
 * item's answer, and a storage fault fails the whole call with nothing written. A retried call
 * answers `already` for the items it had applied.
 */
export async function completeWorkMany(h: VerdictDb, raw: CompleteManyInput): Promise<CompletionResult[]> {
  const input = completeManyInput.parse(raw);
  const items: Completion[] = input.items.map((i) => ({ ...i, worker_id: input.worker_id }));
  return writeTx(h, "work_items", async (tx) => {
    const now = iso(Date.now());
    const results: (CompletionResult | undefined)[] = items.map(() => undefined);
    const together = await inSavepoint(tx, "queue_batch", () => completeHttpTogether(tx, items, now));
    if (together.ok) for (const [i, r] of together.value) results[i] = r;
    for (const [i, item] of items.entries()) {
      if (results[i] !== undefined) continue;
      const one = await inSavepoint(tx, "queue_item", () => completeIn(tx, item, now));
      if (one.ok) {
        results[i] = { ok: true, ...one.value };
        continue;
      }
      const e = one.error;
      const err = e instanceof VerdictError ? e : await translateDbError(h.client, e, { table: "work_items" });
      const code = refusalCode(err);
      if (code === null) throw err;
      results[i] = { ok: false, item_id: item.item_id, code, error: (err as Error).message };
    }
    return results.map(
      (r, i) => r ?? { ok: false, item_id: items[i]?.item_id ?? "", code: "CONFLICT", error: "not completed" },
    );
  });
}

/** The answer a refused item gets in completeWorkMany, or null for faults that fail the whole call. */
function refusalCode(e: unknown): "NOT_FOUND" | "CONFLICT" | "BAD_REQUEST" | null {
  if (!(e instanceof VerdictError)) return null;
  if (e.code === "NOT_FOUND" || e.code === "CONFLICT") return e.code;
  if (e.code === "CONSTRAINT" || e.code === "VALIDATION") return "BAD_REQUEST";
  return null;
}

/**
 * The HTTP items of a completeWorkMany call that this worker holds, written together; the others
 * (IVR, refused, already finished, named twice) are left to the one-by-one path.
 */
async function completeHttpTogether(
  tx: Transaction,
  items: Completion[],
  now: string,
): Promise<Map<number, CompletionResult>> {
  const out = new Map<number, CompletionResult>();
  const ids = items.filter((i) => i.kind === "http").map((i) => i.item_id);
  if (ids.length === 0) return out;
  const rs = await tx.execute({
    sql: "SELECT * FROM work_items WHERE id IN (SELECT value FROM json_each(?))",
    args: [JSON.stringify(ids)],
  });
  const rows = new Map(rs.rows.map((r) => [str(r.id), r]));
  const seen = new Set<string>();
  const held: { i: number; input: HttpCompletion; row: Row }[] = [];
  for (const [i, input] of items.entries()) {
    if (input.kind !== "http" || seen.has(input.item_id)) continue;
    seen.add(input.item_id);
    const row = rows.get(input.item_id);
    if (row?.kind !== "http" || leaseProblemOf(row, input.worker_id, input.item_id, input.lease) !== null) continue;
    held.push({ i, input, row });
  }
  await finishHttp(tx, held, now);
  for (const { i, input } of held)
    out.set(i, { ok: true, item_id: input.item_id, status: endStatus(input), already: false });
  return out;
}

/** The status a completed item ends with (either kind). */
const endStatus = (input: Completion): WorkStatus => (input.outcome === "timeout" ? "timeout" : "done");

/** One completion in the caller's transaction (completeWork, and completeWorkMany item by item). */
async function completeIn(tx: Transaction, input: Completion, now: string): Promise<FinishResult> {
  const { row, already } = await holdOrAlready(tx, input.worker_id, input.item_id, input.lease);
  if (already) return already;
  if (row.kind !== input.kind)
    throw new ConflictError(`work item '${input.item_id}' is a ${str(row.kind)} item, not ${input.kind}`, "kind");
  if (input.kind === "http") {
    await finishHttp(tx, [{ input, row }], now);
    return { item_id: input.item_id, status: endStatus(input), already: false };
  }
  const status = endStatus(input);
  const executionId = Number(row.execution_id);
  await recordSteps(tx, input.item_id, executionId, input.lease, input.steps, now);
  await tx.execute({
    sql: `UPDATE test_executions SET status = ?, final_result = ?, error_message = ?, call_id = coalesce(?, call_id),
            end_time = CASE WHEN start_time IS NOT NULL AND start_time > ? THEN start_time ELSE ? END
          WHERE execution_id = ?`,
    args: [
      input.outcome === "timeout" ? "timeout" : "completed",
      input.outcome === "timeout" ? "fail" : input.final_result,
      input.error ?? null,
      input.call_id ?? null,
      now,
      now,
      executionId,
    ],
  });
  await tx.execute({
    sql: "UPDATE work_items SET status = ?, finished_at = ?, last_error = ?, lease_expires_at = NULL WHERE id = ?",
    args: [status, now, input.error ?? null, input.item_id],
  });
  // An ended item accepts no more reports (the lease check refuses them), so its keys have done their job.
  await tx.execute({ sql: "DELETE FROM report_keys WHERE work_item_id = ?", args: [input.item_id] });
  return { item_id: input.item_id, status, already: false };
}

/**
 * Writes held HTTP items' results: their instance, step and assertion rows (a partial instance row
 * of the attempt gives way), ends the items, and completes their runs when nothing is left. One
 * statement per table for all the items.
 */
async function finishHttp(tx: Transaction, items: { input: HttpCompletion; row: Row }[], now: string): Promise<void> {
  if (items.length === 0) return;
  const instances: InstanceTuple[] = [];
  const steps: StepTuple[] = [];
  const assertions: AssertionTuple[] = [];
  const ends: [string, WorkStatus, string | null][] = [];
  const runs = new Set<string>();
  for (const { input, row } of items) {
    const runId = str(row.run_id);
    const instanceId = str(row.instance_id);
    const inst = input.instance;
    runs.add(runId);
    instances.push([
      runId,
      instanceId,
      str(row.scenario_id),
      input.item_id,
      input.outcome === "timeout" ? "fail" : inst.status,
      inst.started_at,
      inst.completed_at,
      inst.duration_ms,
      JSON.stringify({ attempt: Number(row.attempts) }),
      inst.error ?? null,
    ]);
    for (const s of input.steps)
      steps.push([
        runId,
        instanceId,
        s.step_index,
        s.action_name,
        s.action_type,
        s.service ?? null,
        s.started_at ?? null,
        s.latency_ms ?? null,
        s.status_code ?? null,
        s.ok ? 1 : 0,
        JSON.stringify(s.observation),
      ]);
    for (const a of input.assertions)
      assertions.push([
        runId,
        instanceId,
        a.step_index,
        a.assertion_name,
        a.passed ? 1 : 0,
        a.expected === undefined ? null : JSON.stringify(a.expected),
        a.actual === undefined ? null : JSON.stringify(a.actual),
        a.error ?? null,
      ]);
    ends.push([input.item_id, endStatus(input), inst.error ?? null]);
  }
  await tx.execute({
    sql: "DELETE FROM instances WHERE (run_id, id) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?))",
    args: [JSON.stringify(instances.map((r) => [r[0], r[1]]))],
  });
  await insertInstances(tx, instances);
  await insertSteps(tx, steps);
  await insertAssertions(tx, assertions);
  await tx.execute({
    sql: `UPDATE work_items SET status = j.value ->> 1, finished_at = ?, last_error = j.value ->> 2, lease_expires_at = NULL
          FROM json_each(?) AS j WHERE work_items.id = j.value ->> 0`,
    args: [now, JSON.stringify(ends)],
  });
  for (const runId of runs) await maybeCompleteRun(tx, runId, now);
}

/**
 * A worker could not carry out a held item. With `retry` and attempts left it goes back to the
 * queue; otherwise it ends failed with the reason (and so does its execution or instance).
 */
export async function failWork(h: VerdictDb, raw: FailInput): Promise<FinishResult> {
  const input = failInput.parse(raw);
  return writeTxThenWake(h, "work_items", async (tx) => {
    const now = iso(Date.now());
    const { row, already } = await holdOrAlready(tx, input.worker_id, input.item_id, input.lease);
    if (already) return already;
    const attempts = Number(row.attempts);
    const max = Number(row.max_attempts);
    const why = `attempt ${attempts}/${max}: ${input.error}`;
    if (input.retry && attempts < max) {
      await requeue(tx, itemRef(row), why, false);
      return { item_id: input.item_id, status: "queued" as const, already: false };
    }
    const reason = input.retry ? `gave up after ${attempts} attempt(s); last: ${why}` : why;
    await endItem(tx, itemRef(row), "failed", reason, now, "worker");
    return { item_id: input.item_id, status: "failed" as const, already: false };
  });
}

/** A worker shutting down returns items it has not finished; the interrupted attempt is not counted. */
export async function handBackWork(h: VerdictDb, raw: HandBackInput): Promise<{ handed_back: string[] }> {
  const input = handBackInput.parse(raw);
  return writeTxThenWake(h, "work_items", async (tx) => {
    const out: string[] = [];
    for (const ref of input.items) {
      const { row, problem } = await leaseProblem(tx, input.worker_id, ref.item_id, ref.lease);
      if (problem || !row) continue;
      await requeue(
        tx,
        itemRef(row),
        `handed back by worker ${input.worker_id}: ${input.reason ?? "shutting down"}`,
        true,
      );
      out.push(ref.item_id);
    }
    return { handed_back: out };
  });
}

// ---------- reading ----------

export async function getWorkItem(h: VerdictDb, id: string): Promise<WorkItem> {
  const rs = await h.client.execute({ sql: "SELECT * FROM work_items WHERE id = ?", args: [id] });
  const row = rs.rows[0];
  if (!row) throw new NotFoundError("work item", id);
  return toWorkItem(row);
}

/** Work items, oldest first, filtered by status/kind/run/scenario. */
export async function listWorkItems(h: VerdictDb, raw: QueueListInput = {}): Promise<Page<WorkItem>> {
  const input = queueListInput.parse(raw);
  const where: string[] = [];
  const args: InValue[] = [];
  for (const [column, value] of [
    ["status", input.status],
    ["kind", input.kind],
    ["run_id", input.run_id],
    ["scenario_id", input.scenario_id],
  ] as const) {
    if (value === undefined) continue;
    where.push(`${column} = ?`);
    args.push(value);
  }
  if (input.cursor) {
    const [enqueued, rowid] = decodeCursor(input.cursor, ["string", "int"]);
    where.push("(enqueued_at > ? OR (enqueued_at = ? AND rowid > ?))");
    args.push(String(enqueued), String(enqueued), Number(rowid));
  }
  const rs = await h.client.execute({
    sql: `SELECT rowid AS _rowid, * FROM work_items ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
          ORDER BY enqueued_at, rowid LIMIT ?`,
    args: [...args, input.limit + 1],
  });
  const hasMore = rs.rows.length > input.limit;
  const rows = rs.rows.slice(0, input.limit);
  const last = rows[rows.length - 1];
  return {
    items: rows.map(toWorkItem),
    nextCursor: hasMore && last ? encodeCursor([str(last.enqueued_at), Number(last._rowid)]) : null,
  };
}

/** How many items of each kind are in each status. */
export async function queueCounts(h: VerdictDb): Promise<QueueCounts> {
  const zero = (): Record<WorkStatus, number> => ({ queued: 0, running: 0, done: 0, failed: 0, timeout: 0 });
  const out: QueueCounts = { ivr: zero(), http: zero() };
  const rs = await h.client.execute("SELECT kind, status, count(*) AS n FROM work_items GROUP BY kind, status");
  for (const r of rs.rows) out[workKind.parse(r.kind)][workStatus.parse(r.status)] = Number(r.n);
  return out;
}
