import type { TRPCRouterRecord } from "@trpc/server";
import {
  addTrainingSample,
  addTrainingSamples,
  allTrainingSamples,
  createIvrTarget,
  createScenario,
  deleteIvrTarget,
  deleteScenario,
  getIvrTarget,
  listIvrTargets,
  updateIvrTarget,
  finishExecution,
  getExecution,
  getScenario,
  listExecutions,
  listScenarios,
  listStepExecutions,
  listTrainingSamples,
  recordStepExecution,
  replaceScenario,
  recordStepExecutions,
  setTrainingStatus,
  setTrainingThresholds,
  updateScenario,
  startExecution,
} from "@verdict/db";
import {
  executionFinishInput,
  executionListInput,
  executionStartInput,
  rowId,
  ivrTargetDeleteInput,
  ivrTargetInput,
  ivrTargetListInput,
  ivrTargetName,
  ivrTargetUpdate,
  scenarioInput,
  scenarioRef,
  scenarioListInput,
  scenarioReplaceInput,
  scenarioUpdate,
  stepExecutionInput,
  trainingInput,
  trainingListInput,
  trainingSetStatusInput,
  trainingSetThresholdsInput,
  validationStatus,
} from "@verdict/schema";
import { z } from "zod";
import { readProcedure, writeProcedure } from "../trpc.js";

/** A scenario by its numeric scenario_id or its slug. */
const scenarioByRef = z.object({ scenario_id: scenarioRef });
/** `force`: also delete the scenario's executions and their steps (refused with CONFLICT otherwise). */
const scenarioDelete = z.strictObject({ scenario_id: scenarioRef, force: z.boolean().optional() });
const executionRef = z.object({ execution_id: rowId });
const targetRef = z.object({ name: ivrTargetName });

export const ivrRouter = {
  /** Named IVR targets; options never hold a secret (tokens come from the worker's environment by name). */
  targets: {
    create: writeProcedure.input(ivrTargetInput).mutation(({ ctx, input }) => createIvrTarget(ctx.db, input)),
    list: readProcedure.input(ivrTargetListInput.prefault({})).query(({ ctx, input }) => listIvrTargets(ctx.db, input)),
    get: readProcedure.input(targetRef).query(({ ctx, input }) => getIvrTarget(ctx.db, input.name)),
    update: writeProcedure.input(ivrTargetUpdate).mutation(({ ctx, input }) => updateIvrTarget(ctx.db, input)),
    delete: writeProcedure.input(ivrTargetDeleteInput).mutation(({ ctx, input }) => deleteIvrTarget(ctx.db, input)),
  },
  scenarios: {
    create: writeProcedure.input(scenarioInput).mutation(({ ctx, input }) => createScenario(ctx.db, input)),
    get: readProcedure.input(scenarioByRef).query(({ ctx, input }) => getScenario(ctx.db, input.scenario_id)),
    list: readProcedure.input(scenarioListInput.prefault({})).query(({ ctx, input }) => listScenarios(ctx.db, input)),
    update: writeProcedure.input(scenarioUpdate).mutation(({ ctx, input }) => updateScenario(ctx.db, input)),
    replace: writeProcedure.input(scenarioReplaceInput).mutation(({ ctx, input }) => replaceScenario(ctx.db, input)),
    delete: writeProcedure
      .input(scenarioDelete)
      .mutation(({ ctx, input }) =>
        deleteScenario(ctx.db, input.scenario_id, input.force === undefined ? {} : { force: input.force }),
      ),
  },
  executions: {
    start: writeProcedure.input(executionStartInput).mutation(({ ctx, input }) => startExecution(ctx.db, input)),
    finish: writeProcedure.input(executionFinishInput).mutation(({ ctx, input }) => finishExecution(ctx.db, input)),
    get: readProcedure.input(executionRef).query(({ ctx, input }) => getExecution(ctx.db, input.execution_id)),
    list: readProcedure.input(executionListInput.prefault({})).query(({ ctx, input }) => listExecutions(ctx.db, input)),
  },
  steps: {
    record: writeProcedure.input(stepExecutionInput).mutation(({ ctx, input }) => recordStepExecution(ctx.db, input)),
    recordMany: writeProcedure
      .input(z.object({ steps: z.array(stepExecutionInput).min(1).max(10_000) }))
      .mutation(({ ctx, input }) => recordStepExecutions(ctx.db, input.steps)),
    list: readProcedure.input(executionRef).query(({ ctx, input }) => listStepExecutions(ctx.db, input.execution_id)),
  },
  training: {
    add: writeProcedure.input(trainingInput).mutation(({ ctx, input }) => addTrainingSample(ctx.db, input)),
    addMany: writeProcedure
      .input(z.object({ samples: z.array(trainingInput).min(1).max(100_000) }))
      .mutation(({ ctx, input }) => addTrainingSamples(ctx.db, input.samples)),
    list: readProcedure
      .input(trainingListInput.prefault({}))
      .query(({ ctx, input }) => listTrainingSamples(ctx.db, input)),
    setStatus: writeProcedure
      .input(trainingSetStatusInput)
      .mutation(({ ctx, input }) => setTrainingStatus(ctx.db, input)),
    setThresholds: writeProcedure
      .input(trainingSetThresholdsInput)
      .mutation(({ ctx, input }) => setTrainingThresholds(ctx.db, input)),
    export: readProcedure
      .input(
        z
          .object({ validation_status: validationStatus.optional(), intent_label: z.string().min(1).optional() })
          .prefault({}),
      )
      .query(({ ctx, input }) => allTrainingSamples(ctx.db, input)),
  },
} satisfies TRPCRouterRecord;
