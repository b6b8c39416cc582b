/**
 * The turbulence run-folder format, as zod schemas. These describe files written by the load-test
 * tool (not Verdict's API), in two shapes that both occur in real folders:
 *
 * - current: manifest {run_id, timestamp, sut_name, scenario_ids, seed, config, turbulence_version};
 *   instance {instance_id, run_id, correlation_id, scenario_id, started_at, completed_at, duration_ms,
 *   passed, entry_data, error}; step {instance_id, run_id, correlation_id, step_index, step_name,
 *   step_type, timestamp, observation}; assertion {instance_id, run_id, correlation_id, step_index,
 *   assertion_name, passed, expected, actual, message, timestamp}.
 * - legacy: manifest {sut_name, scenarios, started_at, completed_at} (the run id is the folder name);
 *   instance {instance_id, correlation_id, scenario_id, passed, duration_ms, error, entry}; step
 *   {instance_id, action_name, action_type, observation} (step_index = order within its instance).
 *
 * Aliases accepted in either shape: step_name|action_name, step_type|action_type,
 * timestamp|started_at, scenario_ids|scenarios, entry_data|entry. Unknown top-level keys of a line
 * are ignored (tools add fields over versions); unknown keys inside an observation are kept.
 */
import { z } from "zod";
import { identifier, isoTimestamp } from "@verdict/schema";

export type RunShape = "current" | "legacy";

const nonEmpty = z.string().min(1);
const intOrNull = z.number().int().nullish();
const nonNegOrNull = z.number().min(0).nullish();
const anyJson = z.unknown();

/** The variation a seeded instance ran with: entry_data.seed_data.variation. */
const entryData = z
  .looseObject({
    seed_data: z.looseObject({ variation: anyJson.optional() }).nullish(),
  })
  .nullish();

export const manifestCurrent = z.looseObject({
  run_id: identifier,
  timestamp: isoTimestamp,
  sut_name: nonEmpty,
  scenario_ids: z.array(nonEmpty),
  seed: intOrNull,
  config: z.record(z.string(), anyJson).nullish(),
  turbulence_version: z.string().nullish(),
});
export const manifestLegacy = z.looseObject({
  run_id: identifier.optional(),
  sut_name: nonEmpty,
  scenarios: z.array(nonEmpty),
  started_at: isoTimestamp,
  completed_at: isoTimestamp.nullish(),
  seed: intOrNull,
  config: z.record(z.string(), anyJson).nullish(),
});

export const instanceCurrent = z.object({
  instance_id: identifier,
  run_id: identifier,
  correlation_id: z.string().nullish(),
  scenario_id: nonEmpty,
  started_at: isoTimestamp.nullish(),
  completed_at: isoTimestamp.nullish(),
  duration_ms: nonNegOrNull,
  passed: z.boolean().nullable(),
  entry_data: entryData,
  error: z.string().nullish(),
});
export const instanceLegacy = z.object({
  instance_id: identifier,
  run_id: identifier.optional(),
  correlation_id: z.string().nullish(),
  scenario_id: nonEmpty,
  started_at: isoTimestamp.nullish(),
  completed_at: isoTimestamp.nullish(),
  duration_ms: nonNegOrNull,
  passed: z.boolean().nullish(),
  entry: entryData,
  error: z.string().nullish(),
});

/** Named observation keys are type-checked (they feed indexed columns); every key is kept. */
export const observationFormat = z.looseObject({
  ok: z.boolean().nullish(),
  protocol: z.string().nullish(),
  status_code: intOrNull,
  latency_ms: nonNegOrNull,
  errors: z.array(anyJson).nullish(),
  action_name: z.string().nullish(),
  service: z.string().nullish(),
  attempts: z.array(anyJson).nullish(),
});

export const stepCurrent = z.object({
  instance_id: identifier,
  run_id: identifier,
  correlation_id: z.string().nullish(),
  step_index: z.number().int().min(0),
  step_name: nonEmpty,
  step_type: nonEmpty,
  timestamp: isoTimestamp.nullish(),
  observation: observationFormat,
});
export const stepLegacy = z.object({
  instance_id: identifier,
  run_id: identifier.optional(),
  step_index: z.number().int().min(0).optional(),
  action_name: nonEmpty,
  action_type: nonEmpty,
  started_at: isoTimestamp.nullish(),
  observation: observationFormat,
});

export const assertionLine = z.object({
  instance_id: identifier,
  run_id: identifier.optional(),
  correlation_id: z.string().nullish(),
  step_index: z.number().int().min(0).nullish(),
  assertion_name: nonEmpty,
  passed: z.boolean(),
  expected: anyJson.optional(),
  actual: anyJson.optional(),
  message: z.string().nullish(),
  timestamp: isoTimestamp.nullish(),
});

export const summaryFormat = z.looseObject({
  run_id: identifier.optional(),
  completed_at: isoTimestamp.nullish(),
  total_instances: z.number().int().min(0).optional(),
  pass_count: z.number().int().min(0).optional(),
  fail_count: z.number().int().min(0).optional(),
  error_count: z.number().int().min(0).optional(),
  pass_rate: z.number().min(0).max(100).nullish(),
  duration_ms: nonNegOrNull,
});

/** A variation file, artifacts/<instance_id>/variation.json: any JSON value. */
export const variationFile = anyJson;

export type ManifestCurrent = z.infer<typeof manifestCurrent>;
export type ManifestLegacy = z.infer<typeof manifestLegacy>;
export type InstanceCurrent = z.infer<typeof instanceCurrent>;
export type InstanceLegacy = z.infer<typeof instanceLegacy>;
export type StepCurrent = z.infer<typeof stepCurrent>;
export type StepLegacy = z.infer<typeof stepLegacy>;
export type AssertionLine = z.infer<typeof assertionLine>;
export type SummaryFormat = z.infer<typeof summaryFormat>;

/** Pairs of [name in this shape, alias]; the alias is used only when the name is absent. */
const ALIASES: Record<"step" | "instance" | "manifest", Record<RunShape, [string, string][]>> = {
  manifest: {
    current: [
      ["scenario_ids", "scenarios"],
      ["timestamp", "started_at"],
    ],
    legacy: [
      ["scenarios", "scenario_ids"],
      ["started_at", "timestamp"],
    ],
  },
  instance: { current: [["entry_data", "entry"]], legacy: [["entry", "entry_data"]] },
  step: {
    current: [
      ["step_name", "action_name"],
      ["step_type", "action_type"],
      ["timestamp", "started_at"],
    ],
    legacy: [
      ["action_name", "step_name"],
      ["action_type", "step_type"],
      ["started_at", "timestamp"],
    ],
  },
};

/** Copies alias keys onto the shape's own names, in place (objects come straight from JSON.parse). */
export function applyAliases(kind: keyof typeof ALIASES, shape: RunShape, obj: Record<string, unknown>): void {
  for (const [name, alias] of ALIASES[kind][shape]) {
    if (obj[name] === undefined && obj[alias] !== undefined) obj[name] = obj[alias];
  }
}

/**
 * The shape of a folder is decided by its manifest: a current manifest names its run and time
 * (run_id/timestamp/scenario_ids); a legacy one has scenarios/started_at and no run_id.
 */
export function detectShape(manifest: Record<string, unknown>): RunShape {
  if ("run_id" in manifest || "timestamp" in manifest || "scenario_ids" in manifest) return "current";
  if ("scenarios" in manifest || "started_at" in manifest) return "legacy";
  return "current";
}

export interface FieldProblem {
  field: string;
  problem: string;
}

/** Per-parse error map: a missing key says "required" instead of zod's type sentence. */
const errorMap = (iss: { code?: string; input?: unknown }) =>
  iss.code === "invalid_type" && iss.input === undefined ? "required" : undefined;

/** Validates one record; returns the parsed value or the first problem as field + text. */
export function check<T>(
  schema: z.ZodType<T>,
  value: unknown,
): { ok: true; value: T } | { ok: false; problem: FieldProblem } {
  // The plain parse is zod's fast path; the error map (which slows parsing) only runs to word a failure.
  const fast = schema.safeParse(value);
  if (fast.success) return { ok: true, value: fast.data };
  const r = schema.safeParse(value, { error: errorMap });
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  if (!issue) return { ok: false, problem: { field: "(line)", problem: "invalid" } };
  const field = issue.path.length > 0 ? issue.path.map(String).join(".") : "(line)";
  return { ok: false, problem: { field, problem: issue.message } };
}

/** Keys of a manifest that map to columns of `runs`; everything else is kept verbatim (see import.ts). */
export const MANIFEST_COLUMN_KEYS: Record<RunShape, readonly string[]> = {
  current: ["run_id", "timestamp", "sut_name", "scenario_ids", "seed", "config"],
  legacy: ["run_id", "started_at", "sut_name", "scenarios", "seed", "config"],
};

/** The reserved key of runs.config that holds what the manifest and summary had beyond the columns. */
export const RESERVED_CONFIG_KEY = "_turbulence";

/** Marks a summary.json that Verdict computed on export (the source had none); import does not keep it. */
export const COMPUTED_SUMMARY_KEY = "verdict_computed";
