import type { TRPCRouterRecord } from "@trpc/server";
import {
  claimInput,
  completeInput,
  completeManyInput,
  enqueueExecutionsInput,
  failInput,
  handBackInput,
  heartbeatInput,
  identifier,
  queueListInput,
  queueWatchInput,
  reportInput,
  startRunInput,
} from "@verdict/schema";
import { z } from "zod";
import { queueSnapshot, watchQueue } from "../services/queue-watch.js";
import * as queue from "../services/queue.js";
import { readProcedure, writeProcedure } from "../trpc.js";

/** The execution queue: enqueue/start for users, claim → heartbeat/report → complete(Many)/fail/handBack for workers. */
export const queueRouter = {
  enqueue: writeProcedure
    .input(enqueueExecutionsInput)
    .mutation(({ ctx, input }) => queue.enqueueExecutions(ctx, input)),
  startRun: writeProcedure.input(startRunInput).mutation(({ ctx, input }) => queue.startRun(ctx, input)),
  claim: writeProcedure.input(claimInput).mutation(({ ctx, input, signal }) => queue.claim(ctx, input, signal)),
  heartbeat: writeProcedure.input(heartbeatInput).mutation(({ ctx, input }) => queue.heartbeat(ctx, input)),
  report: writeProcedure.input(reportInput).mutation(({ ctx, input }) => queue.report(ctx, input)),
  complete: writeProcedure.input(completeInput).mutation(({ ctx, input }) => queue.complete(ctx, input)),
  /** Many completions in one call and one transaction: an answer per item (finished, already, or refused). */
  completeMany: writeProcedure.input(completeManyInput).mutation(({ ctx, input }) => queue.completeMany(ctx, input)),
  fail: writeProcedure.input(failInput).mutation(({ ctx, input }) => queue.fail(ctx, input)),
  handBack: writeProcedure.input(handBackInput).mutation(({ ctx, input }) => queue.handBack(ctx, input)),
  reap: writeProcedure.mutation(({ ctx }) => queue.reap(ctx)),
  list: readProcedure.input(queueListInput.prefault({})).query(({ ctx, input }) => queue.listQueue(ctx, input)),
  get: readProcedure
    .input(z.object({ item_id: identifier }))
    .query(({ ctx, input }) => queue.getItem(ctx, input.item_id)),
  counts: readProcedure.query(({ ctx }) => queue.counts(ctx)),
  snapshot: readProcedure.input(queueWatchInput.prefault({})).query(({ ctx, input }) => queueSnapshot(ctx, input)),
  /** The snapshot at once and on every change, over SSE (tRPC's httpSubscriptionLink). */
  watch: readProcedure
    .input(queueWatchInput.prefault({}))
    .subscription(({ ctx, input, signal }) => watchQueue(ctx, input, signal)),
} satisfies TRPCRouterRecord;
