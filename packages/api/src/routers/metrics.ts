import type { TRPCRouterRecord } from "@trpc/server";
import {
  averageMetrics,
  deleteBenchmarkRun,
  exportBenchmarkRuns,
  getBenchmarkRun,
  importBenchmarkRuns,
  latestBenchmarkRuns,
  listBenchmarkRuns,
  recordBenchmarkRun,
} from "@verdict/db";
import {
  benchmarkExportInput,
  benchmarkImportInput,
  benchmarkListInput,
  benchmarkRunInput,
  benchmarkScopeInput,
  identifier,
  metricAlertsInput,
  metricCheckInput,
  metricCompareInput,
  metricTrendInput,
} from "@verdict/schema";
import { z } from "zod";
import { compareBenchmarkRuns, metricTrend } from "../services/metrics.js";
import { checkBenchmarkRun, metricAlerts } from "../services/metrics-check.js";
import { readProcedure, writeProcedure } from "../trpc.js";

const runRef = z.object({ run_id: identifier });

export const metricsRouter = {
  record: writeProcedure.input(benchmarkRunInput).mutation(({ ctx, input }) => recordBenchmarkRun(ctx.db, input)),
  import: writeProcedure.input(benchmarkImportInput).mutation(({ ctx, input }) => importBenchmarkRuns(ctx.db, input)),
  export: readProcedure
    .input(benchmarkExportInput.prefault({}))
    .query(({ ctx, input }) => exportBenchmarkRuns(ctx.db, input)),
  get: readProcedure.input(runRef).query(({ ctx, input }) => getBenchmarkRun(ctx.db, input.run_id)),
  delete: writeProcedure.input(runRef).mutation(({ ctx, input }) => deleteBenchmarkRun(ctx.db, input.run_id)),
  list: readProcedure
    .input(benchmarkListInput.prefault({}))
    .query(({ ctx, input }) => listBenchmarkRuns(ctx.db, input)),
  latest: readProcedure
    .input(benchmarkScopeInput.prefault({}))
    .query(({ ctx, input }) => latestBenchmarkRuns(ctx.db, input)),
  average: readProcedure
    .input(benchmarkScopeInput.prefault({}))
    .query(({ ctx, input }) => averageMetrics(ctx.db, input)),
  trend: readProcedure.input(metricTrendInput).query(({ ctx, input }) => metricTrend(ctx, input)),
  compare: readProcedure.input(metricCompareInput).query(({ ctx, input }) => compareBenchmarkRuns(ctx, input)),
  check: writeProcedure.input(metricCheckInput).mutation(({ ctx, input }) => checkBenchmarkRun(ctx, input)),
  alerts: readProcedure.input(metricAlertsInput.prefault({})).query(({ ctx, input }) => metricAlerts(ctx, input)),
} satisfies TRPCRouterRecord;
