/**
 * Reading a run's stored statistics (tables run_stats, run_stat_groups, run_error_categories of
 * migration runs/0004 and run_report_groups of runs/0006, written by store.ts when a run is imported or completed). Each reader returns
 * null when the run has no statistics of the current version, and its caller computes from the rows
 * instead: the numbers are the same either way (the stored ones were computed by that same code).
 */
import type { SqlExecutor } from "../runs.js";
import type { ErrorCategory, LatencyStats, ScenarioActions, ServiceStats } from "./report.js";
import { type PercentileMethod, type Percentiles, emptyPercentiles } from "./percentiles.js";
import type { InstanceCounts, ScenarioSummary, SummaryParts } from "./summary.js";
import { passRatePercent, withPassRate } from "./totals.js";

/** Format of the stored statistics; rows of another version are ignored (the run is computed from its rows). */
export const STATS_VERSION = 1;

/** Error categories keep this many example instances; asking for more computes from the rows. */
export const STORED_EXAMPLES = 5;

type Row = Record<string, unknown>;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** A stored group's percentiles by `method` (`p50`… linear, `p50_nearest`… nearest rank). */
export function percentilesOfRow(r: Row, method: PercentileMethod): Percentiles {
  const n = Number(r.n ?? 0);
  if (n === 0) return emptyPercentiles();
  const sfx = method === "nearest" ? "_nearest" : "";
  return {
    count: n,
    min: num(r.min),
    p50: num(r[`p50${sfx}`]),
    p95: num(r[`p95${sfx}`]),
    p99: num(r[`p99${sfx}`]),
    max: num(r.max),
    mean: num(r.mean),
  };
}

function countsOfRow(r: Row): InstanceCounts {
  return withPassRate({
    instances: Number(r.instances),
    pass: Number(r.pass),
    fail: Number(r.fail),
    undecided: Number(r.undecided),
    error: Number(r.error),
  });
}

async function statsRow(x: SqlExecutor, runId: string): Promise<Row | null> {
  const rs = await x.execute({
    sql: "SELECT * FROM run_stats WHERE run_id = ? AND version = ?",
    args: [runId, STATS_VERSION],
  });
  return (rs.rows[0] as unknown as Row | undefined) ?? null;
}

/**
 * Executors known to have the statistics tables: checked once per client, since tables appear only
 * through a migration (a handle that migrates them down again must be reopened).
 */
const knownTables = new WeakMap<SqlExecutor, Set<string>>();

/** True when the database has every one of `names` as a table; a yes is remembered per executor. */
async function hasTables(x: SqlExecutor, names: readonly string[]): Promise<boolean> {
  const known = knownTables.get(x) ?? new Set<string>();
  if (names.every((n) => known.has(n))) return true;
  const rs = await x.execute({
    sql: `SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN (${names.map(() => "?").join(", ")})`,
    args: [...names],
  });
  const found = new Set(rs.rows.map((r) => String(r.name)));
  if (!names.every((n) => found.has(n))) return false;
  for (const n of names) known.add(n);
  knownTables.set(x, known);
  return true;
}

const STATS_TABLES = ["run_stats", "run_stat_groups", "run_error_categories"] as const;

/** True when the database has the statistics tables (a database migrated before runs/0004 has not). */
export function statsTables(x: SqlExecutor): Promise<boolean> {
  return hasTables(x, STATS_TABLES);
}

/** The run's instance counts, as summary.ts counts them; null without stored statistics. */
export async function readStoredCounts(x: SqlExecutor, runId: string): Promise<InstanceCounts | null> {
  if (!(await statsTables(x))) return null;
  const r = await statsRow(x, runId);
  return r ? countsOfRow(r) : null;
}

/** What the gate and an export's summary.json need; null without stored statistics. */
export async function readStoredTotals(
  x: SqlExecutor,
  runId: string,
  method: PercentileMethod,
): Promise<{
  counts: InstanceCounts;
  steps: number;
  assertions: number;
  failed_assertions: number;
  latency: Percentiles;
} | null> {
  if (!(await statsTables(x))) return null;
  const rs = await x.execute({
    sql: `SELECT s.*, g.n AS g_n, g.min AS g_min, g.max AS g_max, g.mean AS g_mean, g.p50 AS g_p50, g.p95 AS g_p95,
                 g.p99 AS g_p99, g.p50_nearest AS g_p50_nearest, g.p95_nearest AS g_p95_nearest, g.p99_nearest AS g_p99_nearest
          FROM run_stats s JOIN run_stat_groups g
            ON g.run_id = s.run_id AND g.dimension = 'run' AND g.measure = 'latency_ms' AND g.ord = 0
          WHERE s.run_id = ? AND s.version = ?`,
    args: [runId, STATS_VERSION],
  });
  const r = rs.rows[0] as unknown as Row | undefined;
  if (!r) return null;
  const g: Row = {};
  for (const [k, v] of Object.entries(r)) if (k.startsWith("g_")) g[k.slice(2)] = v;
  return {
    counts: countsOfRow(r),
    steps: Number(r.steps),
    assertions: Number(r.assertions),
    failed_assertions: Number(r.failed_assertions),
    latency: percentilesOfRow(g, method),
  };
}

/** A summary's parts from the stored statistics (two statements); null without them. */
export async function readStoredSummary(
  x: SqlExecutor,
  runId: string,
  method: PercentileMethod,
): Promise<SummaryParts | null> {
  if (!(await statsTables(x))) return null;
  // One statement: the run's row (columns prefixed s_) on each of its groups, in the summary's order.
  const rs = await x.execute({
    sql: `SELECT s.instances AS s_instances, s.pass AS s_pass, s.fail AS s_fail, s.undecided AS s_undecided,
                 s.error AS s_error, s.steps AS s_steps, s.failed_steps AS s_failed_steps, s.assertions AS s_assertions,
                 s.failed_assertions AS s_failed_assertions, g.*
          FROM run_stats s LEFT JOIN run_stat_groups g ON g.run_id = s.run_id
          WHERE s.run_id = ? AND s.version = ? ORDER BY g.dimension, g.measure, g.ord`,
    args: [runId, STATS_VERSION],
  });
  const rows = rs.rows as unknown as Row[];
  const first = rows[0];
  if (!first) return null;
  const s: Row = {};
  for (const [k, v] of Object.entries(first)) if (k.startsWith("s_")) s[k.slice(2)] = v;
  const of = (dimension: string, measure: string) =>
    rows.filter((r) => r.dimension === dimension && r.measure === measure);
  const one = (dimension: string, measure: string) => {
    const r = of(dimension, measure)[0];
    return r ? percentilesOfRow(r, method) : emptyPercentiles();
  };
  const key = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    counts: countsOfRow(s),
    duration_ms: one("run", "duration_ms"),
    steps: { total: Number(s.steps), failed: Number(s.failed_steps), latency_ms: one("run", "latency_ms") },
    assertions: { total: Number(s.assertions), failed: Number(s.failed_assertions) },
    by_scenario: of("scenario", "duration_ms").map(
      (r): ScenarioSummary => ({
        scenario_id: String(r.key1),
        ...countsOfRow(r),
        duration_ms: percentilesOfRow(r, method),
      }),
    ),
    by_action: of("action", "latency_ms").map((r) => ({
      action_name: String(r.key1),
      steps: Number(r.rows),
      latency_ms: percentilesOfRow(r, method),
    })),
    by_service: of("service", "latency_ms").map((r) => ({
      service: key(r.key1),
      steps: Number(r.rows),
      latency_ms: percentilesOfRow(r, method),
    })),
  };
}

/**
 * The run's error categories with five example instances each (the default); null without stored
 * statistics or for another number of examples (the examples of a category are not a prefix of a
 * longer list: an instance counts once however many of its errors are among the first rows).
 */
export async function readStoredErrorCategories(
  x: SqlExecutor,
  runId: string,
  examples: number,
): Promise<ErrorCategory[] | null> {
  if (examples !== STORED_EXAMPLES || !(await statsTables(x))) return null;
  if (!(await statsRow(x, runId))) return null;
  const rs = await x.execute({
    sql: "SELECT category, count, example_instance_ids FROM run_error_categories WHERE run_id = ?",
    args: [runId],
  });
  return rs.rows
    .map(
      (r): ErrorCategory => ({
        category: String(r.category) as ErrorCategory["category"],
        count: Number(r.count),
        example_instance_ids: JSON.parse(String(r.example_instance_ids)) as string[],
      }),
    )
    .sort((a, b) => b.count - a.count || a.category.localeCompare(b.category));
}

/** True when the database has the report groups' table (migration runs/0006) besides the others. */
export function reportTable(x: SqlExecutor): Promise<boolean> {
  return hasTables(x, [...STATS_TABLES, "run_report_groups"]);
}

function latencyOfRow(r: Row, method: PercentileMethod): LatencyStats {
  const sfx = method === "nearest" ? "_nearest" : "";
  return {
    count: Number(r.count),
    fail_count: Number(r.fail_count),
    mean_latency_ms: Number(r.mean),
    p50_latency_ms: Number(r[`p50${sfx}`]),
    p95_latency_ms: Number(r[`p95${sfx}`]),
    p99_latency_ms: Number(r[`p99${sfx}`]),
  };
}

/**
 * The report's groups (per scenario × action, per service) from the stored statistics, one statement;
 * null when the run has none (no statistics of the current version, or stored before runs/0006:
 * such a run has no report rows and is computed from its rows; so is a run with no groups at all,
 * which costs nothing).
 */
export async function readStoredReportGroups(
  x: SqlExecutor,
  runId: string,
  method: PercentileMethod,
): Promise<{ scenarios: ScenarioActions[]; services: ServiceStats[] } | null> {
  if (!(await reportTable(x))) return null;
  const rs = await x.execute({
    sql: `SELECT g.* FROM run_stats s JOIN run_report_groups g ON g.run_id = s.run_id
          WHERE s.run_id = ? AND s.version = ? ORDER BY g.kind, g.ord`,
    args: [runId, STATS_VERSION],
  });
  const rows = rs.rows as unknown as Row[];
  if (rows.length === 0) return null;
  const scenarios = new Map<string, ScenarioActions>();
  const services: ServiceStats[] = [];
  for (const r of rows) {
    if (r.kind === "scenario") {
      const pass = Number(r.pass_count);
      const fail = Number(r.fail_count);
      scenarios.set(String(r.key1), {
        scenario_id: String(r.key1),
        pass_count: pass,
        fail_count: fail,
        pass_rate: passRatePercent(pass, pass + fail),
        actions: [],
      });
    } else if (r.kind === "scenario_action") {
      // "scenario" sorts before "scenario_action": every scenario row has been read.
      const s = scenarios.get(String(r.key1));
      if (!s) throw new Error(`run statistics: action of an unknown scenario '${String(r.key1)}'`);
      s.actions.push({ action_name: String(r.key2), ...latencyOfRow(r, method) });
    } else services.push({ service: String(r.key1), ...latencyOfRow(r, method) });
  }
  return { scenarios: [...scenarios.values()], services };
}
