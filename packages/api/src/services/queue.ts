import type {
  ClaimedItem,
  CompletionResult,
  FinishResult,
  LeaseState,
  Page,
  QueueCounts,
  ReportResult,
  Run,
  WorkItem,
  claimInput,
  completeInput,
  completeManyInput,
  enqueueExecutionsInput,
  failInput,
  handBackInput,
  heartbeatInput,
  queueListInput,
  reportInput,
  startRunInput,
} from "@verdict/schema";
import {
  claimWorkWaiting,
  completeWork,
  completeWorkMany,
  enqueueExecutions as enqueueInDb,
  failWork,
  getWorkItem,
  handBackWork,
  heartbeatWork,
  listWorkItems,
  queueCounts,
  reapQueue,
  reportSteps,
  startHttpRun,
} from "@verdict/db";
import type { z } from "zod";
import type { ServiceContext } from "./context.js";

/**
 * Verbs of the execution queue. Each takes a validated input and does one thing in one database
 * transaction (see @verdict/db queries/queue.ts for the claim/lease/idempotency rules); typed
 * errors (NotFoundError, ConflictError when a lease is no longer held) reach the tRPC adapter.
 */

/** Queue `repeat` runs of an IVR scenario (test_executions rows with status 'queued'). */
export function enqueueExecutions(ctx: ServiceContext, input: z.output<typeof enqueueExecutionsInput>) {
  return enqueueInDb(ctx.db, input);
}

/** Start an HTTP run: a runs row plus one work item per instance. */
export function startRun(
  ctx: ServiceContext,
  input: z.output<typeof startRunInput>,
): Promise<{ run: Run; instances: number; instance_ids: string[] }> {
  return startHttpRun(ctx.db, input);
}

/** Claims items; with wait_ms, holds the call while nothing is claimable (ends early when `signal` aborts). */
export function claim(
  ctx: ServiceContext,
  input: z.output<typeof claimInput>,
  signal?: AbortSignal,
): Promise<ClaimedItem[]> {
  return claimWorkWaiting(ctx.db, input, signal);
}

export function heartbeat(ctx: ServiceContext, input: z.output<typeof heartbeatInput>): Promise<LeaseState[]> {
  return heartbeatWork(ctx.db, input);
}

export function report(ctx: ServiceContext, input: z.output<typeof reportInput>): Promise<ReportResult[]> {
  return reportSteps(ctx.db, input);
}

export function complete(ctx: ServiceContext, input: z.output<typeof completeInput>): Promise<FinishResult> {
  return completeWork(ctx.db, input);
}

/** Several completions of one worker in one transaction; each item's answer on its own (see completeWorkMany). */
export function completeMany(
  ctx: ServiceContext,
  input: z.output<typeof completeManyInput>,
): Promise<CompletionResult[]> {
  return completeWorkMany(ctx.db, input);
}

export function fail(ctx: ServiceContext, input: z.output<typeof failInput>): Promise<FinishResult> {
  return failWork(ctx.db, input);
}

export function handBack(ctx: ServiceContext, input: z.output<typeof handBackInput>) {
  return handBackWork(ctx.db, input);
}

export function reap(ctx: ServiceContext) {
  return reapQueue(ctx.db);
}

export function listQueue(ctx: ServiceContext, input: z.output<typeof queueListInput>): Promise<Page<WorkItem>> {
  return listWorkItems(ctx.db, input);
}

export function getItem(ctx: ServiceContext, itemId: string): Promise<WorkItem> {
  return getWorkItem(ctx.db, itemId);
}

export function counts(ctx: ServiceContext): Promise<QueueCounts> {
  return queueCounts(ctx.db);
}
