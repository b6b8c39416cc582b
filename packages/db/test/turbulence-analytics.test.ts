/**
 * Run analytics on imported runs built for the purpose: summary percentiles (checked against a
 * plain nearest-rank computation over the source files), failure patterns, compare, flaky, gate.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  NotFoundError,
  type VerdictDb,
  compareRuns,
  countInstancesByStatus,
  evaluateGate,
  flakyScenarios,
  importRunFolder,
  mannWhitneyU,
  nearestRank,
  normalizeMessage,
  openDatabase,
  runFailures,
  runSummary,
  twoProportionZ,
} from "@verdict/db";
import { readGateRule } from "@verdict/schema";
import { type InstancePlan, type RunFolderSpec, currentRun, writeRunFolder } from "./turbulence-fixtures.js";

let root: string;
let h: VerdictDb;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "verdict-turb-an-"));
  h = await openDatabase({ url: `file:${join(root, "verdict.db")}`, domains: ["runs"], migrate: true });
});
afterAll(() => {
  h.close();
  rmSync(root, { recursive: true, force: true });
});

async function load(spec: RunFolderSpec, name = String(spec.manifest.run_id)) {
  return importRunFolder(h, writeRunFolder(join(root, "runs", name), spec));
}

/** Reference: nearest-rank percentile of a plain array. */
function refNearest(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[nearestRank(p, s.length) - 1] ?? null;
}

/** Reference: turbulence's utils/stats.py calculate_percentile (linear between the two closest ranks). */
function refLinear(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const k = (s.length - 1) * (p / 100);
  const f = Math.floor(k);
  const c = Math.ceil(k);
  if (f === c) return s[k] ?? null;
  const d0 = s[f] as number;
  const d1 = s[c] as number;
  return d0 + (d1 - d0) * (k - f);
}

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("run summary", () => {
  it.each([
    ["linear", refLinear],
    ["nearest", refNearest],
  ] as const)("matches a plain %s computation over the source, overall and per group", async (method, ref) => {
    const rand = rng(7);
    const plans: InstancePlan[] = Array.from({ length: 700 }, (_, i) => ({
      scenario: ["checkout", "browse", "login"][i % 3] ?? "x",
      passed: i % 17 === 0 ? null : i % 11 !== 0,
      // long tail + ties (rounded) + varying step counts
      latencies: Array.from({ length: 1 + (i % 4) }, () => Math.round(Math.exp(rand() * 6) * 4) / 4),
      durationMs: i % 50 === 0 ? undefined : Math.round(rand() * 5000),
    }));
    const runId = `sum-${method}`;
    const spec = currentRun(runId, plans);
    // a few steps without a latency, and a step without a service
    const st = spec.steps as { observation: Record<string, unknown>; step_name: string }[];
    for (let i = 0; i < st.length; i += 97)
      (st[i] as { observation: Record<string, unknown> }).observation.latency_ms = null;
    delete (st[5] as { observation: Record<string, unknown> }).observation.service;
    await load(spec);

    const s = await runSummary(h, runId, { stepLatencyByScenario: true, percentiles: method });
    const inst = spec.instances as {
      scenario_id: string;
      passed: boolean | null;
      duration_ms: number;
      error: string | null;
    }[];
    const pass = inst.filter((i) => i.passed === true).length;
    // turbulence's summary: `passed: null` is neither a pass nor a failure
    const fail = inst.filter((i) => i.passed === false).length;
    const undecided = inst.filter((i) => i.passed === null).length;
    expect(undecided).toBeGreaterThan(0);
    expect(s.instances).toMatchObject({
      instances: 700,
      pass,
      fail,
      undecided,
      error: inst.filter((i) => i.passed === null).length,
      pass_rate: (100 * pass) / 700,
    });
    const lat = (filter: (x: (typeof st)[number]) => boolean) =>
      st
        .filter(filter)
        .flatMap((x) => (typeof x.observation.latency_ms === "number" ? [x.observation.latency_ms] : []));
    const check = (
      got: {
        count: number;
        p50: number | null;
        p95: number | null;
        p99: number | null;
        max: number | null;
        min: number | null;
      },
      values: number[],
    ) => {
      expect(got.count).toBe(values.length);
      expect(got.min).toBe(ref(values, 0));
      expect(got.p50).toBe(ref(values, 50));
      expect(got.p95).toBe(ref(values, 95));
      expect(got.p99).toBe(ref(values, 99));
      expect(got.max).toBe(ref(values, 100));
    };
    const all = lat(() => true);
    check(s.steps.latency_ms, all);
    // step-latency means are not computed (they would need every value read); durations have one
    expect(s.steps.latency_ms.mean).toBeNull();
    const durations = inst.flatMap((i) => (typeof i.duration_ms === "number" ? [i.duration_ms] : []));
    expect(s.instances.duration_ms.mean).toBeCloseTo(durations.reduce((a, b) => a + b, 0) / durations.length, 9);
    expect(s.steps.total).toBe(st.length);
    expect(s.steps.failed).toBe(st.filter((x) => x.observation.ok === false).length);

    expect(s.by_action.map((a) => a.action_name)).toEqual(["create_order", "step_1", "step_2", "step_3"]);
    for (const a of s.by_action) {
      expect(a.steps).toBe(st.filter((x) => x.step_name === a.action_name).length);
      check(
        a.latency_ms,
        lat((x) => x.step_name === a.action_name),
      );
    }
    expect(s.by_service.map((a) => a.service)).toEqual([null, "orders", "payments"]);
    for (const g of s.by_service)
      check(
        g.latency_ms,
        lat((x) => (x.observation.service ?? null) === g.service),
      );

    const byScenarioOf = new Map(inst.map((i, k) => [`inst-${String(k).padStart(4, "0")}`, i.scenario_id]));
    for (const sc of s.by_scenario) {
      const mine = inst.filter((i) => i.scenario_id === sc.scenario_id);
      const p = mine.filter((i) => i.passed === true).length;
      const f = mine.filter((i) => i.passed === false).length;
      expect(sc).toMatchObject({ instances: mine.length, pass: p, fail: f, undecided: mine.length - p - f });
      check(
        sc.duration_ms,
        mine.flatMap((i) => (typeof i.duration_ms === "number" ? [i.duration_ms] : [])),
      );
      const steps = st as unknown as { instance_id: string; observation: Record<string, unknown> }[];
      const scenLat = steps
        .filter((x) => byScenarioOf.get(x.instance_id) === sc.scenario_id)
        .flatMap((x) => (typeof x.observation.latency_ms === "number" ? [x.observation.latency_ms] : []));
      expect(sc.step_latency_ms).toBeDefined();
      if (sc.step_latency_ms) check(sc.step_latency_ms, scenLat);
    }
    expect(s.assertions).toEqual({ total: 700, passed: pass, failed: 700 - pass });
    // Walking the service half on a helper thread (second connection) gives the same answer.
    expect(await runSummary(h, runId, { stepLatencyByScenario: true, parallel: true, percentiles: method })).toEqual(s);
    // With another run in the database, totals come from range counts instead of whole-table counts: same answer.
    await load(
      currentRun(`sum-other-${method}`, [{ scenario: "checkout", passed: false, latencies: [1, 2, 3] }], {
        startSec: 9999,
      }),
    );
    expect(await runSummary(h, runId, { stepLatencyByScenario: true, percentiles: method })).toEqual(s);
    expect(await countInstancesByStatus(h, runId)).toEqual({
      instances: 700,
      pass,
      fail,
      undecided,
      error: s.instances.error,
      pass_rate: (100 * pass) / 700,
    });
  });

  it("handles a run without steps or instances, and refuses unknown runs", async () => {
    await load(currentRun("empty-1", []));
    const s = await runSummary(h, "empty-1");
    expect(s.instances).toMatchObject({ instances: 0, pass_rate: null, duration_ms: { count: 0, p50: null } });
    expect(s.steps).toMatchObject({ total: 0, latency_ms: { count: 0, p95: null } });
    expect(s.by_scenario).toEqual([]);
    await expect(runSummary(h, "nope")).rejects.toThrow(NotFoundError);
  });
});

describe("failure patterns", () => {
  it("groups errors that differ only in numbers and ids, most frequent first, with an example", async () => {
    await load(
      currentRun("fail-1", [
        { scenario: "a", passed: null, error: "timeout after 1034ms" },
        { scenario: "b", passed: null, error: "timeout after 987ms" },
        { scenario: "a", passed: null, error: "timeout after 5ms" },
        { scenario: "a", passed: null, error: "order 3f2a9c1e-1111-4222-8333-444455556666 not found" },
        { scenario: "a", passed: true },
        { scenario: "c", passed: false },
      ]),
    );
    const f = await runFailures(h, "fail-1", { top: 10 });
    expect(f.map((x) => [x.kind, x.pattern, x.count])).toEqual([
      ["assertion", "status_is_<n>: expected <n>, got <n>", 5],
      ["error", "timeout after <n>ms", 3],
      ["error", "order <uuid> not found", 1],
      ["step", "step_<n> -> <n>: HTTP <n> from orders", 1],
    ]);
    expect(f[1]).toEqual({
      kind: "error",
      pattern: "timeout after <n>ms",
      count: 3,
      example_instance_id: "inst-0000",
      example: "timeout after 1034ms",
      scenarios: ["a", "b"],
    });
    expect(f[0]).toMatchObject({ example: "status_is_200: expected 200, got 500", scenarios: ["a", "b", "c"] });
    const step = f.find((x) => x.kind === "step");
    expect(step).toMatchObject({
      pattern: "step_<n> -> <n>: HTTP <n> from orders",
      count: 1,
      example_instance_id: "inst-0005",
      scenarios: ["c"],
    });
    expect(f.find((x) => x.pattern.startsWith("order"))).toMatchObject({ pattern: "order <uuid> not found", count: 1 });
    expect(await runFailures(h, "fail-1", { top: 1 })).toHaveLength(1);
    expect(normalizeMessage("id deadbeef01 at 12.5s")).toBe("id <hex> at <n>s");
  });
});

describe("compare", () => {
  it("pairs instances by scenario + variation (paired view: regressions and fixes)", async () => {
    const v = (n: number) => ({ user: `u${n}` });
    await load(
      currentRun("cmp-a", [
        { scenario: "s1", passed: true, variation: v(1), durationMs: 100 },
        { scenario: "s1", passed: true, variation: v(2), durationMs: 200 },
        { scenario: "s1", passed: true, variation: v(3), durationMs: 300 },
        { scenario: "s2", passed: false, variation: v(1), durationMs: 50 },
        { scenario: "s2", passed: true, variation: v(2), durationMs: 60 },
        { scenario: "s3", passed: true, durationMs: 10 },
      ]),
    );
    await load(
      currentRun(
        "cmp-b",
        [
          // written in another order: pairing is by scenario + variation, not by position
          { scenario: "s1", passed: true, variation: v(3), durationMs: 330 },
          { scenario: "s1", passed: null, variation: v(2), error: "boom", durationMs: 900 },
          { scenario: "s1", passed: true, variation: v(1), durationMs: 110 },
          { scenario: "s2", passed: true, variation: v(1), durationMs: 40 },
          { scenario: "s2", passed: true, variation: v(2), durationMs: 45 },
          { scenario: "s2", passed: true, variation: v(9), durationMs: 45 },
        ],
        { startSec: 1000 },
      ),
    );
    const c = await compareRuns(h, "cmp-a", "cmp-b");
    expect(c.paired).toMatchObject({ matched: 5, regressions: 1, fixes: 1, only_in_a: 1, only_in_b: 1 });
    expect(c.paired.regression_examples).toEqual([
      { scenario_id: "s1", variation: v(2), a_instance_id: "inst-0001", b_instance_id: "inst-0001", b_error: "boom" },
    ]);
    expect(c.paired.fix_examples).toEqual([
      { scenario_id: "s2", variation: v(1), a_instance_id: "inst-0003", b_instance_id: "inst-0003", b_error: null },
    ]);
    const s1 = c.scenarios.find((s) => s.key === "s1");
    expect(s1).toMatchObject({
      a: { n: 3, pass_rate: 100, p50_ms: 200, p95_ms: refLinear([100, 200, 300], 95) },
      b: { n: 3, p50_ms: 330, p95_ms: refLinear([110, 330, 900], 95) },
      p50_delta_ms: 130,
    });
    expect(s1?.pass_rate_delta).toBeCloseTo(-100 / 3, 9);
    // three instances a side: nothing is significant, so nothing is flagged
    expect(s1?.verdict).toBe("no significant change");
    expect(c.regressions).toEqual([]);
    expect(c.scenarios.find((s) => s.key === "s3")).toMatchObject({
      verdict: "only in one run",
      b: { n: 0, pass_rate: null },
      pass_rate_delta: null,
    });
  });

  it("flags a regression only when significant: pass rate by a z test, latency by Mann-Whitney U", async () => {
    const s1 = (passes: number, base: number) =>
      Array.from({ length: 40 }, (_, i) => ({
        scenario: "s1",
        passed: i < passes,
        durationMs: base + ((i * 7) % 50),
        // failing instances of B get a second step that fails with HTTP 500 (a new 5xx category)
        latencies: i >= passes && base > 100 ? [10 + (i % 5), 20] : [10 + (i % 5)],
      }));
    const s2 = Array.from({ length: 10 }, (_, i) => ({
      scenario: "s2",
      passed: true,
      durationMs: 50 + i,
      latencies: [5],
    }));
    const s3 = [0, 1, 2].map(() => ({
      scenario: "s3",
      passed: null,
      error: "connection timeout after 30s",
      latencies: [],
    }));
    await load(currentRun("sig-a", [...s1(38, 100), ...s2, ...s3], { sut: "sig" }));
    await load(currentRun("sig-b", [...s1(20, 130), ...s2], { sut: "sig", startSec: 5000 }));

    const c = await compareRuns(h, "previous", "latest", { sut: "sig" });
    expect([c.a, c.b]).toEqual(["sig-a", "sig-b"]);
    const rel = (got: number | undefined, want: number) => expect(Math.abs((got ?? 0) / want - 1)).toBeLessThan(1e-6);
    // Reference values: scipy.stats (norm.sf for the pooled z; mannwhitneyu(b, a, method="asymptotic")).
    const x = c.scenarios.find((s) => s.key === "s1");
    expect(x?.pass_rate_test?.z).toBeCloseTo(-4.507047772525209, 9);
    rel(x?.pass_rate_test?.p_value, 6.573583741144829e-6);
    expect(x?.latency_test?.u).toBe(1471);
    rel(x?.latency_test?.p_value, 1.1013393899858363e-10);
    expect(x?.verdict).toBe("regression");
    expect(x?.reasons).toHaveLength(2);
    expect(c.run.pass_rate_test?.z).toBeCloseTo(-3.6162911502808264, 9);
    rel(c.run.pass_rate_test?.p_value, 0.00029885422703207444);
    expect(c.scenarios.find((s) => s.key === "s2")?.verdict).toBe("no significant change");
    expect(c.scenarios.find((s) => s.key === "s3")?.verdict).toBe("only in one run");
    expect(c.actions.find((s) => s.key === "step_1")?.verdict).toBe("only in one run");
    expect(c.regressions).toEqual([
      expect.stringMatching(/^run: pass rate 90\.6% -> 60\.0% \(p=0\.00030\)$/),
      // B's failing instances add 20 ms steps: the run's step latency shifts up too
      expect.stringMatching(/^run: latency p50 11 ms -> 13 ms, p95 14 ms -> 20 ms \(Mann-Whitney p=0\.0072\)$/),
      expect.stringMatching(/^scenario s1: pass rate 95\.0% -> 50\.0% \(p<0\.0001\)$/),
      expect.stringMatching(/^scenario s1: latency p50 /),
    ]);
    expect(c.improvements).toEqual([]);
    expect(c.errors.map((e) => [e.category, e.change, e.a_count, e.b_count])).toEqual([
      ["5xx Server Error", "new", 0, 20],
      ["Timeout", "vanished", 3, 0],
    ]);
    // a stricter alpha keeps only what is still significant
    const strict = await compareRuns(h, "sig-a", "sig-b", { alpha: 1e-5 });
    expect(strict.regressions.map((r) => r.split(":")[0])).toEqual(["scenario s1", "scenario s1"]);
    await expect(compareRuns(h, "previous", "latest", { sut: "nobody" })).rejects.toThrow(NotFoundError);
  });

  it("Mann-Whitney U with ties matches scipy; a z test with nothing to tell apart says p = 1", () => {
    const r = mannWhitneyU([100, 200, 300, 300, 150, 120], [150, 3000, 300, 400, 500, 220, 310]);
    expect(r?.u).toBe(35.5);
    expect(r?.p_value).toBeCloseTo(0.044022195041670056, 6);
    expect(twoProportionZ(5, 5, 7, 7)).toEqual({ z: 0, p_value: 1 });
    expect(twoProportionZ(0, 0, 1, 2)).toBeNull();
    expect(mannWhitneyU([], [1])).toBeNull();
  });
});

describe("flaky", () => {
  it("finds scenarios that passed and failed over the SUT's last N runs, with flip counts", async () => {
    // outcomes per run, oldest first: X P F P P (2 flips), Y always P, Z F - - P (1 flip): in fl-2 Z's
    // only instance is `passed: null`, neither a pass nor a failure (as `runs summary` counts it), so
    // fl-2 counts as a run where Z did not run; it is absent from fl-3.
    const runs: [string, InstancePlan[]][] = [
      [
        "fl-1",
        [
          { scenario: "X", passed: true },
          { scenario: "Y", passed: true },
          { scenario: "Z", passed: false },
        ],
      ],
      [
        "fl-2",
        [
          { scenario: "X", passed: true },
          { scenario: "X", passed: false },
          { scenario: "Y", passed: true },
          { scenario: "Z", passed: null },
        ],
      ],
      [
        "fl-3",
        [
          { scenario: "X", passed: true },
          { scenario: "Y", passed: true },
        ],
      ],
      [
        "fl-4",
        [
          { scenario: "X", passed: true },
          { scenario: "Y", passed: true },
          { scenario: "Z", passed: true },
        ],
      ],
    ];
    for (const [i, [id, plans]] of runs.entries())
      await load(currentRun(id, plans, { sut: "flaky-sut", startSec: i * 3600 }));
    await load(currentRun("other-sut-run", [{ scenario: "X", passed: false }], { sut: "other", startSec: 99999 }));

    const r = await flakyScenarios(h, "flaky-sut", { last: 10 });
    expect(r.runs.map((x) => x.id)).toEqual(["fl-1", "fl-2", "fl-3", "fl-4"]);
    expect(r.scenarios).toEqual([
      { scenario_id: "X", runs: 4, passed_runs: 3, failed_runs: 1, flips: 2, history: "PFPP", instance_fail_rate: 20 },
      { scenario_id: "Z", runs: 2, passed_runs: 1, failed_runs: 1, flips: 1, history: "FP", instance_fail_rate: 50 },
    ]);
    // Only the last two runs: X passed in both, Z ran once → nothing flaky.
    expect((await flakyScenarios(h, "flaky-sut", { last: 2 })).scenarios).toEqual([]);
    await expect(flakyScenarios(h, "no-such-sut")).rejects.toThrow(NotFoundError);
  });
});

describe("gate", () => {
  it("reads rules with the schema's grammar and refuses unknown metrics or operators with a clear message", () => {
    expect(readGateRule("pass_rate>=99")).toEqual({
      expr: "pass_rate>=99",
      metric: "pass_rate",
      op: ">=",
      threshold: 99,
      compare_to: 99,
    });
    expect(readGateRule(" p95_latency_ms < 1000.5 ")).toMatchObject({
      metric: "p95_latency_ms",
      op: "<",
      threshold: 1000.5,
    });
    expect(readGateRule("pass_rate>=0.99")).toMatchObject({ threshold: 0.99, compare_to: 99 });
    expect(readGateRule("error_count==0")).toMatchObject({ op: "==" });
    expect(readGateRule("speed>3")).toMatch(/^unknown metric 'speed' in 'speed>3'/);
    expect(readGateRule("pass_rate=>99")).toMatch(/^cannot read 'pass_rate=>99'/);
  });

  it("lists each violated rule with the actual value; linear step-latency percentiles", async () => {
    await load(
      currentRun("gate-1", [
        { scenario: "s", passed: true, latencies: [100, 200] },
        { scenario: "s", passed: true, latencies: [300] },
        { scenario: "s", passed: null, error: "x", latencies: [2000] },
      ]),
    );
    const lat = [100, 200, 300, 2000];
    const ok = await evaluateGate(h, "gate-1", ["p50_latency_ms<=250", "fail_count<2", "pass_rate>60"]);
    expect(ok.passed).toBe(true);
    expect(ok.violations).toEqual([]);
    expect(ok.metrics).toEqual({
      pass_rate: (2 / 3) * 100,
      error_count: 1,
      // the instance written `passed: null` is no failure for turbulence's summary (nor for its gate)
      fail_count: 0,
      p50_latency_ms: 250,
      p95_latency_ms: refLinear(lat, 95),
      p99_latency_ms: refLinear(lat, 99),
    });
    const bad = await evaluateGate(h, "gate-1", [
      "pass_rate>=99",
      "p95_latency_ms<1000",
      "error_count==0",
      "p50_latency_ms!=7",
    ]);
    expect(bad.passed).toBe(false);
    expect(bad.violations.map((v) => [v.expr, v.actual, v.message])).toEqual([
      ["pass_rate>=99", (2 / 3) * 100, "pass_rate>=99: pass_rate is 66.67, required >= 99"],
      ["p95_latency_ms<1000", refLinear(lat, 95), "p95_latency_ms<1000: p95_latency_ms is 1745.00, required < 1000"],
      ["error_count==0", 1, "error_count==0: error_count is 1, required == 0"],
    ]);
    const nearest = await evaluateGate(h, "gate-1", ["p50_latency_ms<=200"], { percentiles: "nearest" });
    expect(nearest.metrics.p50_latency_ms).toBe(200);
    expect(nearest.passed).toBe(true);
  });
});
