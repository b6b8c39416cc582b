import type { TRPCRouterRecord } from "@trpc/server";
import {
  completeRun,
  createRun,
  deleteRun,
  getRun,
  listRuns,
  queryAssertions,
  queryInstances,
  querySteps,
} from "@verdict/db";
import {
  assertionQueryInput,
  identifier,
  instanceQueryInput,
  isoTimestamp,
  runInput,
  runListInput,
  stepQueryInput,
} from "@verdict/schema";
import { z } from "zod";
import { readProcedure, writeProcedure } from "../trpc.js";

const runRef = z.object({ run_id: identifier });

export const runsRouter = {
  create: writeProcedure.input(runInput).mutation(({ ctx, input }) => createRun(ctx.db, input)),
  complete: writeProcedure
    .input(z.object({ run_id: identifier, completed_at: isoTimestamp.optional() }))
    .mutation(({ ctx, input }) => completeRun(ctx.db, input.run_id, input.completed_at ?? new Date().toISOString())),
  get: readProcedure.input(runRef).query(({ ctx, input }) => getRun(ctx.db, input.run_id)),
  list: readProcedure.input(runListInput.prefault({})).query(({ ctx, input }) => listRuns(ctx.db, input)),
  delete: writeProcedure.input(runRef).mutation(({ ctx, input }) => deleteRun(ctx.db, input.run_id)),
  instances: {
    query: readProcedure.input(instanceQueryInput).query(({ ctx, input }) => queryInstances(ctx.db, input)),
  },
  steps: {
    query: readProcedure.input(stepQueryInput).query(({ ctx, input }) => querySteps(ctx.db, input)),
  },
  assertions: {
    query: readProcedure.input(assertionQueryInput).query(({ ctx, input }) => queryAssertions(ctx.db, input)),
  },
} satisfies TRPCRouterRecord;
