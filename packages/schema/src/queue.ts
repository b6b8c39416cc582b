import { z } from "zod";
import { identifier, isoTimestamp, jsonValue, nonNegativeInt, pageInput, rate01 } from "./common.js";
import { httpScenario } from "./http-scenario.js";
import { DTMF_PATTERN, finalResult, type Scenario, scenarioRef, stepStatus, stepType } from "./ivr.js";
import type { HttpScenario } from "./http-scenario.js";
import { instanceStatus, observation } from "./runs.js";

export * from "./http-scenario.js";

/**
 * The execution queue: work items that `verdict-worker` processes claim under a lease, heartbeat,
 * report on and complete. An IVR item drives one test execution; an HTTP item one instance of a run.
 */
export const workKind = z.enum(["ivr", "http"]);
export type WorkKind = z.infer<typeof workKind>;
export const workStatus = z.enum(["queued", "running", "done", "failed", "timeout"]);
export type WorkStatus = z.infer<typeof workStatus>;

export const workerId = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._:@-]+$/, "letters, digits and . _ : @ - only");

const maxAttempts = z.number().int().min(1).max(20);
/** How long a claim holds without a heartbeat. */
export const leaseMs = z.number().int().min(500).max(600_000);

export const enqueueExecutionsInput = z.object({
  scenario_id: scenarioRef,
  repeat: z.number().int().min(1).max(10_000).default(1),
  max_attempts: maxAttempts.default(3),
});
export type EnqueueExecutionsInput = z.input<typeof enqueueExecutionsInput>;

export const startRunInput = z.object({
  scenario: httpScenario,
  instances: z.number().int().min(1).max(100_000).default(1),
  /** Defaults to the scenario's `sut`, else its id. */
  sut_name: z.string().min(1).max(200).optional(),
  run_id: identifier.optional(),
  seed: z.number().int().nullish(),
});
export type StartRunInput = z.input<typeof startRunInput>;

/** Most items one claim may ask for. */
export const MAX_CLAIM_ITEMS = 100;

export const claimInput = z.object({
  worker_id: workerId,
  kinds: z.array(workKind).min(1).max(2).default(["ivr", "http"]),
  max_items: z.number().int().min(1).max(MAX_CLAIM_ITEMS).default(1),
  lease_ms: leaseMs.default(30_000),
  /**
   * Long poll: when nothing is claimable, the server holds the call up to this long and claims as
   * soon as work appears (an idle worker starts at once instead of at its next poll). 0: answer now.
   */
  wait_ms: z.number().int().min(0).max(60_000).default(0),
});
export type ClaimInput = z.input<typeof claimInput>;

interface ClaimedBase {
  item_id: string;
  /** Proof of this claim; every later call about the item carries it. */
  lease: string;
  attempt: number;
  max_attempts: number;
  lease_ms: number;
  deadline_at: string;
  /** Milliseconds left until the deadline when the server answered (immune to clock skew). */
  deadline_in_ms: number;
}
export interface ClaimedIvrItem extends ClaimedBase {
  kind: "ivr";
  execution_id: number;
  scenario: Scenario;
}
export interface ClaimedHttpItem extends ClaimedBase {
  kind: "http";
  run_id: string;
  instance_id: string;
  instance_index: number;
  scenario: HttpScenario;
}
export type ClaimedItem = ClaimedIvrItem | ClaimedHttpItem;

export const leaseRef = z.object({ item_id: identifier, lease: z.string().min(1).max(100) });
export type LeaseRef = z.infer<typeof leaseRef>;

export const heartbeatInput = z.object({
  worker_id: workerId,
  items: z.array(leaseRef).min(1).max(1000),
  lease_ms: leaseMs.default(30_000),
});
export type HeartbeatInput = z.input<typeof heartbeatInput>;

/** Per item: still ours (with time left), or why not, so the worker stops working on it. */
export interface LeaseState {
  item_id: string;
  held: boolean;
  reason: string | null;
  deadline_in_ms: number | null;
}

/** One step of an IVR execution as a worker reports it (the execution comes from the item). */
export const ivrStepReport = z.object({
  step_number: nonNegativeInt,
  step_type: stepType,
  expected_intent: z.string().max(100).nullish(),
  actual_intent: z.string().max(100).nullish(),
  confidence: rate01.nullish(),
  transcript: z.string().max(100_000).nullish(),
  dtmf_sent: z.string().regex(DTMF_PATTERN).nullish(),
  status: stepStatus,
  started_at: isoTimestamp,
  ended_at: isoTimestamp,
  latency_ms: z.number().min(0),
  error: z.string().max(10_000).nullish(),
});
export type IvrStepReport = z.input<typeof ivrStepReport>;

/** Step reports of several items in one call; each step is idempotent by (execution, step_number). */
export const reportInput = z.object({
  worker_id: workerId,
  reports: z
    .array(
      z.object({ item_id: identifier, lease: z.string().min(1).max(100), steps: z.array(ivrStepReport).max(10_000) }),
    )
    .min(1)
    .max(1000),
});
export type ReportInput = z.input<typeof reportInput>;

export interface ReportResult {
  item_id: string;
  held: boolean;
  reason: string | null;
  /** New step rows written. */
  accepted: number;
  /** Steps already recorded by an earlier (retried) report, skipped. */
  duplicates: number;
}

export const httpStepResult = z.object({
  step_index: nonNegativeInt,
  action_name: z.string().min(1).max(200),
  action_type: z.enum(["http", "wait"]),
  service: z.string().max(200).nullish(),
  started_at: isoTimestamp.nullish(),
  latency_ms: z.number().min(0).nullish(),
  status_code: z.number().int().nullish(),
  ok: z.boolean(),
  observation: observation,
});
export type HttpStepResult = z.input<typeof httpStepResult>;

export const httpAssertionResult = z.object({
  step_index: nonNegativeInt.nullable(),
  assertion_name: z.string().min(1).max(500),
  passed: z.boolean(),
  expected: jsonValue.optional(),
  actual: jsonValue.optional(),
  error: z.string().max(10_000).nullish(),
});
export type HttpAssertionResult = z.input<typeof httpAssertionResult>;

const completeBase = {
  worker_id: workerId,
  item_id: identifier,
  lease: z.string().min(1).max(100),
  /** `timeout`: the worker stopped the work at the deadline. */
  outcome: z.enum(["done", "timeout"]).default("done"),
};

export const completeInput = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("ivr"),
    ...completeBase,
    final_result: finalResult,
    call_id: z.string().min(1).max(200).nullish(),
    error: z.string().max(10_000).nullish(),
    /** Steps not reported yet; recorded in the same transaction that finishes the execution. */
    steps: z.array(ivrStepReport).max(10_000).default([]),
  }),
  z.object({
    kind: z.literal("http"),
    ...completeBase,
    instance: z.object({
      status: instanceStatus,
      started_at: isoTimestamp,
      completed_at: isoTimestamp,
      duration_ms: z.number().min(0),
      error: z.string().max(10_000).nullish(),
    }),
    steps: z.array(httpStepResult).max(10_000).default([]),
    assertions: z.array(httpAssertionResult).max(100_000).default([]),
  }),
]);
export type CompleteInput = z.input<typeof completeInput>;

/** Most completions in one `completeMany` call. */
export const MAX_COMPLETIONS_PER_CALL = 256;

/**
 * Several completions of one worker in one call (one server transaction): each item lands whole or
 * not at all and gets its own answer; a retried call answers `already` for what it had applied.
 */
export const completeManyInput = z.object({
  worker_id: workerId,
  items: z
    .array(
      z.discriminatedUnion("kind", [
        completeInput.options[0].omit({ worker_id: true }),
        completeInput.options[1].omit({ worker_id: true }),
      ]),
    )
    .min(1)
    .max(MAX_COMPLETIONS_PER_CALL),
});
export type CompleteManyInput = z.input<typeof completeManyInput>;
/** One item's completion input inside `completeMany` (a `complete` input without `worker_id`). */
export type CompletionItem = CompleteManyInput["items"][number];

/** One item's answer in `completeMany`: finished (or already), or refused with the code `complete` would have answered. */
export type CompletionResult =
  | ({ ok: true } & FinishResult)
  | { ok: false; item_id: string; code: "NOT_FOUND" | "CONFLICT" | "BAD_REQUEST"; error: string };

export const failInput = z.object({
  worker_id: workerId,
  item_id: identifier,
  lease: z.string().min(1).max(100),
  error: z.string().min(1).max(10_000),
  /** Put the item back for another attempt (if any are left) instead of failing it now. */
  retry: z.boolean().default(true),
});
export type FailInput = z.input<typeof failInput>;

export const handBackInput = z.object({
  worker_id: workerId,
  items: z.array(leaseRef).min(1).max(1000),
  reason: z.string().max(1000).optional(),
});
export type HandBackInput = z.input<typeof handBackInput>;

export interface FinishResult {
  item_id: string;
  status: WorkStatus;
  /** The same call had already been applied (a retried request). */
  already: boolean;
}

export const queueListInput = pageInput.extend({
  status: workStatus.optional(),
  kind: workKind.optional(),
  run_id: identifier.optional(),
  scenario_id: identifier.optional(),
});
export type QueueListInput = z.input<typeof queueListInput>;

export interface WorkItem {
  id: string;
  kind: WorkKind;
  status: WorkStatus;
  /** An HTTP item's scenario id; an IVR item's scenario slug (its numeric id is scenario_ref). */
  scenario_id: string;
  /** An IVR item's scenario_id (numeric); null for HTTP items. */
  scenario_ref: number | null;
  /** An IVR item's execution, created when a worker first claims it: null while it waits. */
  execution_id: number | null;
  run_id: string | null;
  instance_id: string | null;
  attempts: number;
  max_attempts: number;
  timeout_seconds: number;
  claimed_by: string | null;
  lease_expires_at: string | null;
  heartbeat_at: string | null;
  last_error: string | null;
  enqueued_at: string;
  started_at: string | null;
  deadline_at: string | null;
  finished_at: string | null;
}

export type QueueCounts = Record<WorkKind, Record<WorkStatus, number>>;

/** `queue.watch`: the live view of the queue (counts, open items, workers holding leases), pushed on change. */
export const queueWatchInput = z.object({
  kind: workKind.optional(),
  /** Most open (queued or running) items sent with each snapshot. */
  limit: z.number().int().min(1).max(500).default(100),
  /** How often the server looks for a change, in milliseconds. */
  interval_ms: z.number().int().min(100).max(60_000).default(500),
});
export type QueueWatchInput = z.input<typeof queueWatchInput>;

/** A worker holding at least one lease, with the items it holds. */
export interface QueueWorker {
  worker_id: string;
  items: number;
  /** The latest lease expiry and heartbeat among its items. */
  lease_expires_at: string | null;
  heartbeat_at: string | null;
}

export interface QueueSnapshot {
  counts: QueueCounts;
  /** Open items: running first, then queued, oldest first in each. */
  items: WorkItem[];
  workers: QueueWorker[];
}
