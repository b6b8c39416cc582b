/**
 * The `--fail-on` grammar (turbulence's gating/threshold.py at 65b8fb9, with two documented changes).
 *
 * An expression is METRIC OP NUMBER, optionally with blanks around OP and at either end:
 * - METRIC, exactly as turbulence spells it (case matters): pass_rate, error_count, fail_count,
 *   p50_latency_ms, p95_latency_ms, p99_latency_ms;
 * - OP: < <= > >= as in turbulence; Verdict adds == and != (turbulence refuses them as a syntax error);
 * - NUMBER: digits and dots that read as a number (no sign, no exponent), as turbulence's `[0-9.]+`
 *   then `float()`.
 * The rule is a requirement: the gate fails when it does not hold.
 *
 * pass_rate is stored 0–100. A threshold of at most 1 is a ratio (`pass_rate>=0.95` means 95 %) and is
 * multiplied by 100. Turbulence does so only when the run's pass rate is above 1 %, so on a run
 * passing 1 % or less `pass_rate>=0.95` holds there (1 >= 0.95): Verdict reads the threshold the same
 * way whatever the run's value.
 */
import { z } from "zod";

export const GATE_METRICS = [
  "pass_rate",
  "error_count",
  "fail_count",
  "p50_latency_ms",
  "p95_latency_ms",
  "p99_latency_ms",
] as const;
export type GateMetric = (typeof GATE_METRICS)[number];
export const GATE_OPERATORS = ["<", "<=", ">", ">=", "==", "!="] as const;
export type GateOperator = (typeof GATE_OPERATORS)[number];

export interface GateRule {
  /** The expression as given, trimmed. */
  expr: string;
  metric: GateMetric;
  op: GateOperator;
  /** The number as written. */
  threshold: number;
  /** What the metric is compared with: the threshold, or for a pass_rate ratio (<= 1) the threshold * 100. */
  compare_to: number;
}

const RULE = /^(?<metric>[a-zA-Z0-9_]+)\s*(?<op><=|>=|==|!=|<|>)\s*(?<value>[0-9.]+)\s*$/;
const NUMBER = /^(?:\d+\.?\d*|\.\d+)$/;

export const GATE_HELP = `METRIC OP NUMBER, e.g. pass_rate>=0.95 or p95_latency_ms<1000 (metrics: ${GATE_METRICS.join(
  ", ",
)}; operators: < <= > >= == !=; a pass_rate of at most 1 is a ratio)`;

/** Reads one expression; a string saying what is wrong when it cannot. */
export function readGateRule(raw: string): GateRule | string {
  const text = raw.trim();
  const m = RULE.exec(text);
  if (!m?.groups) return `cannot read '${raw}': expected ${GATE_HELP}`;
  const { metric = "", op = "", value = "" } = m.groups;
  if (!(GATE_METRICS as readonly string[]).includes(metric))
    return `unknown metric '${metric}' in '${raw}': metrics are ${GATE_METRICS.join(", ")}`;
  if (!NUMBER.test(value)) return `'${value}' in '${raw}' is not a number`;
  const threshold = Number(value);
  const compare_to = metric === "pass_rate" && threshold <= 1 ? threshold * 100 : threshold;
  return { expr: text, metric: metric as GateMetric, op: op as GateOperator, threshold, compare_to };
}

/** One `--fail-on` expression, parsed: the router's input and the CLI read it with this schema. */
export const gateRule = z.string().transform((raw, ctx): GateRule => {
  const r = readGateRule(raw);
  if (typeof r === "string") {
    ctx.addIssue({ code: "custom", message: r });
    return z.NEVER;
  }
  return r;
});

export const gateInput = z.object({
  run_id: z.string().min(1).max(200),
  fail_on: z.array(gateRule).min(1, "give at least one rule, e.g. --fail-on 'pass_rate>=0.99'").max(50),
});
export type GateInput = z.input<typeof gateInput>;

/** Whether `actual OP compare_to` holds. */
export function gateHolds(actual: number, op: GateOperator, compareTo: number): boolean {
  switch (op) {
    case "<":
      return actual < compareTo;
    case "<=":
      return actual <= compareTo;
    case ">":
      return actual > compareTo;
    case ">=":
      return actual >= compareTo;
    case "==":
      return actual === compareTo;
    case "!=":
      return actual !== compareTo;
  }
}

export const PERCENTILE_METHODS = ["linear", "nearest"] as const;
/** `linear`: turbulence's (and numpy's default) interpolation; `nearest`: nearest rank. */
export const percentileMethod = z.enum(PERCENTILE_METHODS);
export type PercentileMethod = z.infer<typeof percentileMethod>;
