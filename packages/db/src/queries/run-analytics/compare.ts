/**
 * `runs compare A B`: run B against baseline A, per scenario and per action, with significance tests.
 *
 * - Pass rate: per scenario (instances that passed), per action (steps whose observation was ok) and
 *   for the run; a two-proportion z test says whether the change is more than chance.
 * - Latency: per scenario the instances' duration_ms, per action and for the run the steps'
 *   latency_ms; p50/p95/p99 (linear) of each side and a Mann-Whitney U test (rank based: suited to
 *   skewed latencies; stats.ts).
 * - Error categories (turbulence's, report.ts) that are new in B or vanished from it.
 * A regression is flagged only when significant (p < alpha, default 0.05): a lower pass rate or a
 * latency shifted upwards; an improvement likewise. Each test stands alone (no correction for the
 * number of scenarios and actions compared): read a flag among many groups with that in mind.
 *
 * `paired` keeps the instance-level view: instances are the same test case in both runs when they have
 * the same scenario and variation (the k-th of each pairs with the k-th); with random variations
 * little pairs up, which the tests above do not need.
 */
import type { VerdictDb } from "../../open.js";
import { NotFoundError } from "../../errors.js";
import { percentileOfSorted } from "./percentiles.js";
import { errorCategories } from "./report.js";
import { delta, requireRun } from "./shared.js";
import { type ProportionTest, type RankTest, mannWhitneyU, twoProportionZ } from "./stats.js";

export interface CompareSide {
  /** Instances (scenario, run) or steps (action). */
  n: number;
  passed: number;
  /** 0–100; null when n is 0. */
  pass_rate: number | null;
  /** Latency values (duration_ms for scenarios, latency_ms for actions and the run's steps). */
  latency_n: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
}

export type ChangeVerdict = "regression" | "improvement" | "no significant change" | "only in one run";

export interface GroupChange {
  key: string;
  a: CompareSide;
  b: CompareSide;
  /** Percentage points, B minus A. */
  pass_rate_delta: number | null;
  pass_rate_test: ProportionTest | null;
  p50_delta_ms: number | null;
  p95_delta_ms: number | null;
  p99_delta_ms: number | null;
  latency_test: RankTest | null;
  verdict: ChangeVerdict;
  /** Why: the significant changes, worded. */
  reasons: string[];
}

export interface ErrorCategoryChange {
  category: string;
  a_count: number;
  b_count: number;
  change: "new" | "vanished" | "in both";
  /** Example instances of B (new, in both) or of A (vanished). */
  example_instance_ids: string[];
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
  alpha: number;
  run: GroupChange;
  scenarios: GroupChange[];
  actions: GroupChange[];
  errors: ErrorCategoryChange[];
  /** Significant regressions, e.g. `scenario checkout: pass rate 90.0% -> 60.0% (p=0.0004)`. */
  regressions: string[];
  improvements: string[];
  paired: {
    matching: string;
    matched: number;
    only_in_a: number;
    only_in_b: number;
    /** Matched instances that passed in A and failed in B. */
    regressions: number;
    /** Matched instances that failed in A and passed in B. */
    fixes: number;
    regression_examples: InstancePair[];
    fix_examples: InstancePair[];
  };
}

export interface CompareOptions {
  /** Significance level of the tests; default 0.05. */
  alpha?: number;
  /** Examples of paired regressions/fixes; default 20. */
  examples?: number;
  /** Resolve `latest`/`previous` among this SUT's runs only. */
  sut?: string;
}

const MATCHING =
  "instances pair up by (scenario_id, variation, k): the k-th instance of a scenario with that variation (in file order) in A pairs with the k-th in B";

interface Group {
  n: number;
  passed: number;
  latencies: number[];
}

const newGroup = (): Group => ({ n: 0, passed: 0, latencies: [] });

function side(g: Group | undefined): CompareSide {
  const s = g ? [...g.latencies].sort((x, y) => x - y) : [];
  const n = g?.n ?? 0;
  return {
    n,
    passed: g?.passed ?? 0,
    pass_rate: n ? ((g?.passed ?? 0) / n) * 100 : null,
    latency_n: s.length,
    p50_ms: percentileOfSorted(s, 50, "linear"),
    p95_ms: percentileOfSorted(s, 95, "linear"),
    p99_ms: percentileOfSorted(s, 99, "linear"),
  };
}

const fmtP = (p: number) => (p < 0.0001 ? "p<0.0001" : `p=${p.toPrecision(2)}`);
const fmtMs = (v: number | null) => (v === null ? "-" : `${Math.round(v * 100) / 100} ms`);

function change(key: string, ga: Group | undefined, gb: Group | undefined, alpha: number, what: string): GroupChange {
  const a = side(ga);
  const b = side(gb);
  const pt = twoProportionZ(a.passed, a.n, b.passed, b.n);
  const lt = mannWhitneyU(ga?.latencies ?? [], gb?.latencies ?? []);
  const worse: string[] = [];
  const better: string[] = [];
  if (pt && pt.p_value < alpha && pt.z !== 0) {
    const line = `${what} ${a.pass_rate?.toFixed(1)}% -> ${b.pass_rate?.toFixed(1)}% (${fmtP(pt.p_value)})`;
    (pt.z < 0 ? worse : better).push(line);
  }
  if (lt && lt.p_value < alpha && lt.z !== 0) {
    const line = `latency p50 ${fmtMs(a.p50_ms)} -> ${fmtMs(b.p50_ms)}, p95 ${fmtMs(a.p95_ms)} -> ${fmtMs(b.p95_ms)} (Mann-Whitney ${fmtP(lt.p_value)})`;
    (lt.z > 0 ? worse : better).push(line);
  }
  const verdict: ChangeVerdict =
    a.n === 0 || b.n === 0
      ? "only in one run"
      : worse.length
        ? "regression"
        : better.length
          ? "improvement"
          : "no significant change";
  return {
    key,
    a,
    b,
    pass_rate_delta: delta(a.pass_rate, b.pass_rate),
    pass_rate_test: pt,
    p50_delta_ms: delta(a.p50_ms, b.p50_ms),
    p95_delta_ms: delta(a.p95_ms, b.p95_ms),
    p99_delta_ms: delta(a.p99_ms, b.p99_ms),
    latency_test: lt,
    verdict,
    reasons: verdict === "regression" ? worse : verdict === "improvement" ? better : [],
  };
}

/** Instances per scenario (passed, duration) and steps per action (ok, latency) of one run, in memory. */
async function groupsOf(h: VerdictDb, runId: string) {
  const scenarios = new Map<string, Group>();
  const run = newGroup();
  const inst = await h.client.execute({
    // Placeholders (source '', stand-ins for orphan steps' instances) are no instances.
    sql: "SELECT scenario_id, status, duration_ms FROM instances WHERE run_id = ? AND source IS NOT ''",
    args: [runId],
  });
  for (const r of inst.rows) {
    const id = String(r.scenario_id);
    const g = scenarios.get(id) ?? newGroup();
    const ok = r.status === "pass";
    g.n++;
    run.n++;
    if (ok) {
      g.passed++;
      run.passed++;
    }
    if (r.duration_ms !== null) g.latencies.push(Number(r.duration_ms));
    scenarios.set(id, g);
  }
  const actions = new Map<string, Group>();
  const st = await h.client.execute({
    sql: "SELECT action_name, ok, latency_ms FROM steps WHERE run_id = ?",
    args: [runId],
  });
  for (const r of st.rows) {
    const id = String(r.action_name);
    const g = actions.get(id) ?? newGroup();
    g.n++;
    if (Number(r.ok) === 1) g.passed++;
    if (r.latency_ms !== null) {
      g.latencies.push(Number(r.latency_ms));
      run.latencies.push(Number(r.latency_ms));
    }
    actions.set(id, g);
  }
  return { scenarios, actions, run };
}

function byKey(a: Map<string, Group>, b: Map<string, Group>, alpha: number, what: string): GroupChange[] {
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys.map((k) => change(k, a.get(k), b.get(k), alpha, what));
}

/**
 * `latest` and `previous` name the newest and second-newest run (by started_at, then id), of one SUT
 * when `sut` is given; a run whose id is literally `latest` or `previous` wins over the alias.
 */
export async function resolveRunRef(h: VerdictDb, ref: string, sut?: string): Promise<string> {
  if (ref !== "latest" && ref !== "previous") return ref;
  const exists = await h.client.execute({ sql: "SELECT 1 FROM runs WHERE id = ?", args: [ref] });
  if (exists.rows.length) return ref;
  const rs = await h.client.execute({
    // complete runs only: a run being imported (or a crashed import's leftover) is no run yet
    sql: `SELECT id FROM runs WHERE state = 'complete' ${sut ? "AND sut_name = ?" : ""} ORDER BY started_at DESC, id DESC LIMIT 1 OFFSET ?`,
    args: sut ? [sut, ref === "latest" ? 0 : 1] : [ref === "latest" ? 0 : 1],
  });
  const id = rs.rows[0]?.id;
  if (id === undefined || id === null) throw new NotFoundError("run", sut ? `${ref} (of SUT ${sut})` : ref);
  return String(id);
}

export async function compareRuns(
  h: VerdictDb,
  refA: string,
  refB: string,
  opts: CompareOptions = {},
): Promise<RunComparison> {
  const a = await resolveRunRef(h, refA, opts.sut);
  const b = await resolveRunRef(h, refB, opts.sut);
  await requireRun(h, a);
  await requireRun(h, b);
  const alpha = opts.alpha ?? 0.05;
  const ga = await groupsOf(h, a);
  const gb = await groupsOf(h, b);
  const scenarios = byKey(ga.scenarios, gb.scenarios, alpha, "pass rate");
  const actions = byKey(ga.actions, gb.actions, alpha, "ok steps");
  const run = change("run", ga.run, gb.run, alpha, "pass rate");

  const ea = await errorCategories(h, a);
  const eb = await errorCategories(h, b);
  const cats = [...new Set([...ea.map((e) => e.category), ...eb.map((e) => e.category)])];
  const errors = cats
    .map((category): ErrorCategoryChange => {
      const x = ea.find((e) => e.category === category);
      const y = eb.find((e) => e.category === category);
      return {
        category,
        a_count: x?.count ?? 0,
        b_count: y?.count ?? 0,
        change: x && y ? "in both" : y ? "new" : "vanished",
        example_instance_ids: (y ?? x)?.example_instance_ids ?? [],
      };
    })
    .sort((x, y) => x.change.localeCompare(y.change) || y.b_count - x.b_count || x.category.localeCompare(y.category));

  const regressions: string[] = [];
  const improvements: string[] = [];
  const collect = (level: string, c: GroupChange) => {
    if (c.verdict === "regression") for (const r of c.reasons) regressions.push(`${level}: ${r}`);
    if (c.verdict === "improvement") for (const r of c.reasons) improvements.push(`${level}: ${r}`);
  };
  collect("run", run);
  for (const c of scenarios) collect(`scenario ${c.key}`, c);
  for (const c of actions) collect(`action ${c.key}`, c);

  return {
    a,
    b,
    alpha,
    run,
    scenarios,
    actions,
    errors,
    regressions,
    improvements,
    paired: await pairedView(h, a, b, opts.examples ?? 20),
  };
}

async function pairedView(h: VerdictDb, a: string, b: string, examples: number): Promise<RunComparison["paired"]> {
  const cte = `WITH ra AS (
      SELECT id, scenario_id, coalesce(variations, '') AS v, status, error,
             row_number() OVER (PARTITION BY scenario_id, coalesce(variations, '') ORDER BY rowid) AS k
      FROM instances WHERE run_id = ?1 AND source IS NOT ''),
    rb AS (
      SELECT id, scenario_id, coalesce(variations, '') AS v, status, error,
             row_number() OVER (PARTITION BY scenario_id, coalesce(variations, '') ORDER BY rowid) AS k
      FROM instances WHERE run_id = ?2 AND source IS NOT ''),
    pairs AS (
      SELECT coalesce(ra.scenario_id, rb.scenario_id) AS scenario_id, coalesce(ra.v, rb.v) AS v,
             ra.id AS a_id, ra.status AS a_status, rb.id AS b_id, rb.status AS b_status, rb.error AS b_error
      FROM ra FULL OUTER JOIN rb ON ra.scenario_id = rb.scenario_id AND ra.v = rb.v AND ra.k = rb.k)`;
  const agg = await h.client.execute({
    sql: `${cte}
      SELECT sum(a_id IS NOT NULL AND b_id IS NOT NULL) AS matched,
             sum(a_status = 'pass' AND b_status = 'fail') AS regressions,
             sum(a_status = 'fail' AND b_status = 'pass') AS fixes,
             sum(b_id IS NULL) AS only_a, sum(a_id IS NULL) AS only_b
      FROM pairs`,
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
  const r = agg.rows[0];
  return {
    matching: MATCHING,
    matched: Number(r?.matched ?? 0),
    only_in_a: Number(r?.only_a ?? 0),
    only_in_b: Number(r?.only_b ?? 0),
    regressions: Number(r?.regressions ?? 0),
    fixes: Number(r?.fixes ?? 0),
    regression_examples: await pairList("pass", "fail"),
    fix_examples: await pairList("fail", "pass"),
  };
}
