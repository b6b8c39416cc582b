/** `runs compare`: run B against baseline A. */
import type { VerdictDb } from "../../open.js";
import { DEFAULT_METHOD, type Source, percentileAt } from "./percentiles.js";
import { delta, requireRun } from "./shared.js";

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
      p50: await percentileAt(h.client, s, n, 50, DEFAULT_METHOD),
      p95: await percentileAt(h.client, s, n, 95, DEFAULT_METHOD),
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
    return percentileAt(h.client, s, n, 95, DEFAULT_METHOD);
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
