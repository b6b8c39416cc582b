/**
 * `--fail-on` against turbulence's Threshold (gating/threshold.py, farmanp/turbulence 65b8fb9).
 *
 * The expected verdicts below were produced by running turbulence's own Threshold.parse/evaluate
 * (python3, pydantic 2) on RunSummary objects holding the same numbers as these runs: the two real
 * runs' summary.json (run_wt_v1's older summary has no percentiles; turbulence's calculate_percentile
 * over its steps.jsonl filled them), a run whose instances have no steps, a run without instances,
 * and a run passing 1 of 100 instances. "error" means Threshold.parse raised ThresholdError
 * (turbulence exits 1; `verdict runs gate` answers a usage error).
 *
 * Where Verdict gives another answer, DIFFERENT lists it with the reason (also in README.md).
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationError, type VerdictDb, evaluateGate, importRunFolder, openDatabase } from "@verdict/db";
import { gateInput, readGateRule } from "@verdict/schema";
import { type InstancePlan, currentRun, writeRunFolder } from "./turbulence-fixtures.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "turbulence-analytics");
const RUNS = ["run_real_001", "run_wt_v1", "no-steps", "no-instances", "one-percent"] as const;
type RunName = (typeof RUNS)[number];
type Verdict = "pass" | "fail";
type Row = [expr: string, turbulence: Record<RunName, Verdict> | "error"];

const v = (s: string): Record<RunName, Verdict> => {
  const out = {} as Record<RunName, Verdict>;
  RUNS.forEach((r, i) => {
    out[r] = s[i] === "P" ? "pass" : "fail";
  });
  return out;
};

// Verdicts per run, in RUNS order: P pass, F fail (turbulence's output, see the header).
const TABLE: Row[] = [
  ["pass_rate>=0.5", v("FFPFP")],
  ["pass_rate>=0.25", v("PFPFP")],
  ["pass_rate>=30", v("PFPFF")],
  ["pass_rate>30", v("FFPFF")],
  ["pass_rate<=0.3", v("PPFPF")],
  ["pass_rate>=1", v("FFPFP")],
  ["  pass_rate > 20 ", v("PPPFF")],
  ["pass_rate>=0.95", v("FFPFP")],
  ["pass_rate<0.5", v("PPFPF")],
  ["fail_count<=21", v("PFPPF")],
  ["fail_count<21", v("FFPPF")],
  ["error_count<10", v("PFPPP")],
  ["error_count>=17", v("FPFFF")],
  ["p95_latency_ms<303.7", v("FPPPP")],
  ["p95_latency_ms<311", v("PPPPP")],
  ["p50_latency_ms>=48.04122000001598", v("PFFFF")],
  ["p99_latency_ms<=354.9238908900076", v("PPPPP")],
  ["p99_latency_ms<400", v("PPPPP")],
  ["p95_latency_ms<1000", v("PPPPP")],
  ["p50_latency_ms>0", v("PPFFF")],
  ["fail_count<1.", v("FFPPF")],
  ["pass_rate=>99", "error"],
  ["speed>3", "error"],
  ["Pass_rate>=0.5", "error"],
  ["pass_rate>=-1", "error"],
  ["p95_latency_ms<1e3", "error"],
  ["pass_rate>=1.2.3", "error"],
  ["pass_rate>=.", "error"],
  ["pass_rate==100", "error"],
  ["error_count!=0", "error"],
  ["", "error"],
];

/**
 * Where Verdict differs, and why:
 * - a pass_rate threshold <= 1 is a ratio whatever the run's pass rate; turbulence converts it only
 *   when the run's pass rate is above 1 %, so a run passing 1 % "meets" pass_rate>=0.95 there;
 * - == and != are Verdict additions (turbulence's grammar has < <= > >= only).
 */
const DIFFERENT: Record<string, Partial<Record<RunName, Verdict>> | Record<RunName, Verdict>> = {
  "pass_rate>=0.5": { "one-percent": "fail" },
  "pass_rate>=0.25": { "one-percent": "fail" },
  "pass_rate>=1": { "one-percent": "fail" },
  "pass_rate>=0.95": { "one-percent": "fail" },
  "pass_rate<=0.3": { "one-percent": "pass" },
  "pass_rate<0.5": { "one-percent": "pass" },
  "pass_rate==100": v("FFPFF"),
  "error_count!=0": v("PPFFF"),
};

let root: string;
let h: VerdictDb;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "verdict-turb-gate-"));
  h = await openDatabase({ url: `file:${join(root, "verdict.db")}`, domains: ["runs"], migrate: true });
  for (const run of ["run_real_001", "run_wt_v1"]) {
    cpSync(join(FIXTURES, run), join(root, run), { recursive: true });
    await importRunFolder(h, join(root, run));
  }
  const synthetic: [RunName, InstancePlan[]][] = [
    ["no-steps", [0, 1].map(() => ({ scenario: "s", passed: true, latencies: [] }))],
    ["no-instances", []],
    ["one-percent", Array.from({ length: 100 }, (_, i) => ({ scenario: "s", passed: i === 0, latencies: [] }))],
  ];
  for (const [name, plans] of synthetic)
    await importRunFolder(h, writeRunFolder(join(root, name), currentRun(name, plans)));
});
afterAll(() => {
  h.close();
  rmSync(root, { recursive: true, force: true });
});

describe("--fail-on gives turbulence's verdicts", () => {
  it.each(TABLE)("%j", async (expr, turbulence) => {
    const differs = DIFFERENT[expr];
    if (turbulence === "error" && differs === undefined) {
      expect(typeof readGateRule(expr)).toBe("string");
      expect(gateInput.safeParse({ run_id: "run_real_001", fail_on: [expr] }).success).toBe(false);
      await expect(evaluateGate(h, "run_real_001", [expr])).rejects.toThrow(ValidationError);
      return;
    }
    for (const run of RUNS) {
      const want = differs?.[run] ?? (turbulence === "error" ? undefined : turbulence[run]);
      const r = await evaluateGate(h, run, [expr]);
      // exit code: 0 when the gate passes, 2 when a rule is violated (turbulence's codes too)
      expect([run, r.passed ? "pass" : "fail"]).toEqual([run, want]);
      expect(r.rules).toHaveLength(1);
    }
  });

  it("several rules: the gate fails when any fails, and each rule is reported with its actual value", async () => {
    const r = await evaluateGate(h, "run_real_001", ["pass_rate>=0.25", "p95_latency_ms<303.7", "fail_count<=21"]);
    expect(r.passed).toBe(false);
    expect(r.violations.map((x) => x.expr)).toEqual(["p95_latency_ms<303.7"]);
    expect(r.rules.map((x) => [x.expr, x.actual, x.compare_to, x.passed])).toEqual([
      ["pass_rate>=0.25", 30, 25, true],
      ["p95_latency_ms<303.7", 310.93572379995743, 303.7, false],
      ["fail_count<=21", 21, 21, true],
    ]);
    expect(r.violations[0]?.message).toBe("p95_latency_ms<303.7: p95_latency_ms is 310.94, required < 303.7");
  });

  it("a run with nothing to measure reads 0, as turbulence's summary has it, and says so", async () => {
    const r = await evaluateGate(h, "no-instances", ["p95_latency_ms<1000", "pass_rate>=0.5"]);
    expect(r.no_data).toEqual(["pass_rate", "p50_latency_ms", "p95_latency_ms", "p99_latency_ms"]);
    expect(r.rules.map((x) => [x.passed, x.message])).toEqual([
      [true, "p95_latency_ms<1000: p95_latency_ms is 0 (no data: 0 as in turbulence), required < 1000"],
      [false, "pass_rate>=0.5: pass_rate is 0 (no data: 0 as in turbulence), required >= 50 (0.5 as a ratio)"],
    ]);
  });

  it("parse errors name the problem", () => {
    expect(readGateRule("speed>3")).toBe(
      "unknown metric 'speed' in 'speed>3': metrics are pass_rate, error_count, fail_count, p50_latency_ms, p95_latency_ms, p99_latency_ms",
    );
    expect(readGateRule("pass_rate>=1.2.3")).toBe("'1.2.3' in 'pass_rate>=1.2.3' is not a number");
    expect(readGateRule("pass_rate=>99")).toMatch(/^cannot read 'pass_rate=>99': expected METRIC OP NUMBER/);
    const z = gateInput.safeParse({ run_id: "r", fail_on: ["speed>3"] });
    expect(z.success ? [] : z.error.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["fail_on.0", expect.stringContaining("unknown metric 'speed'")],
    ]);
  });
});
