import type { BenchmarkRunInput } from "@verdict/schema";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  NotFoundError,
  type VerdictDb,
  averageMetrics,
  deleteBenchmarkRun,
  getBenchmarkRun,
  latestBenchmarkRuns,
  listBenchmarkRuns,
  metricSeries,
  openDatabase,
  recordBenchmarkRun,
} from "@verdict/db";
import { TARGETS, rejection } from "./helpers.js";

const FULL: BenchmarkRunInput = {
  run_id: "full",
  // Stored as given: already in the stored form (UTC, microseconds).
  timestamp: "2026-05-01T12:00:00.000000Z",
  project_name: "todo-app",
  benchmark_name: "crud",
  version: "2.1.0",
  metadata: { model: "m1", tags: ["a", "b"], nested: { x: 1 } },
  performance: {
    total_time_seconds: 1200.5,
    phase_times: { plan: 100, build: 1100.5 },
    token_usage_total: 50_000,
    token_usage_by_agent: { dev: 40_000, review: 10_000 },
    api_calls_count: 33,
    api_calls_cost: 1.25,
  },
  autonomy: {
    manual_interventions_count: 2,
    manual_interventions_types: ["clarify", "env"],
    prompts_needed_initial: 1,
    prompts_needed_followup: 3,
    one_shot_success_rate: 0.75,
    error_recovery_rate: 1,
    agent_handoffs_successful: 9,
    agent_handoffs_failed: 1,
  },
  quality: {
    tests_written: 40,
    tests_passing: 40,
    code_coverage_percentage: 100,
    linting_errors_count: 4,
    linting_errors_by_severity: { warning: 4 },
    type_errors_count: 0,
    security_vulnerabilities_count: 1,
    security_vulnerabilities_by_severity: { low: 1 },
    functional_completeness_percentage: 95.5,
  },
  workflow: {
    stories_created: 6,
    stories_completed: 6,
    avg_cycle_time_seconds: 200,
    phase_distribution: { plan: 0.1, build: 0.9 },
    rework_count: 1,
  },
};

/** A run whose every scalar is derived from `n`, so averages and series are known exactly. */
function run(id: string, ts: string, project: string, benchmark: string, n: number): BenchmarkRunInput {
  return {
    run_id: id,
    timestamp: ts,
    project_name: project,
    benchmark_name: benchmark,
    performance: { total_time_seconds: 100 * n, token_usage_total: 1000 * n },
    autonomy: { one_shot_success_rate: n / 10 },
    quality: { tests_written: 10 * n, tests_passing: 5 * n, code_coverage_percentage: 10 * n },
    workflow: { stories_created: n, stories_completed: n },
  };
}

describe.each(TARGETS)("metrics helpers on %s", (_label, url) => {
  let h: VerdictDb;
  beforeEach(async () => {
    h = await openDatabase({ url: url(), migrate: true, domains: ["metrics"] });
  });
  afterEach(() => h.close());

  it("record then get returns every metric group as recorded", async () => {
    const recorded = await recordBenchmarkRun(h, FULL);
    const got = await getBenchmarkRun(h, "full");
    expect(got).toEqual(recorded);
    const { run_id: _id, ...input } = FULL;
    expect(got).toMatchObject(input);
    expect(got.created_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await rejection(getBenchmarkRun(h, "nope"))).toBeInstanceOf(NotFoundError);
  });

  it("defaults every metric group when only the run is given", async () => {
    const r = await recordBenchmarkRun(h, {
      timestamp: "2026-05-01T00:00:00.000Z",
      project_name: "p",
      benchmark_name: "b",
    });
    expect(r.run_id).toMatch(/^bench_/);
    expect(r.version).toBe("1.0.0");
    expect(r.performance).toEqual({
      total_time_seconds: 0,
      phase_times: {},
      token_usage_total: 0,
      token_usage_by_agent: {},
      api_calls_count: 0,
      api_calls_cost: 0,
    });
    expect(r.autonomy.manual_interventions_types).toEqual([]);
    expect(r.quality.tests_passing).toBe(0);
    expect(r.workflow.phase_distribution).toEqual({});
  });

  it("a refused run leaves no partial rows", async () => {
    await recordBenchmarkRun(h, FULL);
    const err = await rejection(recordBenchmarkRun(h, { ...FULL, timestamp: "2026-06-01T00:00:00.000Z" }));
    expect(err).toBeInstanceOf(Error);
    for (const t of [
      "benchmark_runs",
      "performance_metrics",
      "autonomy_metrics",
      "quality_metrics",
      "workflow_metrics",
    ]) {
      const rs = await h.client.execute(`SELECT count(*) AS n FROM ${t}`);
      expect(Number(rs.rows[0]?.n), t).toBe(1);
    }
    expect((await getBenchmarkRun(h, "full")).timestamp).toBe(FULL.timestamp);
  });

  describe("with runs of two projects and benchmarks", () => {
    beforeEach(async () => {
      await recordBenchmarkRun(h, run("a1", "2026-01-01T00:00:00.000Z", "alpha", "crud", 1));
      await recordBenchmarkRun(h, run("a2", "2026-01-02T00:00:00.000Z", "alpha", "crud", 2));
      await recordBenchmarkRun(h, run("a3", "2026-01-03T00:00:00.000Z", "alpha", "auth", 3));
      await recordBenchmarkRun(h, run("a4", "2026-01-04T00:00:00.000Z", "alpha", "crud", 4));
      await recordBenchmarkRun(h, run("b1", "2026-01-05T00:00:00.000Z", "beta", "crud", 5));
    });

    it("lists by project, benchmark and date range, newest first, with pagination", async () => {
      const ids = async (input: Parameters<typeof listBenchmarkRuns>[1]) =>
        (await listBenchmarkRuns(h, input)).items.map((r) => r.run_id);
      expect(await ids({})).toEqual(["b1", "a4", "a3", "a2", "a1"]);
      expect(await ids({ project_name: "alpha" })).toEqual(["a4", "a3", "a2", "a1"]);
      expect(await ids({ benchmark_name: "crud" })).toEqual(["b1", "a4", "a2", "a1"]);
      expect(await ids({ project_name: "alpha", benchmark_name: "crud" })).toEqual(["a4", "a2", "a1"]);
      expect(await ids({ since: "2026-01-02T00:00:00.000Z", until: "2026-01-04T00:00:00.000Z" })).toEqual([
        "a4",
        "a3",
        "a2",
      ]);

      const first = await listBenchmarkRuns(h, { limit: 2 });
      expect(first.items.map((r) => r.run_id)).toEqual(["b1", "a4"]);
      expect(first.items[0]?.quality.tests_written).toBe(50);
      expect(first.nextCursor).not.toBeNull();
      const second = await listBenchmarkRuns(h, { limit: 2, cursor: first.nextCursor ?? "" });
      expect(second.items.map((r) => r.run_id)).toEqual(["a3", "a2"]);
      const third = await listBenchmarkRuns(h, { limit: 2, cursor: second.nextCursor ?? "" });
      expect(third.items.map((r) => r.run_id)).toEqual(["a1"]);
      expect(third.nextCursor).toBeNull();
    });

    it("latest N of a scope, averages and a metric series", async () => {
      expect(
        (await latestBenchmarkRuns(h, { project_name: "alpha", benchmark_name: "crud", last: 2 })).map((r) => r.run_id),
      ).toEqual(["a4", "a2"]);
      const avg = await averageMetrics(h, { project_name: "alpha", benchmark_name: "crud", last: 10 });
      expect(avg.runs).toBe(3);
      // n = 1, 2, 4
      expect(avg.averages?.total_time_seconds).toBeCloseTo((100 + 200 + 400) / 3, 9);
      expect(avg.averages?.tests_written).toBeCloseTo(70 / 3, 9);
      expect(avg.averages?.one_shot_success_rate).toBeCloseTo(0.7 / 3, 9);
      expect(avg.averages?.stories_completed).toBeCloseTo(7 / 3, 9);
      expect(avg.averages?.api_calls_cost).toBe(0);
      expect(await averageMetrics(h, { project_name: "nobody" })).toEqual({ runs: 0, averages: null });

      const series = await metricSeries(h, { project_name: "alpha", last: 3, metric: "token_usage_total" });
      expect(series).toEqual([
        { run_id: "a2", timestamp: "2026-01-02T00:00:00.000000Z", value: 2000 },
        { run_id: "a3", timestamp: "2026-01-03T00:00:00.000000Z", value: 3000 },
        { run_id: "a4", timestamp: "2026-01-04T00:00:00.000000Z", value: 4000 },
      ]);
    });

    it("delete removes the run; deleting again is NotFound", async () => {
      expect(await deleteBenchmarkRun(h, "a3")).toEqual({ deleted: true });
      expect(await rejection(getBenchmarkRun(h, "a3"))).toBeInstanceOf(NotFoundError);
      expect(await rejection(deleteBenchmarkRun(h, "a3"))).toBeInstanceOf(NotFoundError);
      expect((await listBenchmarkRuns(h, { project_name: "alpha" })).items.map((r) => r.run_id)).toEqual([
        "a4",
        "a2",
        "a1",
      ]);
    });
  });
});
