/**
 * `runs summary`: counts, pass rate and percentiles of a run, overall and per scenario, action and
 * service, from indexes only (no full scan of the run's rows).
 *
 * Group sizes come from range counts on the same covering indexes (the only part that visits every
 * index entry of a run); when the database holds just this run (a per-run file), totals are
 * whole-table counts, which SQLite answers from b-tree page headers instead of entries.
 *
 * Counting conventions (also used by the gate), turbulence's summary's (see totals.ts):
 * - pass: `passed` true; fail: `passed` false; `passed` null: neither (undecided), but an instance;
 * - placeholder instances (orphan steps of an interrupted run) are no instances;
 * - error: the failed instances that carry an error message; pass_rate = 100 * pass / instances.
 * - Step latency is the observation's latency_ms; a scenario's duration is its instances' duration_ms.
 */
import type { Run } from "@verdict/schema";
import type { VerdictDb } from "../../open.js";
import { openHelper } from "../run-helper.js";
import type { SqlExecutor } from "../runs.js";
import {
  DEFAULT_METHOD,
  type PercentileMethod,
  type Percentiles,
  type PointRead,
  type Source,
  type Stmt,
  emptyPercentiles,
  fromPositions,
  fromReads,
  groupReads,
  percentileAt,
  percentilesOf,
  windowKeep,
} from "./percentiles.js";
import {
  type Batch,
  type GroupCount,
  batchOn,
  groupCounts,
  latencyCount,
  onlyRun,
  requireRun,
  runRows,
  stepLatencySource,
} from "./shared.js";
import { readStoredCounts, readStoredSummary, readStoredTotals } from "./stored.js";
import { type TurbulenceTotals, passRatePercent, runDurationMs, withPassRate } from "./totals.js";

export interface InstanceCounts {
  /** Instance records turbulence wrote (placeholders of orphan steps left out). */
  instances: number;
  /** `passed` true. */
  pass: number;
  /** `passed` false (for a run written through the API: status fail). */
  fail: number;
  /** `passed` null as turbulence wrote it: neither a pass nor a failure (turbulence's summary counts it so). */
  undecided: number;
  error: number;
  /** 0–100 (pass / instances, an undecided instance counts in the denominator); null for a run without instances. */
  pass_rate: number | null;
}

/**
 * Pass/fail/error counts of a run: failures (a few percent) from the partial index of failed
 * instances, the total from a whole-table or range count, pass = total - fail.
 */
export async function countInstancesByStatus(h: VerdictDb, runId: string): Promise<InstanceCounts> {
  await requireRun(h, runId);
  return (await readStoredCounts(h.client, runId)) ?? instanceCounts(h.client, runId, await onlyRun(h.client, runId));
}

/**
 * Per scenario (or `*` for the whole run), over the instances that did not pass (status fail: the
 * partial index, then their rows): all of them, those written `passed: false`, those written
 * `passed: null`, placeholders (source '') and those with an error. A run not imported (written
 * through the API, `passed` never set) counts every failed instance as `passed: false`.
 */
export const NOT_PASSED_SQL = (group: string): string => `SELECT ${group} AS g, count(*) AS n,
    sum(CASE WHEN r.imported THEN passed = 0 ELSE source IS NOT '' END) AS fail,
    sum(r.imported AND passed IS NULL AND source IS NOT '') AS undecided,
    sum(source IS '') AS placeholders, count(error) AS error
  FROM instances INDEXED BY instances_run_failed_idx,
       (SELECT source_format IS NOT NULL AS imported FROM runs WHERE id = ?1) r
  WHERE run_id = ?1 AND status = 'fail'`;

interface NotPassed {
  n: number;
  fail: number;
  undecided: number;
  placeholders: number;
  error: number;
}
const notPassed = (r: Record<string, unknown> | undefined): NotPassed => ({
  n: Number(r?.n ?? 0),
  fail: Number(r?.fail ?? 0),
  undecided: Number(r?.undecided ?? 0),
  placeholders: Number(r?.placeholders ?? 0),
  error: Number(r?.error ?? 0),
});

/** Counts from a group's row count and its not-passed figures, as turbulence's summary counts them. */
function countsOf(rows: number, f: NotPassed): InstanceCounts {
  return withPassRate({
    instances: rows - f.placeholders,
    pass: rows - f.n,
    fail: f.fail,
    undecided: f.undecided,
    error: f.error,
  });
}

export async function instanceCounts(x: SqlExecutor, runId: string, single: boolean): Promise<InstanceCounts> {
  const f = await x.execute({ sql: NOT_PASSED_SQL("'*'"), args: [runId] });
  const rows = await runRows(x, "instances", "instances_run_status_idx", runId, single);
  return countsOf(rows, notPassed(f.rows[0] as Record<string, unknown> | undefined));
}

/**
 * Instance counts per scenario (and each scenario's duration count and sum), in scenario order, as
 * the summary counts them; a scenario holding only placeholders (orphan steps of an interrupted
 * run) has no instances and is left out of `counted` (its rows stay in `scenarios`).
 */
async function scenarioGroups(x: SqlExecutor, runId: string) {
  const scenarios = await groupCounts(
    x,
    "instances",
    "instances_run_scenario_duration_idx",
    "scenario_id",
    "duration_ms",
    runId,
    true,
  );
  const failsBy = await x.execute({ sql: `${NOT_PASSED_SQL("scenario_id")} GROUP BY scenario_id`, args: [runId] });
  const fails = new Map(failsBy.rows.map((r) => [String(r.g), notPassed(r as unknown as Record<string, unknown>)]));
  const counted: { g: GroupCount; counts: InstanceCounts }[] = [];
  for (const g of scenarios) {
    const f = fails.get(String(g.key)) ?? notPassed(undefined);
    if (g.rows === f.placeholders) continue;
    counted.push({ g, counts: countsOf(g.rows, f) });
  }
  return { scenarios, counted };
}

/**
 * A run's instance counts per scenario, exactly as `runs summary` shows them (by_scenario): from
 * the stored statistics when the run has them, else from its rows. `runs flaky` counts with this.
 */
export async function countsByScenario(
  x: SqlExecutor,
  runId: string,
): Promise<(InstanceCounts & { scenario_id: string })[]> {
  const stored = await readStoredSummary(x, runId, DEFAULT_METHOD);
  if (stored) return stored.by_scenario.map(({ duration_ms: _d, step_latency_ms: _s, ...c }) => c);
  return (await scenarioGroups(x, runId)).counted.map(({ g, counts }) => ({ scenario_id: String(g.key), ...counts }));
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
  /** How the percentiles were computed (`linear`: turbulence's interpolation; `nearest`: nearest rank). */
  percentiles: PercentileMethod;
  /** The numbers of turbulence's summary.json, under its names and computed as it computes them. */
  totals: TurbulenceTotals;
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
  /** Percentile method; default `linear` (turbulence's). */
  percentiles?: PercentileMethod;
}

/** Runs with at least this many instances get their summary walked on two cores (local files). */
const PARALLEL_FROM = 50_000;

/** What a summary holds besides the run itself: everything stored per run (stored.ts) or computed from its rows. */
export interface SummaryParts {
  counts: InstanceCounts;
  duration_ms: Percentiles;
  steps: { total: number; failed: number; latency_ms: Percentiles };
  assertions: { total: number; failed: number };
  by_scenario: ScenarioSummary[];
  by_action: RunSummary["by_action"];
  by_service: RunSummary["by_service"];
}

/** The summary of `run` from its parts: one assembly for stored and computed parts. */
export function assembleSummary(run: Run, method: PercentileMethod, p: SummaryParts): RunSummary {
  const c = p.counts;
  const lat = p.steps.latency_ms;
  return {
    run,
    percentiles: method,
    totals: {
      total_instances: c.instances,
      pass_count: c.pass,
      fail_count: c.fail,
      error_count: c.error,
      pass_rate: passRatePercent(c.pass, c.instances),
      duration_ms: runDurationMs(run.started_at, run.completed_at),
      total_steps: p.steps.total,
      total_assertions: p.assertions.total,
      assertions_passed: p.assertions.total - p.assertions.failed,
      assertions_failed: p.assertions.failed,
      p50_latency_ms: lat.p50 ?? 0,
      p95_latency_ms: lat.p95 ?? 0,
      p99_latency_ms: lat.p99 ?? 0,
    },
    instances: { ...c, duration_ms: p.duration_ms },
    steps: p.steps,
    assertions: {
      total: p.assertions.total,
      passed: p.assertions.total - p.assertions.failed,
      failed: p.assertions.failed,
    },
    by_scenario: p.by_scenario,
    by_action: p.by_action,
    by_service: p.by_service,
  };
}

/**
 * Everything `verdict runs summary` shows: the run's stored statistics when it has them
 * (stored.ts, computed once at import or completion), else computed from indexes only (no full scan
 * of the run's rows). Both give the same numbers.
 */
export async function runSummary(h: VerdictDb, runId: string, opts: RunSummaryOptions = {}): Promise<RunSummary> {
  const run = await requireRun(h, runId);
  const method = opts.percentiles ?? DEFAULT_METHOD;
  const stored = await readStoredSummary(h.client, runId, method);
  if (stored && opts.stepLatencyByScenario) {
    // Not stored (it joins every step of the run): computed from the rows, as without stored statistics.
    const lat = (await stepLatencyByScenario(h.client, runId, [method])).get(method);
    for (const s of stored.by_scenario) s.step_latency_ms = lat?.get(s.scenario_id) ?? emptyPercentiles();
  }
  if (stored) return assembleSummary(run, method, stored);
  const parts = (await computeSummaryParts(h, runId, { ...opts, methods: [method] })).get(method);
  if (!parts) throw new Error("summary: no parts computed");
  return assembleSummary(run, method, parts);
}

/**
 * A summary's parts computed from the run's rows. With a VerdictDb, big local runs get half the walks
 * done on a helper thread; with a plain executor (a transaction) everything runs on it.
 */
export async function computeSummaryParts(
  hx: VerdictDb | SqlExecutor,
  runId: string,
  opts: Omit<RunSummaryOptions, "percentiles"> & { methods: readonly PercentileMethod[] },
): Promise<Map<PercentileMethod, SummaryParts>> {
  const methods = opts.methods;
  const h = "client" in hx ? hx : null;
  const x: SqlExecutor = h ? h.client : (hx as SqlExecutor);
  const single = await onlyRun(x, runId);
  const counts = await instanceCounts(x, runId, single);

  // Big runs: services (with the run's overall latency), failed steps and assertion counts go to a
  // helper thread on a second connection while this one does scenarios and actions, one per core.
  // Small runs: the same statements, one after the other here.
  const helper = h && (opts.parallel ?? counts.instances >= PARALLEL_FROM) ? openHelper(h) : null;
  const servicesPart = groupedLatency(
    helper ? helper.batch : batchOn(x),
    runId,
    "service",
    "steps_run_service_idx",
    true,
    methods,
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

  async function summarizeRest(): Promise<Map<PercentileMethod, SummaryParts>> {
    // Without a helper the services half runs now, before the rest, on this connection.
    if (!helper) await servicesPart.catch(() => undefined);

    // Scenarios first: their counts and sums add up to the run's duration count and mean.
    const { scenarios, counted } = await scenarioGroups(x, runId);
    const durN = scenarios.reduce((a, g) => a + g.n, 0);
    const durSum = scenarios.some((g) => g.sum !== null) ? scenarios.reduce((a, g) => a + (g.sum ?? 0), 0) : null;
    const durationAll = await perMethod((method) =>
      percentilesOf(
        x,
        {
          from: "instances INDEXED BY instances_run_duration_idx",
          where: "run_id = ?",
          args: [runId],
          col: "duration_ms",
        },
        durN,
        durSum,
        method,
      ),
    );
    const stepLat = opts.stepLatencyByScenario ? await stepLatencyByScenario(x, runId, methods) : null;
    const byScenario = new Map<PercentileMethod, ScenarioSummary[]>(methods.map((m) => [m, []]));
    for (const { g, counts: c } of counted) {
      const id = String(g.key);
      for (const method of methods) {
        const lat = stepLat?.get(method);
        byScenario.get(method)?.push({
          scenario_id: id,
          ...c,
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
            method,
          ),
          ...(lat ? { step_latency_ms: lat.get(id) ?? emptyPercentiles() } : {}),
        });
      }
    }

    const actions = await groupedLatency(
      batchOn(x),
      runId,
      "action_name",
      "steps_run_action_latency_idx",
      false,
      methods,
    );
    const services = await servicesPart;
    const stepTotal = actions.groups.reduce((a, g) => a + g.rows, 0);
    const [failedStepsRows, aFailedRows, aTotalRows] = services.extra;
    const out = new Map<PercentileMethod, SummaryParts>();
    for (const method of methods) {
      const lat = (p: Map<PercentileMethod, Percentiles> | null) => p?.get(method) ?? emptyPercentiles();
      out.set(method, {
        counts,
        duration_ms: durationAll.get(method) ?? emptyPercentiles(),
        steps: { total: stepTotal, failed: Number(failedStepsRows?.[0]?.n ?? 0), latency_ms: lat(services.overall) },
        assertions: { total: Number(aTotalRows?.[0]?.n ?? 0), failed: Number(aFailedRows?.[0]?.n ?? 0) },
        by_scenario: byScenario.get(method) ?? [],
        by_action: actions.groups.map((g) => ({
          action_name: String(g.key),
          steps: g.rows,
          latency_ms: lat(g.latency_ms),
        })),
        by_service: services.groups.map((g) => ({ service: g.key, steps: g.rows, latency_ms: lat(g.latency_ms) })),
      });
    }
    return out;
  }

  async function perMethod<T>(fn: (m: PercentileMethod) => Promise<T>): Promise<Map<PercentileMethod, T>> {
    const out = new Map<PercentileMethod, T>();
    for (const m of methods) out.set(m, await fn(m));
    return out;
  }
}

/**
 * Step-latency percentiles per distinct `col` (action or service) and, optionally, over the whole
 * run, in two batches: group sizes (one statement), then every percentile read. The second depends
 * only on the first, so a helper thread runs each without waiting for the main thread.
 */
async function groupedLatency(
  batch: Batch,
  runId: string,
  col: "action_name" | "service",
  index: string,
  overall: boolean,
  methods: readonly PercentileMethod[],
  extra: Stmt[] = [],
): Promise<{
  groups: { key: string | null; rows: number; latency_ms: Map<PercentileMethod, Percentiles> }[];
  overall: Map<PercentileMethod, Percentiles> | null;
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
    sources.push(stepLatencySource(runId));
    ns.push(totalN);
  }
  // Per source, per method: its five reads (a read both methods share is made once).
  const reads: PointRead[][][] = sources.map((src, i) => {
    const n = ns[i] ?? 0;
    return methods.map((m) => (n > 0 ? groupReads(src, n, m) : []));
  });
  const unique = new Map<string, number>();
  const stmts: Stmt[] = [];
  for (const r of reads.flat(2)) {
    const key = JSON.stringify(r.stmt);
    if (!unique.has(key)) {
      unique.set(key, stmts.length);
      stmts.push(r.stmt);
    }
  }
  const values = await batch(stmts);
  const pct = (i: number): Map<PercentileMethod, Percentiles> => {
    const out = new Map<PercentileMethod, Percentiles>();
    methods.forEach((m, k) => {
      const rs = reads[i]?.[k] ?? [];
      const vals = rs.map((r) => r.decode(values[unique.get(JSON.stringify(r.stmt)) ?? -1] ?? []));
      out.set(m, fromReads(vals, ns[i] ?? 0, null));
    });
    return out;
  };
  const groups = keys.map((g, i) => ({ key: g.key, rows: g.rows, latency_ms: pct(i) }));
  return { groups, overall: overall ? pct(keys.length) : null, extra: extraRows };
}

/**
 * Step-latency percentiles per scenario in one pass: steps joined to their instance's scenario,
 * ranked per scenario by a window function, and only the positions a percentile reads kept (for
 * every method asked, so one pass serves both).
 */
export async function stepLatencyByScenario(
  x: SqlExecutor,
  runId: string,
  methods: readonly PercentileMethod[],
): Promise<Map<PercentileMethod, Map<string, Percentiles>>> {
  const keep = methods.flatMap((m) => [50, 95, 99].map((p) => windowKeep(p, m))).join(" OR ");
  const rs = await x.execute({
    sql: `WITH l AS (
            SELECT i.scenario_id AS g, s.latency_ms AS v,
                   row_number() OVER (PARTITION BY i.scenario_id ORDER BY s.latency_ms) AS rn,
                   count(*) OVER (PARTITION BY i.scenario_id) AS n,
                   sum(s.latency_ms) OVER (PARTITION BY i.scenario_id) AS total
            FROM steps s JOIN instances i ON i.run_id = s.run_id AND i.id = s.instance_id
            WHERE s.run_id = ?1 AND s.latency_ms IS NOT NULL)
          SELECT g, n, total, rn, v FROM l
          WHERE rn = 1 OR rn = n OR ${keep}`,
    args: [runId],
  });
  const groups = new Map<string, { n: number; total: number; at: Map<number, number> }>();
  for (const r of rs.rows) {
    const g = String(r.g);
    const e = groups.get(g) ?? { n: Number(r.n), total: Number(r.total), at: new Map<number, number>() };
    e.at.set(Number(r.rn) - 1, Number(r.v));
    groups.set(g, e);
  }
  const out = new Map<PercentileMethod, Map<string, Percentiles>>();
  for (const m of methods) {
    const per = new Map<string, Percentiles>();
    for (const [g, e] of groups) per.set(g, fromPositions(e.at, e.n, e.total, m));
    out.set(m, per);
  }
  return out;
}

/**
 * Just turbulence's totals of a run (what its summary.json holds), without the per-group breakdown:
 * the gate's metrics, and what an export can write as summary.json for a run that had none.
 */
export async function runTotals(
  h: VerdictDb,
  runId: string,
  method: PercentileMethod = DEFAULT_METHOD,
): Promise<TurbulenceTotals & { latency_count: number }> {
  const run = await requireRun(h, runId);
  const x = h.client;
  const stored = await readStoredTotals(x, runId, method);
  if (stored) {
    const { counts: c, steps, assertions, failed_assertions: aFailed, latency } = stored;
    return {
      total_instances: c.instances,
      pass_count: c.pass,
      fail_count: c.fail,
      error_count: c.error,
      pass_rate: passRatePercent(c.pass, c.instances),
      duration_ms: runDurationMs(run.started_at, run.completed_at),
      total_steps: steps,
      total_assertions: assertions,
      assertions_passed: assertions - aFailed,
      assertions_failed: aFailed,
      p50_latency_ms: latency.p50 ?? 0,
      p95_latency_ms: latency.p95 ?? 0,
      p99_latency_ms: latency.p99 ?? 0,
      latency_count: latency.count,
    };
  }
  const single = await onlyRun(x, runId);
  const c = await instanceCounts(x, runId, single);
  const steps = await runRows(x, "steps", "steps_run_instance_idx", runId, single);
  const assertions = await runRows(x, "assertions", "assertions_run_instance_idx", runId, single);
  const aFailed = Number(
    (
      await x.execute({
        sql: "SELECT count(*) AS n FROM assertions INDEXED BY assertions_run_passed_name_idx WHERE run_id = ? AND passed = 0",
        args: [runId],
      })
    ).rows[0]?.n ?? 0,
  );
  const n = await latencyCount(x, runId);
  const at = async (p: number) => (await percentileAt(x, stepLatencySource(runId), n, p, method)) ?? 0;
  return {
    total_instances: c.instances,
    pass_count: c.pass,
    fail_count: c.fail,
    error_count: c.error,
    pass_rate: passRatePercent(c.pass, c.instances),
    duration_ms: runDurationMs(run.started_at, run.completed_at),
    total_steps: steps,
    total_assertions: assertions,
    assertions_passed: assertions - aFailed,
    assertions_failed: aFailed,
    p50_latency_ms: await at(50),
    p95_latency_ms: await at(95),
    p99_latency_ms: await at(99),
    latency_count: n,
  };
}
