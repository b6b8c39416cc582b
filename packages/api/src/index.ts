export { appRouter, type AppRouter } from "./root.js";
export { createCaller, createLocalClient } from "./local-app.js";
export {
  createVerdictClient,
  trpcEndpoint,
  type RouterInputs,
  type RouterOutputs,
  type VerdictClient,
} from "./client.js";
export { type Context, type Caller, createLocalContext } from "./trpc.js";
export {
  startServer,
  isLoopback,
  jsonLogger,
  pinoLogger,
  ServerConfigError,
  type ServerOptions,
  type RunningServer,
  type Logger,
  type LogEntry,
} from "./server.js";
export { toTRPCError } from "./errors.js";
export { createLog, type LogLevel } from "./log.js";
export { parseAllowedHost } from "./hosts.js";
export { seriesStats, type SeriesStats } from "./services/stats.js";
export { compareBenchmarkRuns, metricTrend, type MetricDelta, type MetricTrend } from "./services/metrics.js";
export { checkBenchmarkRun } from "./services/metrics-check.js";
export { judgeMetric, predictionTTest } from "./services/metrics-regression.js";
