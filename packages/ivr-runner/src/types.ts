/**
 * Contract between the worker (queue, reporting, lifecycle) and the executors
 * that drive one piece of work. The IVR executor (./ivr.ts) is written against
 * this file; change it only by agreement.
 */
import type { Scenario, TrainingSample } from "@verdict/schema";
import type { IvrChannel } from "./channel.js";

export interface StepReport {
  step_number: number;
  step_type: "prompt" | "intent" | "dtmf" | "validate";
  expected_intent?: string | null;
  actual_intent?: string | null;
  confidence?: number | null;
  transcript?: string | null;
  dtmf_sent?: string | null;
  status: "pass" | "fail" | "skipped" | "error";
  started_at: string;
  ended_at: string;
  latency_ms: number;
  error?: string | null;
}

export interface IvrExecutionContext {
  executionId: string;
  scenario: Scenario;
  /** Aborted when the item's deadline passes, its lease is lost, or the worker shuts down. */
  signal: AbortSignal;
  /** Buffered and sent in batches; idempotent by (execution_id, step_number). */
  report(step: StepReport): void;
  /** Validated training samples from the API, fetched once and cached. */
  trainingSamples(): Promise<TrainingSample[]>;
  /** The channel for this execution's call (its scenario's stored target); else the executor's own. */
  channel?: () => IvrChannel;
}

export interface IvrExecutor {
  run(
    ctx: IvrExecutionContext,
  ): Promise<{ final_result: "pass" | "fail"; call_id: string | null; error?: string | null }>;
}
