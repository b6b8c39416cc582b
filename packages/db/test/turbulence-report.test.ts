/**
 * The report's questions on runs turbulence wrote, against what turbulence's own report code
 * computes on the same folders (fixtures/turbulence-report/, see its README): per scenario × action,
 * per service, failures by service, error categories, failing assertions. Counts and percentiles are
 * equal; means are sums in another order, so equal to 12 significant digits.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type VerdictDb, categorizeError, importRunFolder, openDatabase, runReport } from "@verdict/db";

const FIXTURES = join(import.meta.dirname, "fixtures");
const RUNS = ["run_real_001", "run_real_bigint", "run_wt_v1"];

interface Expected {
  total: number;
  pass: number;
  fail: number;
  scenarios: Record<string, { pass: number; fail: number; actions: Record<string, number[]> }>;
  services: [string, number, number, number, number, number][];
  failures_by_service: [string, number][];
  errors: [string, number][];
  assertions: [string, number][];
}

let root: string;
let h: VerdictDb;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "verdict-turb-report-"));
  h = await openDatabase({ url: `file:${join(root, "verdict.db")}`, domains: ["runs"], migrate: true });
  for (const run of RUNS) {
    cpSync(join(FIXTURES, "turbulence-analytics", run), join(root, run), { recursive: true });
    await importRunFolder(h, join(root, run));
  }
});
afterAll(() => {
  h.close();
  rmSync(root, { recursive: true, force: true });
});

describe("the report's questions equal turbulence's report", () => {
  it.each(RUNS)("%s", async (run) => {
    const want = JSON.parse(
      readFileSync(join(FIXTURES, "turbulence-report", `report_${run}.json`), "utf8"),
    ) as Expected;
    const r = await runReport(h, run);

    expect(r.scenarios.map((s) => s.scenario_id)).toEqual(Object.keys(want.scenarios).sort());
    for (const s of r.scenarios) {
      const w = want.scenarios[s.scenario_id];
      expect([s.pass_count, s.fail_count]).toEqual([w?.pass, w?.fail]);
      expect(s.actions.map((a) => a.action_name)).toEqual(Object.keys(w?.actions ?? {}));
      for (const a of s.actions) {
        const [count, fails, mean, p50, p95, p99] = w?.actions[a.action_name] ?? [];
        expect([a.action_name, a.count, a.fail_count, a.p50_latency_ms, a.p95_latency_ms, a.p99_latency_ms]).toEqual([
          a.action_name,
          count,
          fails,
          p50,
          p95,
          p99,
        ]);
        expect(a.mean_latency_ms).toBeCloseTo(mean ?? Number.NaN, 9);
      }
    }
    // Turbulence orders ties by first appearance, Verdict by name: compare in Verdict's order.
    const byCount = <T extends [string, number, ...number[]]>(xs: T[]) =>
      [...xs].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    expect(
      r.services.map((s) => [s.service, s.count, s.fail_count, s.p50_latency_ms, s.p95_latency_ms, s.p99_latency_ms]),
    ).toEqual(byCount(want.services));
    expect(r.failures_by_service.map((s) => [s.service, s.fail_count])).toEqual(byCount(want.failures_by_service));
    expect(r.error_categories.map((c) => [c.category, c.count])).toEqual(byCount(want.errors));
    expect(r.failing_assertions.map((a) => [a.assertion_name, a.count])).toEqual(byCount(want.assertions));
  });

  it("error categories carry example instances that have such an error", async () => {
    const r = await runReport(h, "run_real_001", { examples: 2 });
    const other = r.error_categories.find((c) => c.category === "Other Error");
    expect(other?.example_instance_ids).toHaveLength(2);
    const rs = await h.client.execute({
      sql: "SELECT id, error FROM instances WHERE run_id = ? AND id IN (?, ?)",
      args: ["run_real_001", ...(other?.example_instance_ids ?? [])],
    });
    for (const row of rs.rows) expect(categorizeError(String(row.error))).toBe("Other Error");
  });

  it("slowest instances come slowest first", async () => {
    const r = await runReport(h, "run_real_001", { top: 3 });
    const all = readFileSync(join(FIXTURES, "turbulence-analytics", "run_real_001", "instances.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { instance_id: string; duration_ms: number })
      .sort((a, b) => b.duration_ms - a.duration_ms)
      .slice(0, 3);
    expect(r.slowest_instances.map((s) => [s.instance_id, s.duration_ms])).toEqual(
      all.map((i) => [i.instance_id, i.duration_ms]),
    );
  });

  it("categorizes like turbulence's _categorize_error", () => {
    expect(
      [
        "HTTP 503 from payments",
        "HTTP 404",
        "Read TIMEOUT",
        "Connection refused",
        "schema mismatch",
        "JSONPath $.x",
        "boom",
      ].map(categorizeError),
    ).toEqual([
      "5xx Server Error",
      "4xx Client Error",
      "Timeout",
      "Connection Error",
      "Validation Error",
      "Extraction Error",
      "Other Error",
    ]);
  });
});
