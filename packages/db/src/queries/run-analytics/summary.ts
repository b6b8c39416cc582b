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
  batchOn,
  groupCounts,
  latencyCount,
  onlyRun,
  requireRun,
  runRows,
  stepLatencySource,
} from "./shared.js";
import { type TurbulenceTotals, passRatePercent, runDurationMs } from "./totals.js";

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
  return instanceCounts(h.client, runId, await onlyRun(h.client, runId));
}

/**
 * Per scenario (or `*` for the whole run), over the instances that did not pass (status fail: the
 * partial index, then their rows): all of them, those written `passed: false`, those written
 * `passed: null`, placeholders (source '') and those with an error. A run not imported (written
 * through the API, `passed` never set) counts every failed instance as `passed: false`.
 */
const NOT_PASSED = (group: string) => `SELECT ${group} AS g, count(*) AS n,
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
  const total = rows - f.placeholders;
  const pass = rows - f.n;
  return {
    instances: total,
    pass,
    fail: f.fail,
    undecided: f.undecided,
    error: f.error,
    pass_rate: total ? (100 * pass) / total : null,
  };
}

export async function instanceCounts(x: SqlExecutor, runId: string, single: boolean): Promise<InstanceCounts> {
  const f = await x.execute({ sql: NOT_PASSED("'*'"), args: [runId] });
  const rows = await runRows(x, "instances", "instances_run_status_idx", runId, single);
  return countsOf(rows, notPassed(f.rows[0] as Record<string, unknown> | undefined));
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

/** Everything `verdict runs summary` shows, from indexes only (no full scan of the run's rows). */
export async function runSummary(h: VerdictDb, runId: string, opts: RunSummaryOptions = {}): Promise<RunSummary> {
  const run = await requireRun(h, runId);
  const method = opts.percentiles ?? DEFAULT_METHOD;
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
    method,
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
      method,
    );
    const failsBy = await x.execute({ sql: `${NOT_PASSED("scenario_id")} GROUP BY scenario_id`, args: [runId] });
    const fails = new Map(failsBy.rows.map((r) => [String(r.g), notPassed(r as unknown as Record<string, unknown>)]));
    const stepLat = opts.stepLatencyByScenario ? await stepLatencyByScenario(h, runId, method) : null;
    const byScenario: ScenarioSummary[] = [];
    for (const g of scenarios) {
      const id = String(g.key);
      const f = fails.get(id) ?? notPassed(undefined);
      // A scenario holding only placeholders (orphan steps of an interrupted run) has no instances.
      if (g.rows === f.placeholders) continue;
      byScenario.push({
        scenario_id: id,
        ...countsOf(g.rows, f),
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
        ...(stepLat ? { step_latency_ms: stepLat.get(id) ?? emptyPercentiles() } : {}),
      });
    }

    const actions = await groupedLatency(
      batchOn(x),
      runId,
      "action_name",
      "steps_run_action_latency_idx",
      false,
      method,
    );
    const services = await servicesPart;
    const stepTotal = actions.groups.reduce((a, g) => a + g.rows, 0);
    const latencyAll = services.overall ?? emptyPercentiles();
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
      percentiles: method,
      totals: {
        total_instances: counts.instances,
        pass_count: counts.pass,
        fail_count: counts.fail,
        error_count: counts.error,
        pass_rate: passRatePercent(counts.pass, counts.instances),
        duration_ms: runDurationMs(run.started_at, run.completed_at),
        total_steps: stepTotal,
        total_assertions: aTotal,
        assertions_passed: aTotal - aFailed,
        assertions_failed: aFailed,
        p50_latency_ms: latencyAll.p50 ?? 0,
        p95_latency_ms: latencyAll.p95 ?? 0,
        p99_latency_ms: latencyAll.p99 ?? 0,
      },
      instances: { ...counts, duration_ms: durationAll },
      steps: { total: stepTotal, failed: failedSteps, latency_ms: latencyAll },
      assertions: { total: aTotal, passed: aTotal - aFailed, failed: aFailed },
      by_scenario: byScenario,
      by_action: byAction,
      by_service: byService,
    };
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
  method: PercentileMethod,
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
    sources.push(stepLatencySource(runId));
    ns.push(totalN);
  }
  const reads: PointRead[][] = sources.map((src, i) => {
    const n = ns[i] ?? 0;
    return n > 0 ? groupReads(src, n, method) : [];
  });
  const values = await batch(reads.flat().map((r) => r.stmt));
  let at = 0;
  const pct = (i: number): Percentiles => {
    const rs = reads[i] ?? [];
    const out = rs.map((r, j) => r.decode(values[at + j] ?? []));
    at += rs.length;
    return fromReads(out, ns[i] ?? 0, null);
  };
  const groups = keys.map((g, i) => ({ key: g.key, rows: g.rows, latency_ms: pct(i) }));
  return { groups, overall: overall ? pct(keys.length) : null, extra: extraRows };
}

/**
 * Step-latency percentiles per scenario in one pass: steps joined to their instance's scenario,
 * ranked per scenario by a window function, and only the positions a percentile reads kept.
 */
async function stepLatencyByScenario(
  h: VerdictDb,
  runId: string,
  method: PercentileMethod,
): Promise<Map<string, Percentiles>> {
  const rs = await h.client.execute({
    sql: `WITH l AS (
            SELECT i.scenario_id AS g, s.latency_ms AS v,
                   row_number() OVER (PARTITION BY i.scenario_id ORDER BY s.latency_ms) AS rn,
                   count(*) OVER (PARTITION BY i.scenario_id) AS n,
                   sum(s.latency_ms) OVER (PARTITION BY i.scenario_id) AS total
            FROM steps s JOIN instances i ON i.run_id = s.run_id AND i.id = s.instance_id
            WHERE s.run_id = ?1 AND s.latency_ms IS NOT NULL)
          SELECT g, n, total, rn, v FROM l
          WHERE rn = 1 OR rn = n OR ${windowKeep(50, method)} OR ${windowKeep(95, method)} OR ${windowKeep(99, method)}`,
    args: [runId],
  });
  const groups = new Map<string, { n: number; total: number; at: Map<number, number> }>();
  for (const r of rs.rows) {
    const g = String(r.g);
    const e = groups.get(g) ?? { n: Number(r.n), total: Number(r.total), at: new Map<number, number>() };
    e.at.set(Number(r.rn) - 1, Number(r.v));
    groups.set(g, e);
  }
  const out = new Map<string, Percentiles>();
  for (const [g, e] of groups) out.set(g, fromPositions(e.at, e.n, e.total, method));
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
