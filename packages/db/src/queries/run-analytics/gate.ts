/** `runs gate`: a run checked against requirements like `pass_rate>=99`. */
import { ValidationError } from "../../errors.js";
import type { VerdictDb } from "../../open.js";
import { DEFAULT_METHOD, type Source, percentileAt } from "./percentiles.js";
import { requireRun } from "./shared.js";
import { countInstancesByStatus } from "./summary.js";

export const GATE_METRICS = [
  "pass_rate",
  "error_count",
  "fail_count",
  "p50_latency_ms",
  "p95_latency_ms",
  "p99_latency_ms",
] as const;
export type GateMetric = (typeof GATE_METRICS)[number];
export const GATE_OPERATORS = ["<=", ">=", "==", "!=", "<", ">"] as const;
export type GateOperator = (typeof GATE_OPERATORS)[number];

/** A requirement the run must meet, e.g. `pass_rate>=99`; the gate fails when it does not hold. */
export interface GateRule {
  expr: string;
  metric: GateMetric;
  op: GateOperator;
  threshold: number;
}

const RULE = /^\s*([a-z0-9_]+)\s*(<=|>=|==|!=|<|>)\s*(-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*$/i;

export function parseGateRule(expr: string): GateRule {
  const m = RULE.exec(expr);
  const help = `expected METRIC OP NUMBER like pass_rate>=99 (metrics: ${GATE_METRICS.join(", ")}; operators: < <= > >= == !=)`;
  if (!m) throw new ValidationError("fail-on", `cannot read '${expr}': ${help}`);
  const metric = (m[1] ?? "").toLowerCase();
  if (!(GATE_METRICS as readonly string[]).includes(metric))
    throw new ValidationError("fail-on", `unknown metric '${m[1]}' in '${expr}': ${help}`);
  return { expr: expr.trim(), metric: metric as GateMetric, op: m[2] as GateOperator, threshold: Number(m[3]) };
}

function holds(actual: number, op: GateOperator, threshold: number): boolean {
  switch (op) {
    case "<":
      return actual < threshold;
    case "<=":
      return actual <= threshold;
    case ">":
      return actual > threshold;
    case ">=":
      return actual >= threshold;
    case "==":
      return actual === threshold;
    case "!=":
      return actual !== threshold;
  }
}

export interface GateViolation extends GateRule {
  actual: number | null;
  message: string;
}

export interface GateResult {
  run_id: string;
  passed: boolean;
  metrics: Record<GateMetric, number | null>;
  rules: GateRule[];
  violations: GateViolation[];
}

/** The gate metrics of a run: instance counts and step-latency percentiles (see the conventions above). */
export async function gateMetrics(h: VerdictDb, runId: string): Promise<Record<GateMetric, number | null>> {
  await requireRun(h, runId);
  const c = await countInstancesByStatus(h, runId);
  const n = Number(
    (
      await h.client.execute({
        sql: "SELECT count(latency_ms) AS n FROM steps INDEXED BY steps_run_latency_idx WHERE run_id = ?",
        args: [runId],
      })
    ).rows[0]?.n ?? 0,
  );
  const s: Source = {
    from: "steps INDEXED BY steps_run_latency_idx",
    where: "run_id = ?",
    args: [runId],
    col: "latency_ms",
  };
  return {
    pass_rate: c.pass_rate,
    error_count: c.error,
    fail_count: c.fail,
    p50_latency_ms: await percentileAt(h.client, s, n, 50, DEFAULT_METHOD),
    p95_latency_ms: await percentileAt(h.client, s, n, 95, DEFAULT_METHOD),
    p99_latency_ms: await percentileAt(h.client, s, n, 99, DEFAULT_METHOD),
  };
}

/** Checks a run against rules like `pass_rate>=99`; a metric without data (no steps) violates its rule. */
export async function evaluateGate(h: VerdictDb, runId: string, exprs: readonly string[]): Promise<GateResult> {
  if (exprs.length === 0)
    throw new ValidationError("fail-on", "give at least one rule, e.g. --fail-on 'pass_rate>=99'");
  const rules = exprs.map(parseGateRule);
  const metrics = await gateMetrics(h, runId);
  const violations: GateViolation[] = [];
  for (const r of rules) {
    const actual = metrics[r.metric];
    if (actual === null) {
      violations.push({ ...r, actual, message: `${r.expr}: ${r.metric} has no data in run '${runId}'` });
    } else if (!holds(actual, r.op, r.threshold)) {
      violations.push({ ...r, actual, message: `${r.expr}: ${r.metric} is ${fmt(actual)}` });
    }
  }
  return { run_id: runId, passed: violations.length === 0, metrics, rules, violations };
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/0+$/, "").replace(/\.$/, "");
}
