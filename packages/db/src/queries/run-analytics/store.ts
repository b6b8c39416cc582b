/**
 * Computing a run's statistics once and storing them (migrations runs/0004, runs/0006): called when an import
 * ends (turbulence/import.ts) and when the last work item of an HTTP run ends (queue.ts). The numbers
 * are computed by the same code that answers without them (summary.ts, report.ts), by both
 * percentile methods, so reading them back gives exactly what computing from the rows gives.
 */
import type { VerdictDb } from "../../open.js";
import type { SqlExecutor } from "../runs.js";
import type { PercentileMethod, Percentiles } from "./percentiles.js";
import {
  type LatencyStats,
  type ScenarioActions,
  type ServiceStats,
  computeErrorCategories,
  computeScenarioActions,
  computeServiceStats,
} from "./report.js";
import { STATS_VERSION, STORED_EXAMPLES, reportTable, statsTables } from "./stored.js";
import { type InstanceCounts, type SummaryParts, computeSummaryParts } from "./summary.js";

const METHODS: readonly PercentileMethod[] = ["linear", "nearest"];

const GROUP_COLUMNS = [
  "run_id",
  "dimension",
  "measure",
  "ord",
  "key1",
  "key2",
  "rows",
  "instances",
  "pass",
  "fail",
  "undecided",
  "error",
  "n",
  "min",
  "max",
  "mean",
  "p50",
  "p95",
  "p99",
  "p50_nearest",
  "p95_nearest",
  "p99_nearest",
] as const;

type GroupRow = (string | number | null)[];

function groupRow(
  runId: string,
  dimension: string,
  measure: string,
  ord: number,
  key1: string | null,
  rows: number,
  counts: Omit<InstanceCounts, "pass_rate"> | null,
  lin: Percentiles,
  near: Percentiles,
): GroupRow {
  return [
    runId,
    dimension,
    measure,
    ord,
    key1,
    null,
    rows,
    counts?.instances ?? null,
    counts?.pass ?? null,
    counts?.fail ?? null,
    counts?.undecided ?? null,
    counts?.error ?? null,
    lin.count,
    lin.min,
    lin.max,
    lin.mean,
    lin.p50,
    lin.p95,
    lin.p99,
    near.p50,
    near.p95,
    near.p99,
  ];
}

/** The group rows of a run from its summary parts by each method (same groups, same order). */
function groupRows(runId: string, lin: SummaryParts, near: SummaryParts): GroupRow[] {
  const out: GroupRow[] = [
    groupRow(runId, "run", "duration_ms", 0, null, lin.counts.instances, null, lin.duration_ms, near.duration_ms),
    groupRow(runId, "run", "latency_ms", 0, null, lin.steps.total, null, lin.steps.latency_ms, near.steps.latency_ms),
  ];
  lin.by_scenario.forEach((s, i) => {
    const n = near.by_scenario[i];
    if (n?.scenario_id !== s.scenario_id) throw new Error("run statistics: scenario groups differ between methods");
    out.push(
      groupRow(runId, "scenario", "duration_ms", i, s.scenario_id, s.instances, s, s.duration_ms, n.duration_ms),
    );
  });
  lin.by_action.forEach((a, i) => {
    const n = near.by_action[i];
    if (n?.action_name !== a.action_name) throw new Error("run statistics: action groups differ between methods");
    out.push(groupRow(runId, "action", "latency_ms", i, a.action_name, a.steps, null, a.latency_ms, n.latency_ms));
  });
  lin.by_service.forEach((a, i) => {
    const n = near.by_service[i];
    if (n === undefined || n.service !== a.service)
      throw new Error("run statistics: service groups differ between methods");
    out.push(groupRow(runId, "service", "latency_ms", i, a.service, a.steps, null, a.latency_ms, n.latency_ms));
  });
  return out;
}

const REPORT_COLUMNS = [
  "run_id",
  "kind",
  "ord",
  "key1",
  "key2",
  "count",
  "fail_count",
  "pass_count",
  "mean",
  "p50",
  "p95",
  "p99",
  "p50_nearest",
  "p95_nearest",
  "p99_nearest",
] as const;

function latencyRow(
  runId: string,
  kind: string,
  ord: number,
  key1: string,
  key2: string | null,
  lin: LatencyStats,
  near: LatencyStats,
): GroupRow {
  if (lin.count !== near.count || lin.fail_count !== near.fail_count || lin.mean_latency_ms !== near.mean_latency_ms)
    throw new Error("run statistics: report groups differ between methods");
  return [
    runId,
    kind,
    ord,
    key1,
    key2,
    lin.count,
    lin.fail_count,
    null,
    lin.mean_latency_ms,
    lin.p50_latency_ms,
    lin.p95_latency_ms,
    lin.p99_latency_ms,
    near.p50_latency_ms,
    near.p95_latency_ms,
    near.p99_latency_ms,
  ];
}

/** The report's group rows (scenarios, scenario × action, services) from its answers by each method (same groups, same order). */
function reportRows(
  runId: string,
  scenarios: { lin: ScenarioActions[]; near: ScenarioActions[] },
  services: { lin: ServiceStats[]; near: ServiceStats[] },
): GroupRow[] {
  const out: GroupRow[] = [];
  let ord = 0;
  scenarios.lin.forEach((s, i) => {
    const n = scenarios.near[i];
    if (n?.scenario_id !== s.scenario_id || n.actions.length !== s.actions.length)
      throw new Error("run statistics: report scenarios differ between methods");
    const counts = [s.pass_count + s.fail_count, s.fail_count, s.pass_count];
    out.push([runId, "scenario", i, s.scenario_id, null, ...counts, null, null, null, null, null, null, null]);
    s.actions.forEach((a, j) => {
      const na = n.actions[j];
      if (na?.action_name !== a.action_name) throw new Error("run statistics: report actions differ between methods");
      out.push(latencyRow(runId, "scenario_action", ord++, s.scenario_id, a.action_name, a, na));
    });
  });
  services.lin.forEach((v, i) => {
    const n = services.near[i];
    if (n?.service !== v.service) throw new Error("run statistics: report services differ between methods");
    out.push(latencyRow(runId, "service", i, v.service, null, v, n));
  });
  return out;
}

/** Inserts rows of `columns` into `table`, as many a statement as SQLite's parameter limit allows. */
async function insertRows(x: SqlExecutor, table: string, columns: readonly string[], rows: GroupRow[]): Promise<void> {
  // Bound parameters, not JSON text: a double goes in as the same 64 bits whatever its decimal form.
  const one = `(${columns.map(() => "?").join(", ")})`;
  const perStatement = Math.floor(32766 / columns.length);
  for (let i = 0; i < rows.length; i += perStatement) {
    const slice = rows.slice(i, i + perStatement);
    await x.execute({
      sql: `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${slice.map(() => one).join(", ")}`,
      args: slice.flat(),
    });
  }
}

/**
 * Computes a run's statistics from its rows and stores them in place of any it had, all through `x`
 * (call it inside the write transaction that completes the run, or in one of its own). A database
 * without the statistics tables (not migrated to runs/0004) is left alone.
 */
export async function storeRunStatsIn(x: SqlExecutor, runId: string): Promise<void> {
  if (!(await statsTables(x))) return;
  const parts = await computeSummaryParts(x, runId, { methods: METHODS });
  const lin = parts.get("linear");
  const near = parts.get("nearest");
  if (!lin || !near) throw new Error("run statistics: a method's parts are missing");
  const categories = await computeErrorCategories(x, runId, STORED_EXAMPLES);
  const withReport = await reportTable(x);
  let report: GroupRow[] = [];
  if (withReport) {
    const sa = await computeScenarioActions(x, runId, METHODS);
    const sv = await computeServiceStats(x, runId, METHODS);
    report = reportRows(
      runId,
      { lin: sa.get("linear") ?? [], near: sa.get("nearest") ?? [] },
      { lin: sv.get("linear") ?? [], near: sv.get("nearest") ?? [] },
    );
  }
  for (const table of [
    ...(withReport ? ["run_report_groups"] : []),
    "run_stat_groups",
    "run_error_categories",
    "run_stats",
  ])
    await x.execute({ sql: `DELETE FROM ${table} WHERE run_id = ?`, args: [runId] });
  const c = lin.counts;
  await x.execute({
    sql: `INSERT INTO run_stats (run_id, version, computed_at, instances, pass, fail, undecided, error, steps,
            failed_steps, assertions, failed_assertions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    args: [
      runId,
      STATS_VERSION,
      new Date().toISOString(),
      c.instances,
      c.pass,
      c.fail,
      c.undecided,
      c.error,
      lin.steps.total,
      lin.steps.failed,
      lin.assertions.total,
      lin.assertions.failed,
    ],
  });
  await insertRows(x, "run_stat_groups", GROUP_COLUMNS, groupRows(runId, lin, near));
  await insertRows(x, "run_report_groups", REPORT_COLUMNS, report);
  if (categories.length > 0)
    await x.execute({
      sql: `INSERT INTO run_error_categories (run_id, category, count, example_instance_ids)
            SELECT ?, value ->> 0, value ->> 1, value ->> 2 FROM json_each(?)`,
      args: [
        runId,
        JSON.stringify(categories.map((k) => [k.category, k.count, JSON.stringify(k.example_instance_ids)])),
      ],
    });
}

/**
 * Computes and stores a run's statistics in a write transaction of its own, so that nothing changes
 * the run between the computation and the write.
 */
export async function storeRunStats(h: VerdictDb, runId: string): Promise<void> {
  const tx = await h.client.transaction("write");
  try {
    await storeRunStatsIn(tx, runId);
    await tx.commit();
  } catch (e) {
    await tx.rollback().catch(() => undefined);
    throw e;
  } finally {
    tx.close();
  }
}
