/**
 * Turbulence's own numbers: each run in fixtures/turbulence-analytics/ was written by turbulence's run
 * command (farmanp/turbulence 65b8fb9). Imported with Verdict's importer, every number its summary.json
 * holds must come out of `runSummary` (what `verdict runs summary --json` prints under `totals`)
 * exactly: counts, pass rate, run duration, step and assertion totals, linearly interpolated p50/p95/p99.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type VerdictDb, importRunFolder, openDatabase, percentileOfSorted, runSummary, runTotals } from "@verdict/db";

const FIXTURES = join(import.meta.dirname, "fixtures", "turbulence-analytics");
const RUNS = readdirSync(FIXTURES).sort();

let root: string;
let h: VerdictDb;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "verdict-turb-num-"));
  h = await openDatabase({ url: `file:${join(root, "verdict.db")}`, domains: ["runs"], migrate: true });
  for (const run of RUNS) {
    // Import from a copy: the fixtures stay as turbulence wrote them.
    cpSync(join(FIXTURES, run), join(root, run), { recursive: true });
    await importRunFolder(h, join(root, run));
  }
});
afterAll(() => {
  h.close();
  rmSync(root, { recursive: true, force: true });
});

const summaryOf = (run: string) =>
  JSON.parse(readFileSync(join(FIXTURES, run, "summary.json"), "utf8")) as Record<string, unknown>;

describe("turbulence's summary.json numbers", () => {
  it("covers the three real runs", () => {
    expect(RUNS).toEqual(["run_real_001", "run_real_bigint", "run_wt_v1"]);
  });

  for (const run of RUNS) {
    it(`${run}: every number of summary.json equals the summary's totals`, async () => {
      const expected = summaryOf(run);
      const s = await runSummary(h, run);
      expect(s.percentiles).toBe("linear");
      // the light path (gate, export) gives the same totals
      const { latency_count, ...light } = await runTotals(h, run);
      expect(light).toEqual(s.totals);
      expect(latency_count).toBe(s.steps.latency_ms.count);
      const numbers = Object.entries(expected).filter(([, v]) => typeof v === "number");
      // every run has the counts and duration; the older writer (run_wt_v1) has no percentiles
      expect(numbers.length).toBeGreaterThanOrEqual(10);
      for (const [key, value] of numbers) expect([key, s.totals[key as keyof typeof s.totals]]).toEqual([key, value]);
      // the same counts in Verdict's own shape
      expect(s.instances).toMatchObject({
        instances: expected.total_instances,
        pass: expected.pass_count,
        fail: expected.fail_count,
        error: expected.error_count,
      });
      expect(s.steps.total).toBe(expected.total_steps);
      expect(s.assertions).toEqual({
        total: expected.total_assertions,
        passed: expected.assertions_passed,
        failed: expected.assertions_failed,
      });
    });
  }

  it("run_wt_v1 (no percentiles in its summary): turbulence's formula over its steps.jsonl", async () => {
    const lat = readFileSync(join(FIXTURES, "run_wt_v1", "steps.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { observation: { latency_ms?: unknown } }).observation.latency_ms)
      .filter((v): v is number => typeof v === "number")
      .sort((a, b) => a - b);
    const s = await runSummary(h, "run_wt_v1");
    // Values printed by turbulence's utils/stats.calculate_percentile over the same file.
    expect([s.totals.p50_latency_ms, s.totals.p95_latency_ms, s.totals.p99_latency_ms]).toEqual([
      45.69158700007847, 303.6643315999754, 326.23664035997535,
    ]);
    expect(s.totals.p95_latency_ms).toBe(percentileOfSorted(lat, 95, "linear"));
  });

  it("nearest rank on request: p95 of run_wt_v1 is the 226th of 237 values", async () => {
    const s = await runSummary(h, "run_wt_v1", { percentiles: "nearest" });
    expect(s.percentiles).toBe("nearest");
    const linear = await runSummary(h, "run_wt_v1");
    expect(s.totals.p95_latency_ms).not.toBe(linear.totals.p95_latency_ms);
    expect(s.totals.p95_latency_ms).toBe(303.81054999998014);
    // counts do not depend on the method
    expect({ ...s.totals, p50_latency_ms: 0, p95_latency_ms: 0, p99_latency_ms: 0 }).toEqual({
      ...linear.totals,
      p50_latency_ms: 0,
      p95_latency_ms: 0,
      p99_latency_ms: 0,
    });
  });
});
