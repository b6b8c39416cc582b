import { type VerdictClient, createLocalClient } from "@verdict/api";
import { type VerdictDb, openDatabase } from "@verdict/db";
import type { BenchmarkRunInput } from "@verdict/schema";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const day = (n: number) => new Date(Date.UTC(2026, 0, 1 + n, 9)).toISOString();

function run(
  id: string,
  n: number,
  values: { time?: number; cost?: number; coverage?: number; type_errors?: number },
  dims: { branch?: string; testbed?: string } = {},
): BenchmarkRunInput {
  return {
    run_id: id,
    timestamp: day(n),
    project_name: "todo-app",
    benchmark_name: "full-stack",
    ...dims,
    performance: { total_time_seconds: values.time ?? 100, api_calls_cost: values.cost ?? 1 },
    quality: { code_coverage_percentage: values.coverage ?? 80, type_errors_count: values.type_errors ?? 0 },
  };
}

/** Ten baseline runs of small noise around 100 s (mean 100, sample sd ≈ 1.29). */
const NOISE = [100, 102, 98, 101, 99, 100.5, 99.5, 101.5, 98.5, 100];
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1));

describe("metrics.check", () => {
  let db: VerdictDb;
  let api: VerdictClient;
  beforeEach(async () => {
    db = await openDatabase({ url: ":memory:", migrate: true, domains: ["metrics"] });
    api = createLocalClient(db);
    await api.metrics.import.mutate({ runs: NOISE.map((t, i) => run(`base-${i}`, i, { time: t })) });
  });
  afterEach(() => db.close());

  it("a 3-sigma jump is flagged by the z-score, noise is not; the regression is stored and listed", async () => {
    const s = sd(NOISE);
    await api.metrics.import.mutate({
      runs: [run("jump", 20, { time: mean(NOISE) + 3.5 * s }), run("noise", 21, { time: mean(NOISE) + 0.8 * s })],
    });
    const rules = [{ metric: "total_time_seconds" as const, test: "zscore" as const }];
    const jump = await api.metrics.check.mutate({ run_id: "jump", window: 10, rules });
    expect(jump.baseline_run_ids).toHaveLength(10);
    expect(jump.regressions).toBe(1);
    const [r] = jump.results;
    expect(r?.status).toBe("regression");
    expect(r?.statistic).toBeCloseTo(3.5, 9);
    expect(r?.baseline.mean).toBeCloseTo(mean(NOISE), 9);
    expect(r?.baseline.stddev).toBeCloseTo(s, 9);

    // The noise run's baseline is the 10 runs before it: 9 of the noise and the jump, so it is not flagged.
    const quiet = await api.metrics.check.mutate({
      run_id: "noise",
      window: 10,
      rules: [{ metric: "total_time_seconds", test: "zscore" }],
    });
    expect(quiet.results[0]?.status).toBe("ok");
    expect(quiet.regressions).toBe(0);

    const alerts = await api.metrics.alerts.query({});
    expect(alerts.items.map((a) => [a.run_id, a.metric, a.test])).toEqual([["jump", "total_time_seconds", "zscore"]]);
    // Checking again replaces the run's alerts instead of adding duplicates.
    await api.metrics.check.mutate({ run_id: "jump", window: 10, rules });
    expect((await api.metrics.alerts.query({ run_id: "jump" })).items).toHaveLength(1);
  });

  it("a falling higher-is-better metric is a regression, a rising one is not", async () => {
    await api.metrics.import.mutate({ runs: [run("drop", 20, { coverage: 60 }), run("rise", 21, { coverage: 99 })] });
    const rules = [{ metric: "code_coverage_percentage" as const, test: "percent" as const, max_percent: 5 }];
    const drop = await api.metrics.check.mutate({ run_id: "drop", rules, store: false });
    expect(drop.results[0]).toMatchObject({ direction: "higher", status: "regression", statistic: 25 });
    const rise = await api.metrics.check.mutate({ run_id: "rise", rules, store: false });
    expect(rise.results[0]?.status).toBe("ok");
    expect((await api.metrics.alerts.query({})).items).toHaveLength(0);
  });

  it("Student's t for one new run against the baseline has the p-value of the closed-form t CDF", async () => {
    // Baseline 10, 12, 11, 13, 9: mean 11, s² = 2.5, n = 5; new value 15:
    // t = (15 − 11) / (s·√(1 + 1/5)) = 4/√3, df = 4. For 4 degrees of freedom the t CDF has the closed form
    // F(t) = 1/2 + (3/4)·u − (1/4)·u³ with u = t/√(4 + t²); the one-sided p is 1 − F(t) ≈ 0.0410.
    const db2 = await openDatabase({ url: ":memory:", migrate: true, domains: ["metrics"] });
    try {
      const api2 = createLocalClient(db2);
      const costs = [10, 12, 11, 13, 9];
      await api2.metrics.import.mutate({
        runs: [...costs.map((c, i) => run(`c-${i}`, i, { cost: c })), run("new", 9, { cost: 15 })],
      });
      const t = 4 / Math.sqrt(3);
      const u = t / Math.sqrt(4 + t * t);
      const p = 1 - (0.5 + 0.75 * u - 0.25 * u ** 3);
      const report = await api2.metrics.check.mutate({
        run_id: "new",
        rules: [{ metric: "api_calls_cost", test: "ttest", alpha: 0.05 }],
      });
      const [r] = report.results;
      expect(r?.statistic).toBeCloseTo(t, 12);
      expect(r?.p_value).toBeCloseTo(p, 10);
      expect(p).toBeGreaterThan(0.04);
      expect(p).toBeLessThan(0.042);
      expect(r?.status).toBe("regression");
      const strict = await api2.metrics.check.mutate({
        run_id: "new",
        rules: [{ metric: "api_calls_cost", test: "ttest", alpha: 0.01 }],
      });
      expect(strict.results[0]?.status).toBe("ok");
      expect((await api2.metrics.alerts.query({ run_id: "new" })).items).toHaveLength(0);
    } finally {
      db2.close();
    }
  });

  it("static bounds, a zero baseline and a too-short baseline are explicit", async () => {
    await api.metrics.import.mutate({ runs: [run("typed", 20, { type_errors: 2 })] });
    const report = await api.metrics.check.mutate({
      run_id: "typed",
      rules: [
        { metric: "type_errors_count", test: "percent", max_percent: 10 },
        { metric: "type_errors_count", test: "static", max: 1 },
        { metric: "total_time_seconds", test: "zscore", min_runs: 50 },
      ],
      store: false,
    });
    expect(report.results.map((r) => [r.test, r.status, r.statistic])).toEqual([
      ["percent", "regression", null],
      ["static", "regression", 2],
      ["zscore", "insufficient_baseline", null],
    ]);
    expect(report.results[0]?.reason).toContain("baseline mean is 0");
  });

  it("the baseline is the run's own branch and testbed", async () => {
    await api.metrics.import.mutate({
      runs: [
        run("main-1", 30, { time: 100 }, { branch: "main", testbed: "ci" }),
        run("main-2", 31, { time: 102 }, { branch: "main", testbed: "ci" }),
        run("feat-1", 32, { time: 500 }, { branch: "feat", testbed: "ci" }),
        run("main-3", 33, { time: 101 }, { branch: "main", testbed: "ci" }),
      ],
    });
    const report = await api.metrics.check.mutate({
      run_id: "main-3",
      rules: [{ metric: "total_time_seconds", test: "zscore" }],
    });
    expect(report.branch).toBe("main");
    expect(report.baseline_run_ids).toEqual(["main-2", "main-1"]);
    expect(report.results[0]?.status).toBe("ok");
  });

  it("refuses rules that cannot be judged", async () => {
    await expect(
      api.metrics.check.mutate({ run_id: "base-1", rules: [{ metric: "total_time_seconds", test: "static" }] }),
    ).rejects.toThrow(/static test needs min or max/);
    await expect(
      api.metrics.check.mutate({ run_id: "nope", rules: [{ metric: "total_time_seconds", test: "zscore" }] }),
    ).rejects.toThrow(/not found/);
  });
});

describe("metrics.compare and metrics.trend", () => {
  let db: VerdictDb;
  let api: VerdictClient;
  beforeEach(async () => {
    db = await openDatabase({ url: ":memory:", migrate: true, domains: ["metrics"] });
    api = createLocalClient(db);
  });
  afterEach(() => db.close());

  it("compare reports direction and significance separately, and a zero baseline explicitly", async () => {
    await api.metrics.import.mutate({
      runs: [run("a", 1, { time: 100, type_errors: 0 }), run("b", 2, { time: 102, type_errors: 2 })],
    });
    const r = await api.metrics.compare.query({ run_a: "a", run_b: "b", threshold_percent: 5 });
    const by = new Map(r.metrics.map((m) => [m.metric, m]));
    // 2 % slower: a regression in direction, not a significant one.
    expect(by.get("total_time_seconds")).toMatchObject({
      direction: "regressed",
      significant: false,
      verdict: "unchanged",
      zero_baseline: false,
    });
    expect(by.get("total_time_seconds")?.pct_delta).toBeCloseTo(2, 9);
    // From 0 to 2 type errors: no percent exists; the change is significant and a regression.
    expect(by.get("type_errors_count")).toMatchObject({
      pct_delta: null,
      zero_baseline: true,
      direction: "regressed",
      significant: true,
    });
    expect(by.get("tests_written")).toMatchObject({ zero_baseline: true, direction: "unchanged", significant: false });
    expect(r.summary.significant_regressions).toBe(1);
  });

  it("trend: no verdict from fewer than 2 runs; r² of the fitted line", async () => {
    await api.metrics.import.mutate({ runs: [run("t0", 1, { time: 100 })] });
    const one = await api.metrics.trend.query({ metric: "total_time_seconds" });
    expect(one.verdict).toBe("insufficient_data");
    expect(one.stats?.r_squared).toBeNull();
    await api.metrics.import.mutate({ runs: [run("t1", 2, { time: 90 }), run("t2", 3, { time: 80 })] });
    const line = await api.metrics.trend.query({ metric: "total_time_seconds" });
    expect(line.verdict).toBe("improving");
    expect(line.stats?.r_squared).toBeCloseTo(1, 12);
    await api.metrics.import.mutate({ runs: [run("t3", 4, { time: 95 })] });
    // Points (0,100) (1,90) (2,80) (3,95): Sxy = −12.5, Sxx = 5, Syy = 218.75, so r² = 12.5² / (5 · 218.75) = 1/7.
    const noisy = await api.metrics.trend.query({ metric: "total_time_seconds" });
    expect(noisy.stats?.r_squared).toBeCloseTo(12.5 ** 2 / (5 * 218.75), 12);
  });
});
