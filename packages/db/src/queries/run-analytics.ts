/**
 * Questions about load-test runs, answered in SQL over the runs domain.
 *
 * Percentiles are exact, nearest-rank: the p-th percentile of n values is the value at 1-based rank
 * ceil(p/100 * n) in ascending order. They are read with `ORDER BY v LIMIT 1 OFFSET k` over an index
 * whose last column is the value (migration runs/0001), walking from whichever end is nearer, so
 * nothing is sorted: p50 walks half the group's index entries, p95/p99 walk 5%/1% from the top.
 * Group sizes come from range counts on the same covering indexes (the only part that visits every
 * index entry of a run); when the database holds just this run (a per-run file), totals are
 * whole-table counts, which SQLite answers from b-tree page headers instead of entries.
 *
 * Counting conventions (also used by the gate):
 * - pass: instances with status pass; fail: every other instance (failed or errored);
 * - error: the failed instances that carry an error message (turbulence's `passed: null`, whose
 *   error is kept on import); pass_rate = 100 * pass / instances.
 * - Step latency is the observation's latency_ms; a scenario's duration is its instances' duration_ms.
 */
import type { InValue } from "@libsql/client";
import { type Run, identifier } from "@verdict/schema";
import { NotFoundError, ValidationError } from "../errors.js";
import type { VerdictDb } from "../open.js";
import { openHelper } from "./run-helper.js";
import { type SqlExecutor, getRun } from "./runs.js";

export interface Percentiles {
  count: number;
  min: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  /** Durations only: a mean needs every value read, the percentiles do not (null for step latency). */
  mean: number | null;
}

const EMPTY: Percentiles = { count: 0, min: null, p50: null, p95: null, p99: null, max: null, mean: null };

/** 1-based nearest rank of percentile p among n values. */
export function nearestRank(p: number, n: number): number {
  // p * n is an exact integer for integer p, so this matches SQL's integer (p * n + 99) / 100.
  return Math.min(n, Math.max(1, Math.ceil((p * n) / 100)));
}

interface Source {
  /** `table INDEXED BY index` */
  from: string;
  /** Conditions that pin the index prefix; the value column follows them in the index. */
  where: string;
  args: InValue[];
  col: string;
}

async function valueAtRank(x: SqlExecutor, s: Source, n: number, rank: number): Promise<number | null> {
  if (n === 0) return null;
  const fromTop = n - rank;
  const asc = rank - 1 <= fromTop;
  const rs = await x.execute({
    sql: `SELECT ${s.col} AS v FROM ${s.from} WHERE ${s.where} AND ${s.col} IS NOT NULL ORDER BY ${s.col} ${asc ? "ASC" : "DESC"} LIMIT 1 OFFSET ?`,
    args: [...s.args, asc ? rank - 1 : fromTop],
  });
  const v = rs.rows[0]?.v;
  return v === undefined || v === null ? null : Number(v);
}

/** Exact percentiles of a group whose non-null count (and sum) are already known. */
async function percentilesOf(x: SqlExecutor, s: Source, n: number, sum: number | null): Promise<Percentiles> {
  if (n === 0) return { ...EMPTY };
  return {
    count: n,
    min: await valueAtRank(x, s, n, 1),
    p50: await valueAtRank(x, s, n, nearestRank(50, n)),
    p95: await valueAtRank(x, s, n, nearestRank(95, n)),
    p99: await valueAtRank(x, s, n, nearestRank(99, n)),
    max: await valueAtRank(x, s, n, n),
    mean: sum === null ? null : sum / n,
  };
}

/**
 * Distinct values of an indexed column within a run, by skip-scan (one index seek per value), so a
 * run with millions of rows and a handful of services costs a handful of seeks. NULL comes first.
 */
async function distinctValues(x: SqlExecutor, table: string, index: string, col: string, runId: string) {
  const out: (string | null)[] = [];
  const hasNull = await x.execute({
    sql: `SELECT 1 FROM ${table} INDEXED BY ${index} WHERE run_id = ? AND ${col} IS NULL LIMIT 1`,
    args: [runId],
  });
  if (hasNull.rows.length > 0) out.push(null);
  let last: string | null = null;
  for (;;) {
    const rs = await x.execute(
      last === null
        ? {
            sql: `SELECT ${col} AS v FROM ${table} INDEXED BY ${index} WHERE run_id = ? AND ${col} IS NOT NULL ORDER BY ${col} LIMIT 1`,
            args: [runId],
          }
        : {
            sql: `SELECT ${col} AS v FROM ${table} INDEXED BY ${index} WHERE run_id = ? AND ${col} > ? ORDER BY ${col} LIMIT 1`,
            args: [runId, last],
          },
    );
    const v = rs.rows[0]?.v;
    if (v === undefined || v === null) break;
    last = String(v);
    out.push(last);
  }
  return out;
}

interface GroupCount {
  key: string | null;
  rows: number;
  /** Rows with a non-null value column. */
  n: number;
  /** Sum of the values, when asked for (it decodes every entry). */
  sum: number | null;
}

/**
 * Rows and non-null values per distinct `col` of a run: a covering range count per group, plus the
 * count of the group's NULL values (they sort first in the index, so that range is short). No
 * column is decoded, which halves the cost against count(value)/sum(value).
 */
async function groupCounts(
  x: SqlExecutor,
  table: string,
  index: string,
  col: string,
  valueCol: string,
  runId: string,
  withSum = false,
): Promise<GroupCount[]> {
  const keys = await distinctValues(x, table, index, col, runId);
  const out: GroupCount[] = [];
  for (const key of keys) {
    if (withSum) {
      const rs = await x.execute({
        sql: `SELECT count(*) AS rows, count(${valueCol}) AS n, sum(${valueCol}) AS total FROM ${table} INDEXED BY ${index} WHERE run_id = ? AND ${col} IS ?`,
        args: [runId, key],
      });
      const r = rs.rows[0];
      out.push({
        key,
        rows: Number(r?.rows ?? 0),
        n: Number(r?.n ?? 0),
        sum: r?.total === null || r?.total === undefined ? null : Number(r.total),
      });
      continue;
    }
    const rs = await x.execute({
      sql: `SELECT (SELECT count(*) FROM ${table} INDEXED BY ${index} WHERE run_id = ?1 AND ${col} IS ?2) AS rows,
                   (SELECT count(*) FROM ${table} INDEXED BY ${index} WHERE run_id = ?1 AND ${col} IS ?2 AND ${valueCol} IS NULL) AS nulls`,
      args: [runId, key],
    });
    const r = rs.rows[0];
    const rows = Number(r?.rows ?? 0);
    out.push({ key, rows, n: rows - Number(r?.nulls ?? 0), sum: null });
  }
  return out;
}

/** True when `runId` is the only run in the database, so whole-table counts are this run's counts. */
async function onlyRun(x: SqlExecutor, runId: string): Promise<boolean> {
  const rs = await x.execute({ sql: "SELECT count(*) AS n, sum(id = ?) AS mine FROM runs", args: [runId] });
  return Number(rs.rows[0]?.n) === 1 && Number(rs.rows[0]?.mine) === 1;
}

/** Rows of a run in `table`: a whole-table count (page headers) for a single-run database, else a range count. */
async function runRows(x: SqlExecutor, table: string, index: string, runId: string, single: boolean): Promise<number> {
  const rs = await x.execute(
    single
      ? { sql: `SELECT count(*) AS n FROM ${table}`, args: [] }
      : { sql: `SELECT count(*) AS n FROM ${table} INDEXED BY ${index} WHERE run_id = ?`, args: [runId] },
  );
  return Number(rs.rows[0]?.n ?? 0);
}

export interface InstanceCounts {
  instances: number;
  pass: number;
  fail: number;
  error: number;
  /** 0–100; null for a run without instances. */
  pass_rate: number | null;
}

/**
 * Pass/fail/error counts of a run: failures (a few percent) from the partial index of failed
 * instances, the total from a whole-table or range count, pass = total - fail.
 */
export async function countInstancesByStatus(h: VerdictDb, runId: string): Promise<InstanceCounts> {
  return instanceCounts(h.client, runId, await onlyRun(h.client, runId));
}

async function instanceCounts(x: SqlExecutor, runId: string, single: boolean): Promise<InstanceCounts> {
  const f = await x.execute({
    sql: "SELECT count(*) AS fail, count(error) AS error FROM instances INDEXED BY instances_run_failed_idx WHERE run_id = ? AND status = 'fail'",
    args: [runId],
  });
  const fail = Number(f.rows[0]?.fail ?? 0);
  const total = await runRows(x, "instances", "instances_run_status_idx", runId, single);
  const pass = total - fail;
  return {
    instances: total,
    pass,
    fail,
    error: Number(f.rows[0]?.error ?? 0),
    pass_rate: total ? (100 * pass) / total : null,
  };
}

export interface ScenarioSummary extends InstanceCounts {
  scenario_id: string;
  duration_ms: Percentiles;
  /** Step latency of the scenario's steps; only with `stepLatencyByScenario` (it joins every step). */
  step_latency_ms?: Percentiles;
}
export interface GroupLatency {
  steps: number;
  latency_ms: Percentiles;
}

export interface RunSummary {
  run: Run;
  instances: InstanceCounts & { duration_ms: Percentiles };
  steps: { total: number; failed: number; latency_ms: Percentiles };
  assertions: { total: number; passed: number; failed: number };
  by_scenario: ScenarioSummary[];
  by_action: (GroupLatency & { action_name: string })[];
  by_service: (GroupLatency & { service: string | null })[];
}

export interface RunSummaryOptions {
  /**
   * Run the per-service half of the index walks on a second connection on a worker thread (local
   * files only). Default: when the run has at least 50,000 instances.
   */
  parallel?: boolean;
  /**
   * Also compute each scenario's step-latency percentiles. Steps do not carry their scenario, so this
   * joins and sorts every step of the run (seconds for millions of steps); off by default.
   */
  stepLatencyByScenario?: boolean;
}

async function requireRun(h: VerdictDb, runId: string): Promise<Run> {
  if (!identifier.safeParse(runId).success) throw new ValidationError("run", `'${runId}' is not a run id`);
  return getRun(h, runId);
}

/** Everything `verdict runs summary` shows, from indexes only (no full scan of the run's rows). */
export async function runSummary(h: VerdictDb, runId: string, opts: RunSummaryOptions = {}): Promise<RunSummary> {
  const run = await requireRun(h, runId);
  const x = h.client;
  const single = await onlyRun(x, runId);
  const counts = await instanceCounts(x, runId, single);

  // Big runs: services (with the run's overall latency), failed steps and assertion counts go to a
  // helper thread on a second connection while this one does scenarios and actions, one per core.
  // Small runs: the same statements, one after the other here.
  const helper = (opts.parallel ?? counts.instances >= PARALLEL_FROM) ? openHelper(h) : null;
  const servicesPart = groupedLatency(
    helper ? helper.batch : batchOn(x),
    runId,
    "service",
    "steps_run_service_idx",
    true,
    [
      {
        sql: "SELECT count(*) AS n FROM steps INDEXED BY steps_run_failed_idx WHERE run_id = ? AND ok = 0",
        args: [runId],
      },
      {
        sql: "SELECT count(*) AS n FROM assertions INDEXED BY assertions_run_passed_name_idx WHERE run_id = ? AND passed = 0",
        args: [runId],
      },
      single
        ? { sql: "SELECT count(*) AS n FROM assertions", args: [] }
        : {
            sql: "SELECT count(*) AS n FROM assertions INDEXED BY assertions_run_instance_idx WHERE run_id = ?",
            args: [runId],
          },
    ],
  );
  // Observed below; this keeps an early failure here from leaving its rejection unhandled.
  servicesPart.catch(() => undefined);
  try {
    return await summarizeRest();
  } finally {
    await helper?.close();
  }

  async function summarizeRest(): Promise<RunSummary> {
    // Without a helper the services half runs now, before the rest, on this connection.
    if (!helper) await servicesPart.catch(() => undefined);

    // Scenarios first: their counts and sums add up to the run's duration count and mean.
    const scenarios = await groupCounts(
      x,
      "instances",
      "instances_run_scenario_duration_idx",
      "scenario_id",
      "duration_ms",
      runId,
      true,
    );
    const durN = scenarios.reduce((a, g) => a + g.n, 0);
    const durSum = scenarios.some((g) => g.sum !== null) ? scenarios.reduce((a, g) => a + (g.sum ?? 0), 0) : null;
    const durationAll = await percentilesOf(
      x,
      {
        from: "instances INDEXED BY instances_run_duration_idx",
        where: "run_id = ?",
        args: [runId],
        col: "duration_ms",
      },
      durN,
      durSum,
    );
    const failsBy = await x.execute({
      sql: `SELECT scenario_id, count(*) AS fail, count(error) AS error FROM instances INDEXED BY instances_run_failed_idx
          WHERE run_id = ? AND status = 'fail' GROUP BY scenario_id`,
      args: [runId],
    });
    const fails = new Map(
      failsBy.rows.map((r) => [String(r.scenario_id), { fail: Number(r.fail), error: Number(r.error) }]),
    );
    const stepLat = opts.stepLatencyByScenario ? await stepLatencyByScenario(h, runId) : null;
    const byScenario: ScenarioSummary[] = [];
    for (const g of scenarios) {
      const id = String(g.key);
      const f = fails.get(id) ?? { fail: 0, error: 0 };
      const pass = g.rows - f.fail;
      byScenario.push({
        scenario_id: id,
        instances: g.rows,
        pass,
        fail: f.fail,
        error: f.error,
        pass_rate: g.rows ? (100 * pass) / g.rows : null,
        duration_ms: await percentilesOf(
          x,
          {
            from: "instances INDEXED BY instances_run_scenario_duration_idx",
            where: "run_id = ? AND scenario_id = ?",
            args: [runId, id],
            col: "duration_ms",
          },
          g.n,
          g.sum,
        ),
        ...(stepLat ? { step_latency_ms: stepLat.get(id) ?? { ...EMPTY } } : {}),
      });
    }

    const actions = await groupedLatency(batchOn(x), runId, "action_name", "steps_run_action_latency_idx", false);
    const services = await servicesPart;
    const stepTotal = actions.groups.reduce((a, g) => a + g.rows, 0);
    const latencyAll = services.overall ?? { ...EMPTY };
    const byAction = actions.groups.map((g) => ({
      action_name: String(g.key),
      steps: g.rows,
      latency_ms: g.latency_ms,
    }));
    const byService = services.groups.map((g) => ({ service: g.key, steps: g.rows, latency_ms: g.latency_ms }));
    const [failedStepsRows, aFailedRows, aTotalRows] = services.extra;
    const failedSteps = Number(failedStepsRows?.[0]?.n ?? 0);
    const aFailed = Number(aFailedRows?.[0]?.n ?? 0);
    const aTotal = Number(aTotalRows?.[0]?.n ?? 0);

    return {
      run,
      instances: { ...counts, duration_ms: durationAll },
      steps: { total: stepTotal, failed: failedSteps, latency_ms: latencyAll },
      assertions: { total: aTotal, passed: aTotal - aFailed, failed: aFailed },
      by_scenario: byScenario,
      by_action: byAction,
      by_service: byService,
    };
  }
}

/** Runs with at least this many instances get their summary walked on two cores (local files). */
const PARALLEL_FROM = 50_000;

type Stmt = { sql: string; args: InValue[] };
/** Runs statements in order and returns each one's rows; a helper thread runs a whole batch per message. */
export type Batch = (stmts: Stmt[]) => Promise<Record<string, unknown>[][]>;

function batchOn(x: SqlExecutor): Batch {
  return async (stmts) => {
    const out: Record<string, unknown>[][] = [];
    for (const s of stmts) out.push((await x.execute(s)).rows as unknown as Record<string, unknown>[]);
    return out;
  };
}

const RANKS = [0, 50, 95, 99, 100] as const;

function rankStmt(s: Source, n: number, rank: number): Stmt {
  const fromTop = n - rank;
  const asc = rank - 1 <= fromTop;
  return {
    sql: `SELECT ${s.col} AS v FROM ${s.from} WHERE ${s.where} AND ${s.col} IS NOT NULL ORDER BY ${s.col} ${asc ? "ASC" : "DESC"} LIMIT 1 OFFSET ?`,
    args: [...s.args, asc ? rank - 1 : fromTop],
  };
}

/**
 * Step-latency percentiles per distinct `col` (action or service) and, optionally, over the whole
 * run, in two batches: group sizes (one statement), then every rank read. The second depends only on
 * the first, so a helper thread runs each without waiting for the main thread.
 */
async function groupedLatency(
  batch: Batch,
  runId: string,
  col: "action_name" | "service",
  index: string,
  overall: boolean,
  extra: Stmt[] = [],
): Promise<{
  groups: { key: string | null; rows: number; latency_ms: Percentiles }[];
  overall: Percentiles | null;
  /** Rows of `extra`, independent statements run with the first batch. */
  extra: Record<string, unknown>[][];
}> {
  // Distinct keys by a skip-scan inside SQLite (one index seek per key, NULL first), each with its
  // row count and NULL-latency count as covering range counts: one statement.
  const [grouped = [], ...extraRows] = await batch([
    {
      sql: `WITH RECURSIVE keys(v) AS (
              SELECT (SELECT ${col} FROM steps INDEXED BY ${index} WHERE run_id = ?1 AND ${col} IS NOT NULL ORDER BY ${col} LIMIT 1)
              UNION ALL
              SELECT (SELECT ${col} FROM steps INDEXED BY ${index} WHERE run_id = ?1 AND ${col} > keys.v ORDER BY ${col} LIMIT 1)
              FROM keys WHERE keys.v IS NOT NULL),
            all_keys(v) AS (
              SELECT NULL WHERE EXISTS (SELECT 1 FROM steps INDEXED BY ${index} WHERE run_id = ?1 AND ${col} IS NULL)
              UNION ALL SELECT v FROM keys WHERE v IS NOT NULL)
            SELECT a.v AS k,
              (SELECT count(*) FROM steps INDEXED BY ${index} WHERE run_id = ?1 AND ${col} IS a.v) AS rows,
              (SELECT count(*) FROM steps INDEXED BY ${index} WHERE run_id = ?1 AND ${col} IS a.v AND latency_ms IS NULL) AS nulls
            FROM all_keys a ORDER BY a.v`,
      args: [runId],
    },
    ...extra,
  ]);
  const keys = grouped.map((r) => ({ key: r.k === null ? null : String(r.k), rows: Number(r.rows) }));
  const ns = grouped.map((r) => Number(r.rows) - Number(r.nulls));
  const sources = keys.map(
    (g): Source => ({
      from: `steps INDEXED BY ${index}`,
      where: `run_id = ? AND ${col} IS ?`,
      args: [runId, g.key],
      col: "latency_ms",
    }),
  );
  const totalN = ns.reduce((a, b) => a + b, 0);
  if (overall) {
    sources.push({
      from: "steps INDEXED BY steps_run_latency_idx",
      where: "run_id = ?",
      args: [runId],
      col: "latency_ms",
    });
    ns.push(totalN);
  }
  const stmts: Stmt[] = [];
  sources.forEach((src, i) => {
    const n = ns[i] ?? 0;
    if (n > 0) for (const p of RANKS) stmts.push(rankStmt(src, n, p === 0 ? 1 : nearestRank(p, n)));
  });
  const values = await batch(stmts);
  let at = 0;
  const pct = (n: number): Percentiles => {
    if (n === 0) return { ...EMPTY };
    const v = values.slice(at, at + RANKS.length).map((rows) => {
      const x = rows[0]?.v;
      return x === undefined || x === null ? null : Number(x);
    });
    at += RANKS.length;
    return {
      count: n,
      min: v[0] ?? null,
      p50: v[1] ?? null,
      p95: v[2] ?? null,
      p99: v[3] ?? null,
      max: v[4] ?? null,
      mean: null,
    };
  };
  const groups = keys.map((g, i) => ({ key: g.key, rows: g.rows, latency_ms: pct(ns[i] ?? 0) }));
  return { groups, overall: overall ? pct(totalN) : null, extra: extraRows };
}

/**
 * Step-latency percentiles per scenario in one pass: steps joined to their instance's scenario,
 * ranked per scenario by a window function, and only the ranks we need kept.
 */
async function stepLatencyByScenario(h: VerdictDb, runId: string): Promise<Map<string, Percentiles>> {
  const rank = (p: number) => `max(1, CAST((${p} * n + 99) / 100 AS INTEGER))`;
  const rs = await h.client.execute({
    sql: `WITH l AS (
            SELECT i.scenario_id AS g, s.latency_ms AS v,
                   row_number() OVER (PARTITION BY i.scenario_id ORDER BY s.latency_ms) AS rn,
                   count(*) OVER (PARTITION BY i.scenario_id) AS n,
                   sum(s.latency_ms) OVER (PARTITION BY i.scenario_id) AS total
            FROM steps s JOIN instances i ON i.run_id = s.run_id AND i.id = s.instance_id
            WHERE s.run_id = ?1 AND s.latency_ms IS NOT NULL)
          SELECT g, n, total, rn, v FROM l
          WHERE rn = 1 OR rn = n OR rn = ${rank(50)} OR rn = ${rank(95)} OR rn = ${rank(99)}`,
    args: [runId],
  });
  const out = new Map<string, Percentiles>();
  for (const r of rs.rows) {
    const g = String(r.g);
    const n = Number(r.n);
    const p = out.get(g) ?? { ...EMPTY, count: n, mean: Number(r.total) / n };
    const rn = Number(r.rn);
    const v = Number(r.v);
    if (rn === 1) p.min = v;
    if (rn === n) p.max = v;
    if (rn === nearestRank(50, n)) p.p50 = v;
    if (rn === nearestRank(95, n)) p.p95 = v;
    if (rn === nearestRank(99, n)) p.p99 = v;
    out.set(g, p);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Failure patterns

export interface FailurePattern {
  /** error: an instance's error; assertion: a failed assertion; step: a step whose observation was not ok. */
  kind: "error" | "assertion" | "step";
  /** What failed, with run-specific numbers and ids replaced (`timeout after <n>ms`). */
  pattern: string;
  count: number;
  example_instance_id: string;
  /** One message as it appeared. */
  example: string;
  scenarios: string[];
}

/** Replaces the parts of a message that differ between occurrences of the same failure. */
export function normalizeMessage(text: string): string {
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<uuid>")
    .replace(/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, "<hex>")
    .replace(/\d+(\.\d+)?/g, "<n>")
    .replace(/\s+/g, " ")
    .trim();
}

interface RawFailure {
  kind: FailurePattern["kind"];
  text: string;
  count: number;
  example: string;
  scenarios: string | null;
}

/** Failures of a run grouped into patterns, most frequent first. */
export async function runFailures(h: VerdictDb, runId: string, opts: { top?: number } = {}): Promise<FailurePattern[]> {
  await requireRun(h, runId);
  const top = opts.top ?? 10;
  const raw: RawFailure[] = [];
  const errors = await h.client.execute({
    sql: `SELECT error AS text, count(*) AS n, min(id) AS example, group_concat(DISTINCT scenario_id) AS scenarios
          FROM instances INDEXED BY instances_run_failed_idx WHERE run_id = ? AND status = 'fail' AND error IS NOT NULL
          GROUP BY error`,
    args: [runId],
  });
  for (const r of errors.rows)
    raw.push({
      kind: "error",
      text: String(r.text),
      count: Number(r.n),
      example: String(r.example),
      scenarios: r.scenarios === null ? null : String(r.scenarios),
    });
  const asserts = await h.client.execute({
    sql: `SELECT a.assertion_name || ': ' || coalesce(a.error, 'failed') AS text, count(*) AS n, min(a.instance_id) AS example,
                 group_concat(DISTINCT i.scenario_id) AS scenarios
          FROM assertions a INDEXED BY assertions_run_passed_name_idx
          JOIN instances i ON i.run_id = a.run_id AND i.id = a.instance_id
          WHERE a.run_id = ? AND a.passed = 0 GROUP BY 1`,
    args: [runId],
  });
  for (const r of asserts.rows)
    raw.push({
      kind: "assertion",
      text: String(r.text),
      count: Number(r.n),
      example: String(r.example),
      scenarios: r.scenarios === null ? null : String(r.scenarios),
    });
  const steps = await h.client.execute({
    sql: `SELECT s.action_name || ' -> ' || coalesce(CAST(s.status_code AS TEXT), 'no status')
                 || coalesce(': ' || (s.observation ->> '$.errors[0]'), '') AS text,
                 count(*) AS n, min(s.instance_id) AS example, group_concat(DISTINCT i.scenario_id) AS scenarios
          FROM steps s INDEXED BY steps_run_failed_idx
          JOIN instances i ON i.run_id = s.run_id AND i.id = s.instance_id
          WHERE s.run_id = ? AND s.ok = 0 GROUP BY 1`,
    args: [runId],
  });
  for (const r of steps.rows)
    raw.push({
      kind: "step",
      text: String(r.text),
      count: Number(r.n),
      example: String(r.example),
      scenarios: r.scenarios === null ? null : String(r.scenarios),
    });

  const groups = new Map<string, FailurePattern>();
  for (const f of raw) {
    const pattern = normalizeMessage(f.text);
    const key = `${f.kind}\u0000${pattern}`;
    const g = groups.get(key);
    const scen = f.scenarios ? f.scenarios.split(",") : [];
    if (!g) {
      groups.set(key, {
        kind: f.kind,
        pattern,
        count: f.count,
        example_instance_id: f.example,
        example: f.text,
        scenarios: scen,
      });
    } else {
      g.count += f.count;
      for (const s of scen) if (!g.scenarios.includes(s)) g.scenarios.push(s);
    }
  }
  return [...groups.values()]
    .map((g) => ({ ...g, scenarios: g.scenarios.sort() }))
    .sort((a, b) => b.count - a.count || a.pattern.localeCompare(b.pattern))
    .slice(0, top);
}

// ---------------------------------------------------------------------------------------------
// Compare two runs

export interface ScenarioComparison {
  scenario_id: string;
  a: { instances: number; pass_rate: number | null; p50_ms: number | null; p95_ms: number | null };
  b: { instances: number; pass_rate: number | null; p50_ms: number | null; p95_ms: number | null };
  pass_rate_delta: number | null;
  /** Matched instances that passed in A and failed in B. */
  regressions: number;
  /** Matched instances that failed in A and passed in B. */
  fixes: number;
  only_in_a: number;
  only_in_b: number;
  p50_delta_ms: number | null;
  p95_delta_ms: number | null;
}

export interface InstancePair {
  scenario_id: string;
  variation: unknown;
  a_instance_id: string;
  b_instance_id: string;
  b_error: string | null;
}

export interface RunComparison {
  a: string;
  b: string;
  /** How instances were paired (see compareRuns). */
  matching: string;
  totals: {
    a_pass_rate: number | null;
    b_pass_rate: number | null;
    regressions: number;
    fixes: number;
    a_p95_latency_ms: number | null;
    b_p95_latency_ms: number | null;
  };
  scenarios: ScenarioComparison[];
  regressions: InstancePair[];
  fixes: InstancePair[];
}

const MATCHING =
  "instances pair up by (scenario_id, variation, k): the k-th instance of a scenario with that variation (in file order) in A pairs with the k-th in B";

const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);

/**
 * Compares run B against run A (the baseline). Instances are the same test case in both runs when
 * they have the same scenario and the same variation (the seeded input): with the same seed a
 * tool replays the same variations, and repeats of one variation pair up in file order. A
 * regression is such a pair that passed in A and failed in B; a fix the reverse. Instances without
 * a partner (the runs differ in size or seed) are counted as only_in_a / only_in_b, and the
 * per-scenario pass rates (plain counts) are compared as well. Latency deltas are per scenario on
 * instance duration (p50/p95), and for the whole run on step latency p95.
 */
export async function compareRuns(
  h: VerdictDb,
  a: string,
  b: string,
  opts: { examples?: number } = {},
): Promise<RunComparison> {
  await requireRun(h, a);
  await requireRun(h, b);
  const examples = opts.examples ?? 20;
  const cte = `WITH ra AS (
      SELECT id, scenario_id, coalesce(variations, '') AS v, status, error,
             row_number() OVER (PARTITION BY scenario_id, coalesce(variations, '') ORDER BY rowid) AS k
      FROM instances WHERE run_id = ?1),
    rb AS (
      SELECT id, scenario_id, coalesce(variations, '') AS v, status, error,
             row_number() OVER (PARTITION BY scenario_id, coalesce(variations, '') ORDER BY rowid) AS k
      FROM instances WHERE run_id = ?2),
    pairs AS (
      SELECT coalesce(ra.scenario_id, rb.scenario_id) AS scenario_id, coalesce(ra.v, rb.v) AS v,
             ra.id AS a_id, ra.status AS a_status, rb.id AS b_id, rb.status AS b_status, rb.error AS b_error
      FROM ra FULL OUTER JOIN rb ON ra.scenario_id = rb.scenario_id AND ra.v = rb.v AND ra.k = rb.k)`;
  const agg = await h.client.execute({
    sql: `${cte}
      SELECT scenario_id,
             sum(a_id IS NOT NULL) AS a_n, sum(a_status = 'pass') AS a_pass,
             sum(b_id IS NOT NULL) AS b_n, sum(b_status = 'pass') AS b_pass,
             sum(a_status = 'pass' AND b_status = 'fail') AS regressions,
             sum(a_status = 'fail' AND b_status = 'pass') AS fixes,
             sum(b_id IS NULL) AS only_a, sum(a_id IS NULL) AS only_b
      FROM pairs GROUP BY scenario_id ORDER BY scenario_id`,
    args: [a, b],
  });
  const pairList = async (from: "pass" | "fail", to: "pass" | "fail"): Promise<InstancePair[]> => {
    const rs = await h.client.execute({
      sql: `${cte} SELECT scenario_id, v, a_id, b_id, b_error FROM pairs
            WHERE a_status = ?3 AND b_status = ?4 ORDER BY scenario_id, a_id LIMIT ?5`,
      args: [a, b, from, to, examples],
    });
    return rs.rows.map((r) => ({
      scenario_id: String(r.scenario_id),
      variation: r.v === "" ? null : (JSON.parse(String(r.v)) as unknown),
      a_instance_id: String(r.a_id),
      b_instance_id: String(r.b_id),
      b_error: r.b_error === null ? null : String(r.b_error),
    }));
  };

  const durationPs = async (runId: string, scenario: string) => {
    const c = await h.client.execute({
      sql: "SELECT count(duration_ms) AS n FROM instances INDEXED BY instances_run_scenario_duration_idx WHERE run_id = ? AND scenario_id = ?",
      args: [runId, scenario],
    });
    const n = Number(c.rows[0]?.n ?? 0);
    const s: Source = {
      from: "instances INDEXED BY instances_run_scenario_duration_idx",
      where: "run_id = ? AND scenario_id = ?",
      args: [runId, scenario],
      col: "duration_ms",
    };
    return {
      p50: await valueAtRank(h.client, s, n, nearestRank(50, n)),
      p95: await valueAtRank(h.client, s, n, nearestRank(95, n)),
    };
  };
  const stepP95 = async (runId: string) => {
    const c = await h.client.execute({
      sql: "SELECT count(latency_ms) AS n FROM steps INDEXED BY steps_run_latency_idx WHERE run_id = ?",
      args: [runId],
    });
    const n = Number(c.rows[0]?.n ?? 0);
    const s: Source = {
      from: "steps INDEXED BY steps_run_latency_idx",
      where: "run_id = ?",
      args: [runId],
      col: "latency_ms",
    };
    return valueAtRank(h.client, s, n, nearestRank(95, n));
  };

  const scenarios: ScenarioComparison[] = [];
  let regressions = 0;
  let fixes = 0;
  let aN = 0;
  let aPass = 0;
  let bN = 0;
  let bPass = 0;
  for (const r of agg.rows) {
    const id = String(r.scenario_id);
    const an = Number(r.a_n ?? 0);
    const ap = Number(r.a_pass ?? 0);
    const bn = Number(r.b_n ?? 0);
    const bp = Number(r.b_pass ?? 0);
    const da = an ? await durationPs(a, id) : { p50: null, p95: null };
    const db = bn ? await durationPs(b, id) : { p50: null, p95: null };
    const aRate = an ? (100 * ap) / an : null;
    const bRate = bn ? (100 * bp) / bn : null;
    scenarios.push({
      scenario_id: id,
      a: { instances: an, pass_rate: aRate, p50_ms: da.p50, p95_ms: da.p95 },
      b: { instances: bn, pass_rate: bRate, p50_ms: db.p50, p95_ms: db.p95 },
      pass_rate_delta: delta(aRate, bRate),
      regressions: Number(r.regressions ?? 0),
      fixes: Number(r.fixes ?? 0),
      only_in_a: Number(r.only_a ?? 0),
      only_in_b: Number(r.only_b ?? 0),
      p50_delta_ms: delta(da.p50, db.p50),
      p95_delta_ms: delta(da.p95, db.p95),
    });
    regressions += Number(r.regressions ?? 0);
    fixes += Number(r.fixes ?? 0);
    aN += an;
    aPass += ap;
    bN += bn;
    bPass += bp;
  }
  return {
    a,
    b,
    matching: MATCHING,
    totals: {
      a_pass_rate: aN ? (100 * aPass) / aN : null,
      b_pass_rate: bN ? (100 * bPass) / bN : null,
      regressions,
      fixes,
      a_p95_latency_ms: await stepP95(a),
      b_p95_latency_ms: await stepP95(b),
    },
    scenarios,
    regressions: await pairList("pass", "fail"),
    fixes: await pairList("fail", "pass"),
  };
}

// ---------------------------------------------------------------------------------------------
// Flaky scenarios

export interface FlakyScenario {
  scenario_id: string;
  /** Runs (of the window) in which the scenario ran. */
  runs: number;
  passed_runs: number;
  failed_runs: number;
  /** Pass↔fail changes between consecutive runs in which it ran, oldest first. */
  flips: number;
  /** One letter per run in which it ran, oldest first: P passed, F failed. */
  history: string;
  /** Failed instances / instances, over the window, 0–100. */
  instance_fail_rate: number;
}

export interface FlakyReport {
  sut_name: string;
  runs: { id: string; started_at: string }[];
  scenarios: FlakyScenario[];
}

/**
 * Scenarios of a SUT that both passed and failed over its last N runs (by started_at). A scenario
 * passed in a run when all its instances there passed, and failed when at least one failed; flips
 * count the changes of that outcome from one run to the next (runs where it did not run are skipped).
 */
export async function flakyScenarios(
  h: VerdictDb,
  sutName: string,
  opts: { last?: number } = {},
): Promise<FlakyReport> {
  const last = opts.last ?? 10;
  if (!Number.isInteger(last) || last < 1) throw new ValidationError("last", "expected a positive whole number");
  const runsRs = await h.client.execute({
    sql: "SELECT id, started_at FROM runs WHERE sut_name = ? ORDER BY started_at DESC, id DESC LIMIT ?",
    args: [sutName, last],
  });
  if (runsRs.rows.length === 0) throw new NotFoundError("runs of SUT", sutName);
  const runs = runsRs.rows.map((r) => ({ id: String(r.id), started_at: String(r.started_at) })).reverse();
  const per = new Map<string, { outcomes: ("P" | "F")[]; instances: number; failed: number }>();
  for (const run of runs) {
    const totals = await h.client.execute({
      sql: "SELECT scenario_id, count(*) AS n FROM instances INDEXED BY instances_run_scenario_idx WHERE run_id = ? GROUP BY scenario_id",
      args: [run.id],
    });
    const failed = await h.client.execute({
      sql: "SELECT scenario_id, count(*) AS n FROM instances INDEXED BY instances_run_failed_idx WHERE run_id = ? AND status = 'fail' GROUP BY scenario_id",
      args: [run.id],
    });
    const failedBy = new Map(failed.rows.map((r) => [String(r.scenario_id), Number(r.n)]));
    for (const r of totals.rows) {
      const id = String(r.scenario_id);
      const s = per.get(id) ?? { outcomes: [], instances: 0, failed: 0 };
      const f = failedBy.get(id) ?? 0;
      s.outcomes.push(f > 0 ? "F" : "P");
      s.instances += Number(r.n);
      s.failed += f;
      per.set(id, s);
    }
  }
  const scenarios: FlakyScenario[] = [];
  for (const [id, s] of per) {
    const passed = s.outcomes.filter((o) => o === "P").length;
    const failed = s.outcomes.length - passed;
    if (passed === 0 || failed === 0) continue;
    let flips = 0;
    for (let i = 1; i < s.outcomes.length; i++) if (s.outcomes[i] !== s.outcomes[i - 1]) flips++;
    scenarios.push({
      scenario_id: id,
      runs: s.outcomes.length,
      passed_runs: passed,
      failed_runs: failed,
      flips,
      history: s.outcomes.join(""),
      instance_fail_rate: (100 * s.failed) / s.instances,
    });
  }
  scenarios.sort(
    (x, y) => y.flips - x.flips || y.failed_runs - x.failed_runs || x.scenario_id.localeCompare(y.scenario_id),
  );
  return { sut_name: sutName, runs, scenarios };
}

// ---------------------------------------------------------------------------------------------
// Gate

export const GATE_METRICS = [
  "pass_rate",
  "error_count",
  "fail_count",
  "p50_latency_ms",
  "p95_latency_ms",
  "p99_latency_ms",
] as const;
export type GateMetric = (typeof GATE_METRICS)[number];
export const GATE_OPERATORS = ["<=", ">=", "==", "!=", "<", ">"] as const;
export type GateOperator = (typeof GATE_OPERATORS)[number];

/** A requirement the run must meet, e.g. `pass_rate>=99`; the gate fails when it does not hold. */
export interface GateRule {
  expr: string;
  metric: GateMetric;
  op: GateOperator;
  threshold: number;
}

const RULE = /^\s*([a-z0-9_]+)\s*(<=|>=|==|!=|<|>)\s*(-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*$/i;

export function parseGateRule(expr: string): GateRule {
  const m = RULE.exec(expr);
  const help = `expected METRIC OP NUMBER like pass_rate>=99 (metrics: ${GATE_METRICS.join(", ")}; operators: < <= > >= == !=)`;
  if (!m) throw new ValidationError("fail-on", `cannot read '${expr}': ${help}`);
  const metric = (m[1] ?? "").toLowerCase();
  if (!(GATE_METRICS as readonly string[]).includes(metric))
    throw new ValidationError("fail-on", `unknown metric '${m[1]}' in '${expr}': ${help}`);
  return { expr: expr.trim(), metric: metric as GateMetric, op: m[2] as GateOperator, threshold: Number(m[3]) };
}

function holds(actual: number, op: GateOperator, threshold: number): boolean {
  switch (op) {
    case "<":
      return actual < threshold;
    case "<=":
      return actual <= threshold;
    case ">":
      return actual > threshold;
    case ">=":
      return actual >= threshold;
    case "==":
      return actual === threshold;
    case "!=":
      return actual !== threshold;
  }
}

export interface GateViolation extends GateRule {
  actual: number | null;
  message: string;
}

export interface GateResult {
  run_id: string;
  passed: boolean;
  metrics: Record<GateMetric, number | null>;
  rules: GateRule[];
  violations: GateViolation[];
}

/** The gate metrics of a run: instance counts and step-latency percentiles (see the conventions above). */
export async function gateMetrics(h: VerdictDb, runId: string): Promise<Record<GateMetric, number | null>> {
  await requireRun(h, runId);
  const c = await countInstancesByStatus(h, runId);
  const n = Number(
    (
      await h.client.execute({
        sql: "SELECT count(latency_ms) AS n FROM steps INDEXED BY steps_run_latency_idx WHERE run_id = ?",
        args: [runId],
      })
    ).rows[0]?.n ?? 0,
  );
  const s: Source = {
    from: "steps INDEXED BY steps_run_latency_idx",
    where: "run_id = ?",
    args: [runId],
    col: "latency_ms",
  };
  return {
    pass_rate: c.pass_rate,
    error_count: c.error,
    fail_count: c.fail,
    p50_latency_ms: await valueAtRank(h.client, s, n, nearestRank(50, n)),
    p95_latency_ms: await valueAtRank(h.client, s, n, nearestRank(95, n)),
    p99_latency_ms: await valueAtRank(h.client, s, n, nearestRank(99, n)),
  };
}

/** Checks a run against rules like `pass_rate>=99`; a metric without data (no steps) violates its rule. */
export async function evaluateGate(h: VerdictDb, runId: string, exprs: readonly string[]): Promise<GateResult> {
  if (exprs.length === 0)
    throw new ValidationError("fail-on", "give at least one rule, e.g. --fail-on 'pass_rate>=99'");
  const rules = exprs.map(parseGateRule);
  const metrics = await gateMetrics(h, runId);
  const violations: GateViolation[] = [];
  for (const r of rules) {
    const actual = metrics[r.metric];
    if (actual === null) {
      violations.push({ ...r, actual, message: `${r.expr}: ${r.metric} has no data in run '${runId}'` });
    } else if (!holds(actual, r.op, r.threshold)) {
      violations.push({ ...r, actual, message: `${r.expr}: ${r.metric} is ${fmt(actual)}` });
    }
  }
  return { run_id: runId, passed: violations.length === 0, metrics, rules, violations };
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/0+$/, "").replace(/\.$/, "");
}
