import { z } from "zod";
import { identifier, isoTimestamp, jsonObject, jsonObjectWith, jsonValue, pageInput } from "./common.js";
import { runSinceBound, runUntilBound } from "./run-times.js";

export const instanceStatus = z.enum(["pass", "fail"]);
export type InstanceStatus = z.infer<typeof instanceStatus>;
export const actionType = z.enum(["http", "wait", "assert", "grpc", "decide"]);
export type ActionType = z.infer<typeof actionType>;

/**
 * What a tool observed when it ran one step. The named keys are indexed into columns;
 * everything else is kept as-is so an export gives back exactly what was imported.
 */
export const observation = jsonObjectWith(
  z.object({
    ok: z.boolean().optional(),
    protocol: z.string().optional(),
    status_code: z.number().int().nullable().optional(),
    latency_ms: z.number().min(0).nullable().optional(),
    headers: jsonValue.optional(),
    body: jsonValue.optional(),
    errors: z.array(jsonValue).optional(),
    action_name: z.string().optional(),
    service: z.string().nullable().optional(),
    attempts: z.array(jsonValue).optional(),
  }),
);
export type Observation = z.infer<typeof observation>;

export const runInput = z.object({
  id: identifier,
  started_at: isoTimestamp,
  completed_at: isoTimestamp.nullish(),
  sut_name: z.string().min(1).max(200),
  scenario_ids: z.array(z.string().min(1)).default([]),
  seed: z.number().int().nullish(),
  config: jsonObject.default({}),
});
export type RunInput = z.input<typeof runInput>;

export const run = z.object({
  id: identifier,
  started_at: z.string(),
  completed_at: z.string().nullable(),
  sut_name: z.string(),
  scenario_ids: z.array(z.string()),
  seed: z.number().nullable(),
  config: jsonObject,
});
export type Run = z.infer<typeof run>;

export const instanceInput = z.object({
  id: identifier,
  run_id: identifier,
  scenario_id: z.string().min(1),
  correlation_id: z.string().nullish(),
  status: instanceStatus,
  started_at: isoTimestamp.nullish(),
  completed_at: isoTimestamp.nullish(),
  duration_ms: z.number().min(0).nullish(),
  variations: jsonValue.nullish(),
  error: z.string().nullish(),
});
export type InstanceInput = z.input<typeof instanceInput>;
export interface Instance {
  id: string;
  run_id: string;
  scenario_id: string;
  correlation_id: string | null;
  status: InstanceStatus;
  started_at: string | null;
  completed_at: string | null;
  duration_ms: number | null;
  variations: z.infer<typeof jsonValue> | null;
  error: string | null;
}

export const stepInput = z.object({
  run_id: identifier,
  instance_id: identifier,
  step_index: z.number().int().min(0),
  action_name: z.string().min(1),
  action_type: z.string().min(1),
  service: z.string().nullish(),
  started_at: isoTimestamp.nullish(),
  latency_ms: z.number().min(0).nullish(),
  status_code: z.number().int().nullish(),
  ok: z.boolean().nullish(),
  observation: observation.default({}),
});
export type StepInput = z.input<typeof stepInput>;
export interface Step {
  id: number;
  run_id: string;
  instance_id: string;
  step_index: number;
  action_name: string;
  action_type: string;
  service: string | null;
  started_at: string | null;
  latency_ms: number | null;
  status_code: number | null;
  ok: boolean | null;
  observation: Observation;
}

export const assertionInput = z.object({
  run_id: identifier,
  instance_id: identifier,
  step_index: z.number().int().min(0).nullish(),
  assertion_name: z.string().min(1),
  passed: z.boolean(),
  expected: jsonValue.optional(),
  actual: jsonValue.optional(),
  error: z.string().nullish(),
});
export type AssertionInput = z.input<typeof assertionInput>;
export interface Assertion {
  id: number;
  run_id: string;
  instance_id: string;
  step_index: number | null;
  assertion_name: string;
  passed: boolean;
  expected: z.infer<typeof jsonValue> | null;
  actual: z.infer<typeof jsonValue> | null;
  error: string | null;
}

export const runListInput = pageInput.extend({
  sut_name: z.string().min(1).optional(),
  since: runSinceBound.optional(),
  until: runUntilBound.optional(),
});
export type RunListInput = z.input<typeof runListInput>;

export const instanceQueryInput = pageInput.extend({
  run_id: identifier,
  status: instanceStatus.optional(),
  scenario_id: z.string().min(1).optional(),
  since: runSinceBound.optional(),
  until: runUntilBound.optional(),
  error_contains: z.string().min(1).optional(),
  /** true: only instances with an error message; false: only those without. */
  has_error: z.boolean().optional(),
  with_total: z.boolean().default(false),
});
export type InstanceQueryInput = z.input<typeof instanceQueryInput>;

export const stepQueryInput = pageInput.extend({
  run_id: identifier,
  action_type: z.string().min(1).optional(),
  service: z.string().min(1).optional(),
  ok: z.boolean().optional(),
  min_latency_ms: z.number().min(0).optional(),
  instance_status: instanceStatus.optional(),
  instance_id: z.string().min(1).optional(),
  /** The instance's correlation id (turbulence writes the same one on its steps). */
  correlation_id: z.string().min(1).optional(),
  /** The step's name (turbulence's step_name, Verdict's action_name column). */
  step_name: z.string().min(1).optional(),
  /** The observation's action_name (the step's name when the observation has none). */
  action_name: z.string().min(1).optional(),
  status_code: z.number().int().optional(),
});
export type StepQueryInput = z.input<typeof stepQueryInput>;

export const assertionQueryInput = pageInput.extend({
  run_id: identifier,
  passed: z.boolean().optional(),
  assertion_name: z.string().min(1).optional(),
});
export type AssertionQueryInput = z.input<typeof assertionQueryInput>;
