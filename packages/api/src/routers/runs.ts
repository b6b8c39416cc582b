import type { TRPCRouterRecord } from "@trpc/server";
import {
  compareRuns,
  completeRun,
  countInstancesByStatus,
  createRun,
  evaluateGate,
  flakyScenarios,
  errorCategories,
  getInstanceTimeline,
  runFailures,
  runReport,
  runSummary,
  scenarioActions,
  serviceStats,
  slowestInstances,
  deleteRun,
  getRun,
  listRuns,
  queryAssertions,
  queryInstances,
  querySteps,
  resolveRunRef,
  type VerdictDb,
} from "@verdict/db";
import {
  assertionQueryInput,
  gateInput,
  identifier,
  instanceGetInput,
  instanceQueryInput,
  isoTimestamp,
  percentileMethod,
  runInput,
  runReportInput,
  runListInput,
  stepQueryInput,
} from "@verdict/schema";
import { z } from "zod";
import { readProcedure, writeProcedure } from "../trpc.js";

const runRef = z.object({ run_id: identifier });

/**
 * A read's run id with `latest`/`previous` resolved (the newest and second-newest complete run; a run
 * whose id is literally one of them wins), as `runs compare` takes them.
 */
async function resolved<T extends { run_id: string }>(db: VerdictDb, input: T): Promise<T> {
  return { ...input, run_id: await resolveRunRef(db, input.run_id) };
}

export const runsRouter = {
  create: writeProcedure.input(runInput).mutation(({ ctx, input }) => createRun(ctx.db, input)),
  complete: writeProcedure
    .input(z.object({ run_id: identifier, completed_at: isoTimestamp.optional() }))
    .mutation(({ ctx, input }) => completeRun(ctx.db, input.run_id, input.completed_at ?? new Date().toISOString())),
  get: readProcedure
    .input(runRef)
    .query(async ({ ctx, input }) => getRun(ctx.db, (await resolved(ctx.db, input)).run_id)),
  list: readProcedure.input(runListInput.prefault({})).query(({ ctx, input }) => listRuns(ctx.db, input)),
  /** Instance counts as `runs summary` counts them (pass, fail, undecided `passed: null`, error, pass rate). */
  counts: readProcedure
    .input(runRef)
    .query(async ({ ctx, input }) => countInstancesByStatus(ctx.db, await resolveRunRef(ctx.db, input.run_id))),
  delete: writeProcedure.input(runRef).mutation(({ ctx, input }) => deleteRun(ctx.db, input.run_id)),
  instances: {
    query: readProcedure
      .input(instanceQueryInput)
      .query(async ({ ctx, input }) => queryInstances(ctx.db, await resolved(ctx.db, input))),
    /** One instance with its steps in order (observation and assertions of each) and its assertions. */
    get: readProcedure
      .input(instanceGetInput)
      .query(async ({ ctx, input }) =>
        getInstanceTimeline(ctx.db, await resolveRunRef(ctx.db, input.run_id), input.instance_id),
      ),
  },
  steps: {
    query: readProcedure
      .input(stepQueryInput)
      .query(async ({ ctx, input }) => querySteps(ctx.db, await resolved(ctx.db, input))),
  },
  assertions: {
    query: readProcedure
      .input(assertionQueryInput)
      .query(async ({ ctx, input }) => queryAssertions(ctx.db, await resolved(ctx.db, input))),
  },
  summary: readProcedure
    .input(
      runRef.extend({ scenario_steps: z.boolean().default(false), percentiles: percentileMethod.default("linear") }),
    )
    .query(async ({ ctx, input }) =>
      runSummary(ctx.db, await resolveRunRef(ctx.db, input.run_id), {
        stepLatencyByScenario: input.scenario_steps,
        percentiles: input.percentiles,
      }),
    ),
  failures: readProcedure
    .input(runRef.extend({ top: z.number().int().min(1).max(1000).default(10) }))
    .query(async ({ ctx, input }) =>
      runFailures(ctx.db, await resolveRunRef(ctx.db, input.run_id), { top: input.top }),
    ),
  /** B against baseline A; `latest`/`previous` name the newest runs (of `sut_name` when given). */
  compare: readProcedure
    .input(
      z.object({
        run_a: identifier,
        run_b: identifier,
        examples: z.number().int().min(0).max(1000).default(20),
        alpha: z.number().gt(0).lt(1).default(0.05),
        sut_name: z.string().min(1).optional(),
      }),
    )
    .query(({ ctx, input }) =>
      compareRuns(ctx.db, input.run_a, input.run_b, {
        examples: input.examples,
        alpha: input.alpha,
        ...(input.sut_name ? { sut: input.sut_name } : {}),
      }),
    ),
  flaky: readProcedure
    .input(z.object({ sut_name: z.string().min(1), last: z.number().int().min(1).max(1000).default(10) }))
    .query(({ ctx, input }) => flakyScenarios(ctx.db, input.sut_name, { last: input.last })),
  gate: readProcedure
    .input(gateInput.extend({ run_id: identifier, percentiles: percentileMethod.default("linear") }))
    .query(async ({ ctx, input }) =>
      evaluateGate(ctx.db, await resolveRunRef(ctx.db, input.run_id), input.fail_on, {
        percentiles: input.percentiles,
      }),
    ),
  /** Every question of turbulence's report at once (and the slowest instances). */
  report: readProcedure
    .input(runReportInput)
    .query(async ({ ctx, input }) => runReport(ctx.db, await resolveRunRef(ctx.db, input.run_id), input)),
  /** Per scenario × action: steps, not-ok steps, mean and p50/p95/p99 latency. */
  actions: readProcedure
    .input(runReportInput)
    .query(async ({ ctx, input }) => scenarioActions(ctx.db, await resolveRunRef(ctx.db, input.run_id), input)),
  /** Per service: requests, not-ok steps, latency percentiles. */
  services: readProcedure
    .input(runReportInput)
    .query(async ({ ctx, input }) => serviceStats(ctx.db, await resolveRunRef(ctx.db, input.run_id), input)),
  /** Turbulence's error categories with counts and example instances. */
  errors: readProcedure
    .input(runReportInput)
    .query(async ({ ctx, input }) => errorCategories(ctx.db, await resolveRunRef(ctx.db, input.run_id), input)),
  slowest: readProcedure
    .input(runReportInput)
    .query(async ({ ctx, input }) => slowestInstances(ctx.db, await resolveRunRef(ctx.db, input.run_id), input)),
} satisfies TRPCRouterRecord;
