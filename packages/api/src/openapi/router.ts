/**
 * The REST surface (`/api/v1/…`, described by `/api/openapi.json`) for clients that do not speak
 * tRPC: curl, Python, Go. Each operation is a thin mapping (path and query parameters → the tRPC
 * procedure's input) onto the same procedures the CLI and the dashboard call, through a caller of
 * the app router, so authentication, scopes, validation, business logic and error mapping are the
 * ones of the typed API. Query parameters arrive as strings: numbers and booleans are coerced here,
 * everything else is validated by the procedure itself (its errors name the field).
 * Lists answer `{items, next_cursor}` (pass `next_cursor` back as `cursor`).
 */
import { TRPCError, initTRPC } from "@trpc/server";
import {
  type BenchmarkRunInput,
  type Page,
  type RunInput,
  benchmarkRunInput,
  jsonSchemaFragment,
  runInput,
} from "@verdict/schema";
import type { OpenApiMeta } from "trpc-to-openapi";
import { ZodError, z } from "zod";
import { appRouter } from "../root.js";
import { type Context, createCallerFactory, internalErrorMessage } from "../trpc.js";
import { benchmarkRunOut, gateOut, instanceOut, pageOf, runOut, summaryOut, timelineOut, trendOut } from "./outputs.js";

/**
 * Errors answer `{message, code, field, issues}`: the message names the field (`limit: Invalid
 * input…`), as over tRPC; no stack traces.
 */
const o = initTRPC
  .context<Context>()
  .meta<OpenApiMeta>()
  .create({
    errorFormatter({ shape, error }) {
      const zod = error.cause instanceof ZodError ? error.cause : null;
      const first = zod?.issues[0];
      const field = first ? first.path.map(String).join(".") : null;
      return {
        message: first ? `${field || "input"}: ${first.message}` : shape.message,
        code: shape.data.code,
        data: { code: shape.data.code, httpStatus: shape.data.httpStatus, field },
        ...(zod ? { issues: zod.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })) } : {}),
      } as unknown as typeof shape;
    },
  });
const callerOf = createCallerFactory(appRouter);

/** Faults that are not the client's get the same generic message as over tRPC (the log has the rest). */
const rest = o.procedure.use(async ({ ctx, next }) => {
  const r = await next();
  if (!r.ok && r.error.code === "INTERNAL_SERVER_ERROR")
    throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: internalErrorMessage(ctx.requestId) });
  return r;
});

/**
 * A procedure's result as its response schema's input: the objects are the interfaces of @verdict/db,
 * which TypeScript does not see as matching a loose (index-signature) schema; the schema itself
 * checks the value at run time (tRPC validates every output).
 */
const as = <S extends z.ZodType>(_schema: S, value: object): z.input<S> => value as z.input<S>;

const page = <S extends z.ZodType, T extends object>(schema: S, p: Page<T> & { total?: number | null }): z.input<S> =>
  as(schema, {
    items: p.items,
    next_cursor: p.nextCursor,
    ...(p.total === undefined || p.total === null ? {} : { total: p.total }),
  });

const runPage = pageOf(runOut, "Run");
const instancePage = pageOf(instanceOut, "Instance");
const benchmarkRunPage = pageOf(benchmarkRunOut, "BenchmarkRun");

const limit = z.coerce.number().int().min(1).max(1000).optional().describe("page size (default 50)");
const cursor = z.string().min(1).optional().describe("next_cursor of the previous page");
const runId = z.string().min(1).describe("run id, or latest / previous");
const percentiles = z
  .enum(["linear", "nearest"])
  .optional()
  .describe("percentile method (default linear, as turbulence)");
const boolParam = z.enum(["true", "false"]).transform((v) => v === "true");
const drop = <T extends Record<string, unknown>>(v: T) =>
  Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };

/**
 * A JSON request body validated by the procedure's own zod schema; the document shows that schema's
 * JSON Schema (the same one the hand-written files use), which zod-openapi cannot derive itself from
 * the checked-not-copied JSON fields (custom types).
 */
function body(schema: z.ZodType, id: string) {
  return z.looseObject({}).meta({ id, override: jsonSchemaFragment(schema) as never });
}
const runBody = body(runInput, "RunInput");
const benchmarkRunBody = body(benchmarkRunInput, "BenchmarkRunInput");

const RUNS = ["runs"];
const METRICS = ["metrics"];

export const restRouter = o.router({
  runsList: rest
    .meta({ openapi: { method: "GET", path: "/runs", tags: RUNS, summary: "Runs, newest first" } })
    .input(
      z.object({
        limit,
        cursor,
        sut_name: z.string().min(1).optional(),
        since: z.string().optional().describe("ISO time or relative (1d, 12h)"),
        until: z.string().optional(),
      }),
    )
    .output(runPage)
    .query(async ({ ctx, input }) => page(runPage, await callerOf(ctx).runs.list(drop(input)))),

  runsGet: rest
    .meta({ openapi: { method: "GET", path: "/runs/{run_id}", tags: RUNS, summary: "One run" } })
    .input(z.object({ run_id: runId }))
    .output(runOut)
    .query(async ({ ctx, input }) => as(runOut, await callerOf(ctx).runs.get(input))),

  runsSummary: rest
    .meta({
      openapi: {
        method: "GET",
        path: "/runs/{run_id}/summary",
        tags: RUNS,
        summary: "Counts, pass rate and percentiles, overall and per scenario, action and service",
      },
    })
    .input(z.object({ run_id: runId, percentiles }))
    .output(summaryOut)
    .query(async ({ ctx, input }) => as(summaryOut, await callerOf(ctx).runs.summary(drop(input)))),

  runsInstances: rest
    .meta({ openapi: { method: "GET", path: "/runs/{run_id}/instances", tags: RUNS, summary: "Instances of a run" } })
    .input(
      z.object({
        run_id: runId,
        limit,
        cursor,
        status: z.enum(["pass", "fail"]).optional(),
        scenario_id: z.string().min(1).optional(),
        error_contains: z.string().min(1).optional(),
        has_error: boolParam.optional(),
        with_total: boolParam.optional(),
      }),
    )
    .output(instancePage)
    .query(async ({ ctx, input }) => page(instancePage, await callerOf(ctx).runs.instances.query(drop(input)))),

  runsInstance: rest
    .meta({
      openapi: {
        method: "GET",
        path: "/runs/{run_id}/instances/{instance_id}",
        tags: RUNS,
        summary: "One instance with its steps in order and its assertions",
      },
    })
    .input(z.object({ run_id: runId, instance_id: z.string().min(1) }))
    .output(timelineOut)
    .query(async ({ ctx, input }) => as(timelineOut, await callerOf(ctx).runs.instances.get(input))),

  runsGate: rest
    .meta({
      openapi: {
        method: "GET",
        path: "/runs/{run_id}/gate",
        tags: RUNS,
        summary: "Evaluate turbulence-style thresholds (fail_on=pass_rate>=0.99, repeatable or comma-separated)",
      },
    })
    .input(z.object({ run_id: runId, fail_on: z.string().min(1), percentiles }))
    .output(gateOut)
    .query(async ({ ctx, input }) =>
      as(
        gateOut,
        await callerOf(ctx).runs.gate({
          run_id: input.run_id,
          fail_on: input.fail_on
            .split(",")
            .map((r) => r.trim())
            .filter((r) => r !== ""),
          ...(input.percentiles ? { percentiles: input.percentiles } : {}),
        }),
      ),
    ),

  runsCreate: rest
    .meta({
      openapi: {
        method: "POST",
        path: "/runs",
        tags: RUNS,
        summary: "Create a run (instances are added by import or workers)",
      },
    })
    .input(runBody)
    .output(runOut)
    .mutation(async ({ ctx, input }) => as(runOut, await callerOf(ctx).runs.create(input as RunInput))),

  metricsList: rest
    .meta({ openapi: { method: "GET", path: "/metrics/runs", tags: METRICS, summary: "Benchmark runs, newest first" } })
    .input(
      z.object({
        limit,
        cursor,
        project_name: z.string().min(1).optional(),
        benchmark_name: z.string().min(1).optional(),
        branch: z.string().min(1).optional(),
        since: z.string().optional(),
        until: z.string().optional(),
      }),
    )
    .output(benchmarkRunPage)
    .query(async ({ ctx, input }) => page(benchmarkRunPage, await callerOf(ctx).metrics.list(drop(input)))),

  metricsGet: rest
    .meta({
      openapi: {
        method: "GET",
        path: "/metrics/runs/{run_id}",
        tags: METRICS,
        summary: "One benchmark run with its metrics",
      },
    })
    .input(z.object({ run_id: z.string().min(1) }))
    .output(benchmarkRunOut)
    .query(async ({ ctx, input }) => as(benchmarkRunOut, await callerOf(ctx).metrics.get(input))),

  metricsRecord: rest
    .meta({
      openapi: {
        method: "POST",
        path: "/metrics/runs",
        tags: METRICS,
        summary: "Record a benchmark run with its four metric groups (gao-dev's model), in one transaction",
      },
    })
    .input(benchmarkRunBody)
    .output(benchmarkRunOut)
    .mutation(async ({ ctx, input }) =>
      as(benchmarkRunOut, await callerOf(ctx).metrics.record(input as BenchmarkRunInput)),
    ),

  metricsTrend: rest
    .meta({
      openapi: {
        method: "GET",
        path: "/metrics/trend",
        tags: METRICS,
        summary: "One metric over the last N runs, with its verdict",
      },
    })
    .input(
      z.object({
        metric: z.string().min(1),
        project_name: z.string().min(1).optional(),
        benchmark_name: z.string().min(1).optional(),
        last: z.coerce.number().int().min(1).max(10000).optional(),
        threshold_percent: z.coerce.number().min(0).max(1000).optional(),
      }),
    )
    .output(trendOut)
    .query(async ({ ctx, input }) =>
      as(
        trendOut,
        await callerOf(ctx).metrics.trend(
          drop(input) as Parameters<ReturnType<typeof callerOf>["metrics"]["trend"]>[0],
        ),
      ),
    ),
});

export type RestRouter = typeof restRouter;
