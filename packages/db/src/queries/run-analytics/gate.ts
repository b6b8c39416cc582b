/**
 * `runs gate`: a run checked against `--fail-on` rules (grammar in @verdict/schema run-gates.ts).
 * The metrics are turbulence's summary numbers (totals.ts): with no instances pass_rate is 0, with
 * no step latencies the percentiles are 0, as in turbulence's RunSummary, so a rule gives the verdict
 * turbulence's Threshold gives on the same run.
 */
import { type GateMetric, type GateRule, gateHolds, readGateRule } from "@verdict/schema";
import { ValidationError } from "../../errors.js";
import type { VerdictDb } from "../../open.js";
import { DEFAULT_METHOD, type PercentileMethod } from "./percentiles.js";
import { runTotals } from "./summary.js";

export interface GateCheck extends GateRule {
  actual: number;
  passed: boolean;
  message: string;
}

export interface GateResult {
  run_id: string;
  passed: boolean;
  percentiles: PercentileMethod;
  metrics: Record<GateMetric, number>;
  /** Metrics that are 0 because the run has nothing to measure (no instances, no step latencies). */
  no_data: GateMetric[];
  rules: GateCheck[];
  violations: GateCheck[];
}

/** The gate metrics of a run: turbulence's totals (0 where there is nothing to measure). */
export async function gateMetrics(
  h: VerdictDb,
  runId: string,
  method: PercentileMethod = DEFAULT_METHOD,
): Promise<Record<GateMetric, number> & { no_data: GateMetric[] }> {
  const t = await runTotals(h, runId, method);
  const no_data: GateMetric[] = [];
  if (t.total_instances === 0) no_data.push("pass_rate");
  if (t.latency_count === 0) no_data.push("p50_latency_ms", "p95_latency_ms", "p99_latency_ms");
  return {
    pass_rate: t.pass_rate,
    error_count: t.error_count,
    fail_count: t.fail_count,
    p50_latency_ms: t.p50_latency_ms,
    p95_latency_ms: t.p95_latency_ms,
    p99_latency_ms: t.p99_latency_ms,
    no_data,
  };
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

/** Checks a run against rules (parsed, or expressions to parse); every rule is reported with its actual value. */
export async function evaluateGate(
  h: VerdictDb,
  runId: string,
  rules: readonly (GateRule | string)[],
  opts: { percentiles?: PercentileMethod } = {},
): Promise<GateResult> {
  if (rules.length === 0)
    throw new ValidationError("fail-on", "give at least one rule, e.g. --fail-on 'pass_rate>=0.99'");
  const parsed = rules.map((r) => {
    if (typeof r !== "string") return r;
    const p = readGateRule(r);
    if (typeof p === "string") throw new ValidationError("fail-on", p);
    return p;
  });
  const method = opts.percentiles ?? DEFAULT_METHOD;
  const { no_data, ...metrics } = await gateMetrics(h, runId, method);
  const checks = parsed.map((r): GateCheck => {
    const actual = metrics[r.metric];
    const passed = gateHolds(actual, r.op, r.compare_to);
    const target =
      r.compare_to === r.threshold ? String(r.threshold) : `${String(r.compare_to)} (${r.threshold} as a ratio)`;
    const note = no_data.includes(r.metric) ? " (no data: 0 as in turbulence)" : "";
    return {
      ...r,
      actual,
      passed,
      message: `${r.expr}: ${r.metric} is ${fmt(actual)}${note}, required ${r.op} ${target}`,
    };
  });
  const violations = checks.filter((c) => !c.passed);
  return {
    run_id: runId,
    passed: violations.length === 0,
    percentiles: method,
    metrics,
    no_data,
    rules: checks,
    violations,
  };
}
