/**
 * The questions of turbulence's HTML report (report/html.py, `_collect_report_data`, 65b8fb9), each
 * counted as it counts them:
 * - per scenario: pass/fail instances (an instance that did not pass, `passed: null` included, is a
 *   failure: the report reads `instance.get("passed", False)`); placeholder instances (source '',
 *   made for orphan steps) are no instances, so scenario "unknown" holding only orphan steps shows 0/0;
 * - per scenario × action (step name): steps, steps whose observation is not ok (ok false or
 *   missing), mean and p50/p95/p99 of latency_ms where a missing latency counts as 0; steps of an
 *   instance not in the run count under scenario "unknown";
 * - per service (observation.service, steps without one are left out): requests, not-ok steps,
 *   percentiles; failures by service: the services with not-ok steps, most first;
 * - error categories: the errors of failed instances plus each error of a not-ok step, in
 *   turbulence's buckets (`categorizeError`), with up to five example instances each;
 * - failing assertions by name, most first; and (Verdict's) the slowest instances.
 * Computed from the rows these read every step of the run (turbulence's report does too): seconds on
 * a million steps; so they are computed once with the run's statistics (store.ts) and read back from
 * there (stored.ts, readStoredReportGroups) when the run has them.
 */
import type { InValue } from "@libsql/client";
import type { VerdictDb } from "../../open.js";
import {
  DEFAULT_METHOD,
  type PercentileMethod,
  type Source,
  fromPositions,
  fromReads,
  pick,
  pointRead,
  windowKeep,
} from "./percentiles.js";
import type { SqlExecutor } from "../runs.js";
import { requireRun } from "./shared.js";
import { passRatePercent } from "./totals.js";
import { readStoredErrorCategories, readStoredReportGroups } from "./stored.js";

export interface LatencyStats {
  count: number;
  fail_count: number;
  mean_latency_ms: number;
  p50_latency_ms: number;
  p95_latency_ms: number;
  p99_latency_ms: number;
}

export interface ActionStats extends LatencyStats {
  action_name: string;
}

export interface ScenarioActions {
  scenario_id: string;
  pass_count: number;
  fail_count: number;
  /** 0–100; 0 without instances (turbulence's ScenarioStats.pass_rate). */
  pass_rate: number;
  actions: ActionStats[];
}

export interface ServiceStats extends LatencyStats {
  service: string;
}

export interface ErrorCategory {
  category: ErrorCategoryName;
  count: number;
  example_instance_ids: string[];
}

export interface FailingAssertion {
  assertion_name: string;
  count: number;
  example_instance_id: string;
}

export interface SlowInstance {
  instance_id: string;
  scenario_id: string;
  status: string;
  duration_ms: number;
  error: string | null;
}

export const ERROR_CATEGORIES = [
  "5xx Server Error",
  "4xx Client Error",
  "Timeout",
  "Connection Error",
  "Validation Error",
  "Extraction Error",
  "Other Error",
] as const;
export type ErrorCategoryName = (typeof ERROR_CATEGORIES)[number];

/** Turbulence's `_categorize_error`: the first bucket whose marker the message contains. */
export function categorizeError(message: string): ErrorCategoryName {
  const lower = message.toLowerCase();
  if (message.includes("HTTP 5")) return "5xx Server Error";
  if (message.includes("HTTP 4")) return "4xx Client Error";
  if (lower.includes("timeout")) return "Timeout";
  if (lower.includes("connection")) return "Connection Error";
  if (lower.includes("validation") || lower.includes("schema")) return "Validation Error";
  if (lower.includes("jsonpath")) return "Extraction Error";
  return "Other Error";
}

interface Opts {
  percentiles?: PercentileMethod;
}

/** A group's counts and, per percentile method, its latency statistics. */
interface Group {
  k1: string;
  k2: string | null;
  byMethod: Map<PercentileMethod, LatencyStats>;
}

/**
 * Latency statistics per group of a step query `src` (columns k1, k2, v, ok) by each of `methods`,
 * in one window pass (the positions any of the methods reads are kept).
 */
async function groupStats(
  x: SqlExecutor,
  runId: string,
  src: string,
  methods: readonly PercentileMethod[],
  extra: InValue[] = [],
  counted?: readonly Record<string, unknown>[],
): Promise<Map<string, Group>> {
  // The groups' counts (k1, k2, n, fails, total), unless the caller has them already.
  const aggRows =
    counted ??
    (
      await x.execute({
        sql: `WITH s AS (${src}) SELECT k1, k2, count(*) AS n, sum(ok IS NOT 1) AS fails, sum(v) AS total FROM s GROUP BY k1, k2`,
        args: [runId, ...extra],
      })
    ).rows;
  const keep = methods.flatMap((m) => [50, 95, 99].map((p) => windowKeep(p, m))).join(" OR ");
  const pos = await x.execute({
    sql: `WITH s AS (${src}),
          w AS (SELECT k1, k2, v, row_number() OVER (PARTITION BY k1, k2 ORDER BY v) AS rn,
                       count(*) OVER (PARTITION BY k1, k2) AS n FROM s)
          SELECT k1, k2, rn, v FROM w WHERE ${keep}`,
    args: [runId, ...extra],
  });
  const key = (k1: unknown, k2: unknown) => `${String(k1)}\u0000${k2 === null ? "" : String(k2)}`;
  const at = new Map<string, Map<number, number>>();
  for (const r of pos.rows) {
    const k = key(r.k1, r.k2);
    const m = at.get(k) ?? new Map<number, number>();
    m.set(Number(r.rn) - 1, Number(r.v));
    at.set(k, m);
  }
  const out = new Map<string, Group>();
  for (const r of aggRows) {
    const n = Number(r.n);
    const k = key(r.k1, r.k2);
    const byMethod = new Map<PercentileMethod, LatencyStats>();
    for (const method of methods) {
      const p = fromPositions(at.get(k) ?? new Map(), n, Number(r.total), method);
      byMethod.set(method, {
        count: n,
        fail_count: Number(r.fails),
        mean_latency_ms: p.mean ?? 0,
        p50_latency_ms: p.p50 ?? 0,
        p95_latency_ms: p.p95 ?? 0,
        p99_latency_ms: p.p99 ?? 0,
      });
    }
    out.set(k, { k1: String(r.k1), k2: r.k2 === null ? null : String(r.k2), byMethod });
  }
  return out;
}

const statsBy = (g: Group, method: PercentileMethod): LatencyStats => {
  const st = g.byMethod.get(method);
  if (!st) throw new Error(`run report: no statistics by method ${method}`);
  return st;
};

/**
 * A group's statistics by each method from its counts and point reads of its values over an index
 * whose last column is the value (percentiles.ts): a missing latency counts as 0, as in groupStats.
 */
async function pointStats(
  x: SqlExecutor,
  src: Source,
  agg: { n: number; fails: number; total: number },
  methods: readonly PercentileMethod[],
): Promise<Map<PercentileMethod, LatencyStats>> {
  const out = new Map<PercentileMethod, LatencyStats>();
  for (const method of methods) {
    const reads: (number | null)[] = [null];
    for (const p of [50, 95, 99]) {
      const r = pointRead(src, agg.n, pick(p, agg.n, method));
      reads.push(r.decode((await x.execute(r.stmt)).rows as unknown as Record<string, unknown>[]));
    }
    const q = fromReads([...reads, null], agg.n, agg.total);
    out.set(method, {
      count: agg.n,
      fail_count: agg.fails,
      mean_latency_ms: q.mean ?? 0,
      p50_latency_ms: q.p50 ?? 0,
      p95_latency_ms: q.p95 ?? 0,
      p99_latency_ms: q.p99 ?? 0,
    });
  }
  return out;
}

/**
 * Per scenario × action from the run's rows, by each of `methods` (what store.ts stores, and the
 * fallback): scenarios by id, each one's actions by name. Steps carry no scenario, so the groups'
 * counts take one pass over the run's steps joined with their instances, in instance order (the
 * planner's own choice, the latency index, reads the steps table at random: 10× slower); an action that occurs in
 * one scenario only (the usual case) is then that whole group, and its percentiles are point reads
 * on the (run, action, latency) index; only actions shared by scenarios are sorted (groupStats).
 */
export async function computeScenarioActions(
  x: SqlExecutor,
  runId: string,
  methods: readonly PercentileMethod[],
): Promise<Map<PercentileMethod, ScenarioActions[]>> {
  const agg = await x.execute({
    sql: `SELECT coalesce(i.scenario_id, 'unknown') AS k1, st.action_name AS k2, count(*) AS n,
                 sum(st.ok IS NOT 1) AS fails, sum(coalesce(st.latency_ms, 0)) AS total
          FROM steps st INDEXED BY steps_run_instance_idx
          LEFT JOIN instances i ON i.run_id = st.run_id AND i.id = st.instance_id
          WHERE st.run_id = ?1 GROUP BY 1, 2`,
    args: [runId],
  });
  const scenariosOf = new Map<string, number>();
  for (const r of agg.rows) scenariosOf.set(String(r.k2), (scenariosOf.get(String(r.k2)) ?? 0) + 1);
  const shared = [...scenariosOf].filter(([, n]) => n > 1).map(([a]) => a);
  const groups: Group[] = [];
  for (const r of agg.rows) {
    const action = String(r.k2);
    if (shared.includes(action)) continue;
    const src: Source = {
      from: "steps INDEXED BY steps_run_action_latency_idx",
      where: "run_id = ? AND action_name = ?",
      args: [runId, action],
      col: "latency_ms",
      nullsAs: 0,
    };
    const counts = { n: Number(r.n), fails: Number(r.fails), total: Number(r.total) };
    groups.push({ k1: String(r.k1), k2: action, byMethod: await pointStats(x, src, counts, methods) });
  }
  if (shared.length > 0) {
    const stats = await groupStats(
      x,
      runId,
      `SELECT coalesce(i.scenario_id, 'unknown') AS k1, st.action_name AS k2, coalesce(st.latency_ms, 0) AS v, st.ok AS ok
       FROM steps st INDEXED BY steps_run_instance_idx
       LEFT JOIN instances i ON i.run_id = st.run_id AND i.id = st.instance_id
       WHERE st.run_id = ?1 AND st.action_name IN (SELECT value FROM json_each(?2))`,
      methods,
      [JSON.stringify(shared)],
      agg.rows.filter((r) => shared.includes(String(r.k2))),
    );
    groups.push(...stats.values());
  }
  const counts = await x.execute({
    sql: `SELECT scenario_id, sum(status = 'pass') AS pass, sum(status != 'pass') AS fail
          FROM instances INDEXED BY instances_run_scenario_idx WHERE run_id = ? AND source IS NOT '' GROUP BY scenario_id`,
    args: [runId],
  });
  const out = new Map<PercentileMethod, ScenarioActions[]>();
  for (const method of methods) {
    const scenarios = new Map<string, ScenarioActions>();
    const scenario = (id: string) => {
      let s = scenarios.get(id);
      if (!s) {
        s = { scenario_id: id, pass_count: 0, fail_count: 0, pass_rate: 0, actions: [] };
        scenarios.set(id, s);
      }
      return s;
    };
    for (const r of counts.rows) {
      const s = scenario(String(r.scenario_id));
      s.pass_count = Number(r.pass);
      s.fail_count = Number(r.fail);
      s.pass_rate = passRatePercent(s.pass_count, s.pass_count + s.fail_count);
    }
    for (const g of groups) scenario(g.k1).actions.push({ action_name: String(g.k2), ...statsBy(g, method) });
    for (const s of scenarios.values()) s.actions.sort((a, b) => a.action_name.localeCompare(b.action_name));
    out.set(
      method,
      [...scenarios.values()].sort((a, b) => a.scenario_id.localeCompare(b.scenario_id)),
    );
  }
  return out;
}

/**
 * Per service from the run's rows, by each of `methods` (what store.ts stores, and the fallback);
 * most requests first. Counts and sums from the (run, service, latency) index alone, not-ok steps
 * from the partial index of not-ok steps, percentiles by point reads on the first.
 */
export async function computeServiceStats(
  x: SqlExecutor,
  runId: string,
  methods: readonly PercentileMethod[],
): Promise<Map<PercentileMethod, ServiceStats[]>> {
  const agg = await x.execute({
    sql: `SELECT service, count(*) AS n, sum(coalesce(latency_ms, 0)) AS total FROM steps INDEXED BY steps_run_service_idx
          WHERE run_id = ? AND service IS NOT NULL AND service != '' GROUP BY service`,
    args: [runId],
  });
  const failed = await x.execute({
    sql: `SELECT service, count(*) AS n FROM steps INDEXED BY steps_run_not_ok_idx
          WHERE run_id = ? AND ok IS NOT 1 AND service IS NOT NULL AND service != '' GROUP BY service`,
    args: [runId],
  });
  const fails = new Map(failed.rows.map((r) => [String(r.service), Number(r.n)]));
  const groups: Group[] = [];
  for (const r of agg.rows) {
    const service = String(r.service);
    const src: Source = {
      from: "steps INDEXED BY steps_run_service_idx",
      where: "run_id = ? AND service = ?",
      args: [runId, service],
      col: "latency_ms",
      nullsAs: 0,
    };
    const counts = { n: Number(r.n), fails: fails.get(service) ?? 0, total: Number(r.total) };
    groups.push({ k1: service, k2: null, byMethod: await pointStats(x, src, counts, methods) });
  }
  const out = new Map<PercentileMethod, ServiceStats[]>();
  for (const method of methods)
    out.set(
      method,
      groups
        .map((g) => ({ service: g.k1, ...statsBy(g, method) }))
        .sort((a, b) => b.count - a.count || a.service.localeCompare(b.service)),
    );
  return out;
}

/** Per scenario: instance counts and, per action (step name), turbulence's ActionStats (stored when the run has them). */
export async function scenarioActions(h: VerdictDb, runId: string, opts: Opts = {}): Promise<ScenarioActions[]> {
  await requireRun(h, runId);
  const method = opts.percentiles ?? DEFAULT_METHOD;
  const stored = await readStoredReportGroups(h.client, runId, method);
  if (stored) return stored.scenarios;
  return (await computeScenarioActions(h.client, runId, [method])).get(method) ?? [];
}

/** Per service (steps whose observation names one): requests, not-ok steps, latency; most requests first (stored when the run has them). */
export async function serviceStats(h: VerdictDb, runId: string, opts: Opts = {}): Promise<ServiceStats[]> {
  await requireRun(h, runId);
  const method = opts.percentiles ?? DEFAULT_METHOD;
  const stored = await readStoredReportGroups(h.client, runId, method);
  if (stored) return stored.services;
  return (await computeServiceStats(h.client, runId, [method])).get(method) ?? [];
}

/** Services with not-ok steps, most first (turbulence's failures_by_service). */
export function failuresByService(services: readonly ServiceStats[]): { service: string; fail_count: number }[] {
  return services
    .filter((s) => s.fail_count > 0)
    .map((s) => ({ service: s.service, fail_count: s.fail_count }))
    .sort((a, b) => b.fail_count - a.fail_count || a.service.localeCompare(b.service));
}

/** Turbulence's error categories with counts and example instances, most frequent first. */
export async function errorCategories(
  h: VerdictDb,
  runId: string,
  opts: { examples?: number } = {},
): Promise<ErrorCategory[]> {
  await requireRun(h, runId);
  const examples = opts.examples ?? 5;
  return (
    (await readStoredErrorCategories(h.client, runId, examples)) ??
    (await computeErrorCategories(h.client, runId, examples))
  );
}

/** Error categories computed from the run's rows (what store.ts stores, and the fallback). */
export async function computeErrorCategories(
  x: SqlExecutor,
  runId: string,
  examples: number,
): Promise<ErrorCategory[]> {
  const rs = await x.execute({
    sql: `WITH e AS (
            SELECT error AS text, id AS inst FROM instances INDEXED BY instances_run_failed_idx
            WHERE run_id = ?1 AND status = 'fail' AND error IS NOT NULL AND error != ''
            UNION ALL
            SELECT CAST(e.value AS TEXT) AS text, st.instance_id AS inst
            FROM steps st INDEXED BY steps_run_not_ok_idx, json_each(st.observation, '$.errors') e
            WHERE st.run_id = ?1 AND st.ok IS NOT 1),
          g AS (SELECT text, inst, count(*) OVER (PARTITION BY text) AS n,
                       row_number() OVER (PARTITION BY text ORDER BY inst) AS k FROM e)
          SELECT text, inst, n, k FROM g WHERE k <= ?2`,
    args: [runId, examples],
  });
  const cats = new Map<ErrorCategoryName, ErrorCategory>();
  for (const r of rs.rows) {
    const category = categorizeError(String(r.text));
    const c = cats.get(category) ?? { category, count: 0, example_instance_ids: [] };
    if (Number(r.k) === 1) c.count += Number(r.n);
    const ex = String(r.inst);
    if (!c.example_instance_ids.includes(ex)) c.example_instance_ids.push(ex);
    cats.set(category, c);
  }
  return [...cats.values()]
    .map((c) => ({ ...c, example_instance_ids: c.example_instance_ids.sort().slice(0, examples) }))
    .sort((a, b) => b.count - a.count || a.category.localeCompare(b.category));
}

/** Failed assertions by name, most first, each with one instance that failed it. */
export async function failingAssertions(h: VerdictDb, runId: string, opts: { top?: number } = {}) {
  await requireRun(h, runId);
  const rs = await h.client.execute({
    sql: `SELECT assertion_name, count(*) AS n, min(instance_id) AS ex FROM assertions INDEXED BY assertions_run_passed_name_idx
          WHERE run_id = ? AND passed = 0 GROUP BY assertion_name ORDER BY n DESC, assertion_name LIMIT ?`,
    args: [runId, opts.top ?? 20],
  });
  return rs.rows.map(
    (r): FailingAssertion => ({
      assertion_name: String(r.assertion_name),
      count: Number(r.n),
      example_instance_id: String(r.ex),
    }),
  );
}

/** The instances that took longest (duration_ms), slowest first. */
export async function slowestInstances(h: VerdictDb, runId: string, opts: { top?: number } = {}) {
  await requireRun(h, runId);
  const rs = await h.client.execute({
    sql: `SELECT id, scenario_id, status, duration_ms, error FROM instances INDEXED BY instances_run_duration_idx
          WHERE run_id = ? AND duration_ms IS NOT NULL ORDER BY duration_ms DESC LIMIT ?`,
    args: [runId, opts.top ?? 10],
  });
  return rs.rows.map(
    (r): SlowInstance => ({
      instance_id: String(r.id),
      scenario_id: String(r.scenario_id),
      status: String(r.status),
      duration_ms: Number(r.duration_ms),
      error: r.error === null ? null : String(r.error),
    }),
  );
}

export interface RunReport {
  run_id: string;
  percentiles: PercentileMethod;
  scenarios: ScenarioActions[];
  services: ServiceStats[];
  failures_by_service: { service: string; fail_count: number }[];
  error_categories: ErrorCategory[];
  failing_assertions: FailingAssertion[];
  slowest_instances: SlowInstance[];
}

/** Every question of turbulence's report, plus the slowest instances. */
export async function runReport(
  h: VerdictDb,
  runId: string,
  opts: Opts & { top?: number; examples?: number } = {},
): Promise<RunReport> {
  await requireRun(h, runId);
  const method = opts.percentiles ?? DEFAULT_METHOD;
  const stored = await readStoredReportGroups(h.client, runId, method);
  const services = stored?.services ?? (await computeServiceStats(h.client, runId, [method])).get(method) ?? [];
  const scenarios = stored?.scenarios ?? (await computeScenarioActions(h.client, runId, [method])).get(method) ?? [];
  return {
    run_id: runId,
    percentiles: method,
    scenarios,
    services,
    failures_by_service: failuresByService(services),
    error_categories: await errorCategories(h, runId, opts),
    failing_assertions: await failingAssertions(h, runId, opts),
    slowest_instances: await slowestInstances(h, runId, opts),
  };
}
