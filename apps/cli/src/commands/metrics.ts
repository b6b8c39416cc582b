import type { Command } from "commander";
import { benchmarkRunInput, scalarMetricName } from "@verdict/schema";
import { withApi } from "../api.js";
import { UsageError } from "../errors.js";
import { globalsOf, parsePositiveInt, isoFlag } from "../globals.js";
import { readStructuredFile } from "../input-files.js";
import { color, info, printJson, printKeyValues, printTable } from "../output.js";

const BARS = "▁▂▃▄▅▆▇█";

export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return "";
  const min = Math.min(...values);
  const max = Math.max(...values);
  return values
    .map((v) => BARS[max === min ? 3 : Math.round(((v - min) / (max - min)) * (BARS.length - 1))] ?? "")
    .join("");
}

function parseThreshold(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new UsageError(`--threshold: expected a non-negative percent, got '${value}'`);
  return n;
}

export function registerMetricsCommands(program: Command): void {
  const metrics = program.command("metrics").description("benchmark runs and their metrics");
  metrics
    .command("record <file>")
    .description("record a benchmark run from a gao-dev BenchmarkMetrics JSON (or YAML) file")
    .action(async (file: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const input = readStructuredFile(file, benchmarkRunInput);
      const run = await withApi(g, (api) => api.metrics.record.mutate(input));
      if (g.json) return printJson(run);
      info(`${color.green("recorded")} ${run.run_id} (${run.project_name} / ${run.benchmark_name} @ ${run.timestamp})`);
    });
  metrics
    .command("list")
    .option("--project <name>")
    .option("--benchmark <name>")
    .option("--since <time>")
    .option("--until <time>")
    .option("--limit <n>", "rows", "20")
    .action(
      async (
        opts: { project?: string; benchmark?: string; since?: string; until?: string; limit: string },
        cmd: Command,
      ) => {
        const g = globalsOf(cmd);
        const since = isoFlag("--since", opts.since);
        const until = isoFlag("--until", opts.until);
        const limit = parsePositiveInt("--limit", opts.limit) ?? 20;
        const page = await withApi(g, (api) =>
          api.metrics.list.query({
            limit,
            ...(opts.project ? { project_name: opts.project } : {}),
            ...(opts.benchmark ? { benchmark_name: opts.benchmark } : {}),
            ...(since ? { since } : {}),
            ...(until ? { until } : {}),
          }),
        );
        if (g.json) return printJson(page);
        printTable(
          page.items.map((r) => ({
            run_id: r.run_id,
            timestamp: r.timestamp,
            project: r.project_name,
            benchmark: r.benchmark_name,
            version: r.version,
            time_s: r.performance.total_time_seconds,
            tokens: r.performance.token_usage_total,
            coverage: r.quality.code_coverage_percentage,
            one_shot: r.autonomy.one_shot_success_rate,
          })),
          ["run_id", "timestamp", "project", "benchmark", "version", "time_s", "tokens", "coverage", "one_shot"],
        );
      },
    );
  metrics.command("show <run>").action(async (runId: string, _o: unknown, cmd: Command) => {
    const g = globalsOf(cmd);
    const r = await withApi(g, (api) => api.metrics.get.query({ run_id: runId }));
    if (g.json) return printJson(r);
    printKeyValues({
      run_id: r.run_id,
      timestamp: r.timestamp,
      project: r.project_name,
      benchmark: r.benchmark_name,
      version: r.version,
    });
    for (const group of ["performance", "autonomy", "quality", "workflow"] as const) {
      process.stdout.write(`\n${color.bold(group)}\n`);
      const values = r[group] as Record<string, unknown>;
      printKeyValues(
        Object.fromEntries(
          Object.entries(values).map(([k, v]) => [k, typeof v === "object" ? JSON.stringify(v) : (v as number)]),
        ),
      );
    }
  });
  metrics
    .command("compare <runA> <runB>")
    .option("--threshold <percent>", "smallest change that counts", "5")
    .action(async (a: string, b: string, opts: { threshold: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const threshold = parseThreshold(opts.threshold) ?? 5;
      const r = await withApi(g, (api) =>
        api.metrics.compare.query({ run_a: a, run_b: b, threshold_percent: threshold }),
      );
      if (g.json) return printJson(r);
      printTable(
        r.metrics.map((m) => ({
          metric: m.metric,
          a: m.a,
          b: m.b,
          delta: m.delta,
          "%": m.pct_delta === null ? "new" : `${m.pct_delta >= 0 ? "+" : ""}${m.pct_delta.toFixed(1)}%`,
          verdict:
            m.verdict === "improved"
              ? color.green(m.verdict)
              : m.verdict === "regressed"
                ? color.red(m.verdict)
                : color.dim(m.verdict),
        })),
        ["metric", "a", "b", "delta", "%", "verdict"],
      );
      info(
        `${r.summary.improved} improved, ${r.summary.regressed} regressed, ${r.summary.unchanged} unchanged (threshold ${r.threshold_percent}%)`,
      );
    });
  metrics
    .command("trend <metric>")
    .option("--project <name>")
    .option("--benchmark <name>")
    .option("--last <n>", "runs", "10")
    .option("--threshold <percent>", "smallest change that is not stable", "5")
    .action(
      async (
        metric: string,
        opts: { project?: string; benchmark?: string; last: string; threshold: string },
        cmd: Command,
      ) => {
        const g = globalsOf(cmd);
        const name = scalarMetricName.safeParse(metric);
        if (!name.success)
          throw new UsageError(`METRIC: unknown metric '${metric}' (one of ${scalarMetricName.options.join(", ")})`);
        const last = parsePositiveInt("--last", opts.last) ?? 10;
        const threshold = parseThreshold(opts.threshold) ?? 5;
        const t = await withApi(g, (api) =>
          api.metrics.trend.query({
            metric: name.data,
            last,
            threshold_percent: threshold,
            ...(opts.project ? { project_name: opts.project } : {}),
            ...(opts.benchmark ? { benchmark_name: opts.benchmark } : {}),
          }),
        );
        if (g.json) return printJson(t);
        const values = t.points.map((p) => p.value);
        const verdict =
          t.verdict === "improving"
            ? color.green(t.verdict)
            : t.verdict === "degrading"
              ? color.red(t.verdict)
              : color.dim(t.verdict);
        process.stdout.write(`${color.bold(t.metric)}  ${sparkline(values)}  ${verdict}\n`);
        if (t.stats) {
          const s = t.stats;
          printKeyValues({
            runs: s.count,
            mean: s.mean,
            median: s.median,
            stddev: s.stddev,
            min: s.min,
            max: s.max,
            slope: s.slope,
            pct_change: s.pct_change,
          });
        }
      },
    );
}
