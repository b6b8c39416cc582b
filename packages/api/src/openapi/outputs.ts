/**
 * Response schemas of the REST surface. They describe what the procedures return (the same objects
 * the tRPC API and the CLI's --json give) with the fields a client relies on typed; objects are
 * loose (`z.looseObject`), so a field added later is passed through instead of failing validation.
 */
import { z } from "zod";

const json = z.unknown().describe("any JSON value");
const nullableString = z.string().nullable();
const nullableNumber = z.number().nullable();

/** A page of a list: `next_cursor` is null on the last page; pass it as `cursor` for the next one. */
export function pageOf<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({ items: z.array(item), next_cursor: nullableString, total: z.number().int().optional() })
    .meta({ id: `${name}Page` });
}

export const runOut = z
  .looseObject({
    id: z.string(),
    started_at: z.string(),
    completed_at: nullableString,
    sut_name: z.string(),
    scenario_ids: z.array(z.string()),
    seed: nullableNumber,
    config: z.record(z.string(), json),
  })
  .meta({ id: "Run" });

export const instanceOut = z
  .looseObject({
    id: z.string(),
    run_id: z.string(),
    scenario_id: z.string(),
    correlation_id: nullableString,
    status: z.enum(["pass", "fail"]),
    started_at: nullableString,
    completed_at: nullableString,
    duration_ms: nullableNumber,
    variations: json.nullable(),
    error: nullableString,
  })
  .meta({ id: "Instance" });

const percentiles = z
  .looseObject({ p50: nullableNumber, p95: nullableNumber, p99: nullableNumber })
  .meta({ id: "Percentiles" });

export const summaryOut = z
  .looseObject({
    run: runOut,
    instances: z.looseObject({
      instances: z.number(),
      pass: z.number(),
      fail: z.number(),
      undecided: z.number(),
      error: z.number(),
      pass_rate: nullableNumber.describe("0-100"),
      duration_ms: percentiles,
    }),
    steps: z.looseObject({ total: z.number(), failed: z.number(), latency_ms: percentiles }),
    assertions: z.looseObject({ total: z.number(), failed: z.number() }),
    by_scenario: z.array(z.looseObject({ scenario_id: z.string() })),
  })
  .meta({ id: "RunSummary" });

export const timelineOut = z
  .looseObject({
    instance: instanceOut,
    steps: z.array(z.looseObject({ step_index: z.number() })),
    assertions: z.array(z.looseObject({ assertion_name: z.string() })),
  })
  .meta({ id: "InstanceTimeline" });

export const gateOut = z
  .looseObject({
    run_id: z.string(),
    passed: z.boolean(),
    percentiles: z.enum(["linear", "nearest"]),
    metrics: z.record(z.string(), z.number()),
    rules: z.array(z.looseObject({ passed: z.boolean() })),
    violations: z.array(z.looseObject({})),
  })
  .meta({ id: "GateResult" });

export const benchmarkRunOut = z
  .looseObject({
    run_id: z.string(),
    timestamp: z.string(),
    project_name: z.string(),
    benchmark_name: z.string(),
    version: nullableString,
    metadata: json,
    performance: json.nullable(),
    autonomy: json.nullable(),
    quality: json.nullable(),
    workflow: json.nullable(),
  })
  .meta({ id: "BenchmarkRun" });

export const trendOut = z
  .looseObject({ metric: z.string(), points: z.array(z.looseObject({})) })
  .meta({ id: "MetricTrend" });
