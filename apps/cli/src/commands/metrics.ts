import type { Command } from "commander";
import { databaseFiles } from "@verdict/db";
import {
  type BenchmarkRun,
  DIMENSIONS,
  type Dimension,
  type MetricCheckRule,
  benchmarkRunInputInZone,
  metricCheckRule,
  metricDirection,
  metricTestKind,
  rulesOf,
  scalarMetricName,
  thresholdsFile,
  toGaoCsvFiles,
  toGaoJsonArray,
} from "@verdict/schema";
import { apiFailure, withApi } from "../api.js";
import { UsageError } from "../errors.js";
import { type GlobalOptions, globalsOf, oneOf, parsePositiveInt } from "../globals.js";
import { readStructuredFile } from "../input-files.js";
import { color, info, printJson, printKeyValues, printTable, printPage } from "../output.js";
import { boundFlag, gitDimensions, readImportPath, tzFlag, writeExport } from "./metrics-files.js";
import { examples } from "../help.js";

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

function numberFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new UsageError(`${flag}: expected a number, got '${value}'`);
  return n;
}

const collect = (value: string, previous: string[]) => [...previous, value];

interface FilterOpts {
  project?: string;
  benchmark?: string;
  branch?: string;
  testbed?: string;
  commit?: string;
  since?: string;
  until?: string;
  tz?: string;
}

/** Adds the list filters shared by list, export, average and trend. */
function withFilters(cmd: Command, time = true): Command {
  cmd
    .option("--project <name>")
    .option("--benchmark <name>")
    .option("--branch <name>")
    .option("--testbed <name>")
    .option("--commit <sha>");
  if (time)
    cmd
      .option("--since <time>", "from this time (a date: from its start)")
      .option("--until <time>", "through this time (a date: through its end)")
      .option("--tz <zone>", "zone of --since/--until without one (IANA name; default UTC)");
  return cmd;
}

function filterInput(opts: FilterOpts) {
  const zone = tzFlag(opts.tz);
  const since = boundFlag("--since", opts.since, zone);
  const until = boundFlag("--until", opts.until, zone);
  return {
    ...(opts.project ? { project_name: opts.project } : {}),
    ...(opts.benchmark ? { benchmark_name: opts.benchmark } : {}),
    ...(opts.branch ? { branch: opts.branch } : {}),
    ...(opts.testbed ? { testbed: opts.testbed } : {}),
    ...(opts.commit ? { commit: opts.commit } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
  };
}

function dimensionFlags(opts: { branch?: string; testbed?: string; commit?: string; git?: boolean }) {
  const dims: Partial<Record<Dimension, string>> = opts.git ? gitDimensions() : {};
  for (const d of DIMENSIONS) {
    const v = opts[d];
    if (v !== undefined) dims[d] = v;
  }
  return dims;
}

interface ImportOpts {
  replace?: boolean;
  tz?: string;
  keepUnknown?: boolean;
  branch?: string;
  testbed?: string;
  commit?: string;
  git?: boolean;
}

async function importPaths(g: GlobalOptions, paths: string[], opts: ImportOpts): Promise<void> {
  const zone = tzFlag(opts.tz);
  const dimensions = dimensionFlags(opts);
  const summary: { path: string; inserted: number; replaced: number; skipped: number; error: string | null }[] = [];
  let failed = 0;
  await withApi(g, async (api) => {
    for (const path of paths) {
      let read: ReturnType<typeof readImportPath>;
      try {
        read = readImportPath(path, { zone, keepUnknown: Boolean(opts.keepUnknown), dimensions });
      } catch (e) {
        // A file that cannot be read at all (not SQLite, not gao-dev's schema, unreadable) fails alone.
        const message = e instanceof Error ? e.message : String(e);
        process.stderr.write(`${color.red("error:")} ${message.startsWith(path) ? message : `${path}: ${message}`}\n`);
        summary.push({ path, inserted: 0, replaced: 0, skipped: 0, error: message });
        failed++;
        continue;
      }
      if (read.lines.length > 0) {
        // Every problem of the file, one line each; the file is not imported at all.
        for (const line of read.lines) process.stderr.write(`${color.red("error:")} ${line}\n`);
        summary.push({ path, inserted: 0, replaced: 0, skipped: 0, error: `${read.lines.length} problem(s)` });
        failed++;
        continue;
      }
      try {
        const r = await api.metrics.import.mutate({
          runs: read.runs,
          replace: Boolean(opts.replace),
          partial: read.partial,
        });
        summary.push({
          path,
          inserted: r.inserted.length,
          replaced: r.replaced.length,
          skipped: r.skipped.length,
          error: null,
        });
        if (!g.json)
          info(
            `${color.green("imported")} ${path} (${read.kind}): ${r.inserted.length} new, ${r.replaced.length} replaced, ${r.skipped.length} unchanged`,
          );
      } catch (e) {
        const message = apiFailure(e)?.message ?? (e instanceof Error ? e.message : String(e));
        process.stderr.write(`${color.red("error:")} ${path}: ${message}\n`);
        summary.push({ path, inserted: 0, replaced: 0, skipped: 0, error: message });
        failed++;
      }
    }
  });
  if (g.json) printJson({ files: summary });
  if (failed > 0) process.exitCode = 1;
}

export function registerMetricsCommands(program: Command): void {
  const metrics = program
    .command("metrics")
    .addHelpText(
      "after",
      examples("verdict metrics list --project todo-app", "verdict metrics compare seed-bench-1 seed-bench-2"),
    )
    .description("benchmark runs and their metrics");
  metrics
    .command("record <file>")
    .addHelpText("after", examples("verdict metrics record run1.json", "verdict metrics record run.yaml --json"))
    .description("record a benchmark run from a gao-dev BenchmarkMetrics JSON (or YAML) file")
    .option("--tz <zone>", "zone of a timestamp written without one (IANA name; default UTC)")
    .option("--branch <name>", "branch of the run (overrides the file)")
    .option("--testbed <name>", "testbed of the run (overrides the file)")
    .option("--commit <sha>", "commit of the run (overrides the file)")
    .option("--git", "branch and commit from the git checkout here")
    .action(
      async (
        file: string,
        opts: { tz?: string; branch?: string; testbed?: string; commit?: string; git?: boolean },
        cmd: Command,
      ) => {
        const g = globalsOf(cmd);
        const zone = tzFlag(opts.tz);
        const dims = dimensionFlags(opts);
        const parsed = readStructuredFile(file, benchmarkRunInputInZone(zone));
        const gitSha = parsed.metadata.git_sha;
        const input = {
          ...parsed,
          ...(parsed.commit == null && typeof gitSha === "string" && gitSha !== "" ? { commit: gitSha } : {}),
          ...dims,
        };
        const run = await withApi(g, (api) => api.metrics.record.mutate(input));
        if (g.json) return printJson(run);
        info(
          `${color.green("recorded")} ${run.run_id} (${run.project_name} / ${run.benchmark_name} @ ${run.timestamp})`,
        );
      },
    );
  metrics
    .command("import <paths...>")
    .addHelpText(
      "after",
      examples(
        "verdict metrics import export_run1.json csv/ metrics.db",
        "verdict metrics import runs/ --branch main --git --replace",
      ),
    )
    .description(
      "import gao-dev metrics: to_json() files, JSON export arrays, CSV export folders, metrics.db files (read-only); all or nothing per path",
    )
    .option("--replace", "replace runs already stored with different content")
    .option("--tz <zone>", "zone of timestamps written without one (IANA name; default UTC)")
    .option("--keep-unknown", "keep unknown keys under metadata.unknown_fields instead of refusing the file")
    .option("--branch <name>", "branch of every run (overrides the file)")
    .option("--testbed <name>", "testbed of every run (overrides the file)")
    .option("--commit <sha>", "commit of every run (overrides the file)")
    .option("--git", "branch and commit from the git checkout here")
    .action(async (paths: string[], opts: ImportOpts, cmd: Command) => importPaths(globalsOf(cmd), paths, opts));
  withFilters(
    metrics
      .command("export")
      .addHelpText(
        "after",
        examples(
          "verdict metrics export --format json --out metrics.json",
          "verdict metrics export --format csv --out csv-export/ --project todo-app",
        ),
      )
      .description("export runs in gao-dev's shapes: a JSON array file, or a CSV folder (runs.csv + one per group)")
      .requiredOption("--format <format>", "json or csv")
      .requiredOption("--out <path>", "file (json) or folder (csv) to create")
      .option("--force", "overwrite an existing --out"),
  ).action(async (opts: FilterOpts & { format: string; out: string; force?: boolean }, cmd: Command) => {
    const g = globalsOf(cmd);
    const format = oneOf("--format", opts.format, ["json", "csv"] as const);
    const filter = filterInput(opts);
    const runs = await withApi(g, (api) => api.metrics.export.query(filter));
    writeExport(opts.out, format === "json" ? toGaoJsonArray(runs) : toGaoCsvFiles(runs), {
      force: Boolean(opts.force),
      protect: g.server ? [] : databaseFiles(g.db),
    });
    if (g.json) return printJson({ out: opts.out, format, runs: runs.length });
    info(`${color.green("exported")} ${runs.length} run(s) to ${opts.out} (${format})`);
  });
  withFilters(
    metrics
      .command("list")
      .description("list benchmark runs, newest first")
      .addHelpText(
        "after",
        examples("verdict metrics list", "verdict metrics list --project todo-app --branch main --since 2026-11-01"),
      )
      .option("--limit <n>", "rows", "20"),
  ).action(async (opts: FilterOpts & { limit: string }, cmd: Command) => {
    const g = globalsOf(cmd);
    const limit = parsePositiveInt("--limit", opts.limit) ?? 20;
    const filter = filterInput(opts);
    const page = await withApi(g, (api) => api.metrics.list.query({ limit, ...filter }));
    if (g.json) return printPage(page);
    printTable(
      page.items.map((r) => ({
        ...runIdentity(r),
        time_s: r.performance.total_time_seconds,
        tokens: r.performance.token_usage_total,
        coverage_pct: r.quality.code_coverage_percentage,
        one_shot: r.autonomy.one_shot_success_rate,
      })),
      [
        "run_id",
        "timestamp",
        "project",
        "benchmark",
        "version",
        "branch",
        "testbed",
        "time_s",
        "tokens",
        "coverage_pct",
        "one_shot",
      ],
    );
  });
  metrics
    .command("show <run>")
    .description("one benchmark run with all its metrics")
    .addHelpText("after", examples("verdict metrics show seed-bench-2", "verdict metrics show seed-bench-2 --json"))
    .action(async (runId: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = await withApi(g, (api) => api.metrics.get.query({ run_id: runId }));
      if (g.json) return printJson(r);
      printKeyValues({ ...runIdentity(r), commit: r.commit });
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
    .addHelpText(
      "after",
      examples(
        "verdict metrics compare seed-bench-1 seed-bench-2",
        "verdict metrics compare seed-bench-1 seed-bench-2 --threshold 10 --fail-on-regression",
      ),
    )
    .description("per metric: change from A to B, its direction and, separately, whether it is significant")
    .option("--threshold <percent>", "smallest change that is significant", "5")
    .option("--fail-on-regression", "exit 2 when a metric regressed significantly")
    .action(async (a: string, b: string, opts: { threshold: string; failOnRegression?: boolean }, cmd: Command) => {
      const g = globalsOf(cmd);
      const threshold = parseThreshold(opts.threshold) ?? 5;
      const r = await withApi(g, (api) =>
        api.metrics.compare.query({ run_a: a, run_b: b, threshold_percent: threshold }),
      );
      if (opts.failOnRegression && r.summary.significant_regressions > 0) process.exitCode = 2;
      if (g.json) return printJson(r);
      printTable(
        r.metrics.map((m) => ({
          metric: m.metric,
          a: m.a,
          b: m.b,
          delta: m.delta,
          change_pct: m.zero_baseline
            ? m.delta === 0
              ? "0 (A is 0)"
              : "n/a (A is 0)"
            : `${(m.pct_delta ?? 0) >= 0 ? "+" : ""}${(m.pct_delta ?? 0).toFixed(1)}`,
          direction:
            m.direction === "improved"
              ? color.green(m.direction)
              : m.direction === "regressed"
                ? color.red(m.direction)
                : color.dim(m.direction),
          significant: m.significant ? "yes" : "no",
        })),
        ["metric", "a", "b", "delta", "change_pct", "direction", "significant"],
      );
      info(
        `${r.summary.improved} improved, ${r.summary.regressed} regressed, ${r.summary.unchanged} unchanged; ` +
          `significant (≥ ${r.threshold_percent}%): ${r.summary.significant_regressions} regressed, ${r.summary.significant_improvements} improved`,
      );
    });
  withFilters(
    metrics
      .command("trend <metric>")
      .description("a metric over the last N runs, with its direction (improving, stable, worsening)")
      .addHelpText(
        "after",
        examples(
          "verdict metrics trend total_time_seconds --last 20",
          "verdict metrics trend code_coverage_percentage --project todo-app",
        ),
      ),
    false,
  )
    .option("--last <n>", "runs", "10")
    .option("--threshold <percent>", "smallest change (percent of the mean) that is not stable", "5")
    .action(async (metric: string, opts: FilterOpts & { last: string; threshold: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const name = scalarMetricName.safeParse(metric);
      if (!name.success)
        throw new UsageError(`METRIC: unknown metric '${metric}' (one of ${scalarMetricName.options.join(", ")})`);
      const last = parsePositiveInt("--last", opts.last) ?? 10;
      const threshold = parseThreshold(opts.threshold) ?? 5;
      const t = await withApi(g, (api) =>
        api.metrics.trend.query({ metric: name.data, last, threshold_percent: threshold, ...filterInput(opts) }),
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
          r_squared: s.r_squared,
          pct_change: s.pct_change,
        });
      }
    });
  metrics
    .command("delete <run>")
    .addHelpText("after", examples("verdict metrics delete seed-bench-1"))
    .description("delete a run, its metrics and its alerts")
    .action(async (runId: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = await withApi(g, (api) => api.metrics.delete.mutate({ run_id: runId }));
      if (g.json) return printJson(r);
      info(`${color.green("deleted")} ${runId}`);
    });
  withFilters(
    metrics
      .command("average")
      .addHelpText(
        "after",
        examples("verdict metrics average --last 10", "verdict metrics average --project todo-app --json"),
      )
      .description("mean of every scalar metric over the last N runs"),
    false,
  )
    .option("--last <n>", "runs", "10")
    .action(async (opts: FilterOpts & { last: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const last = parsePositiveInt("--last", opts.last) ?? 10;
      const r = await withApi(g, (api) => api.metrics.average.query({ ...filterInput(opts), last }));
      if (g.json) return printJson(r);
      if (r.averages === null) return info("no runs match");
      info(`average over ${r.runs} run(s)`);
      printKeyValues(r.averages);
    });
  metrics
    .command("check <run>")
    .addHelpText(
      "after",
      examples(
        "verdict metrics check seed-bench-2 --thresholds thresholds.yaml",
        "verdict metrics check seed-bench-2 --metric total_time_seconds --test percent --max-percent 10",
      ),
    )
    .description("judge a run against its baseline window; exit 2 on a regression (stored as alerts)")
    .option("--thresholds <file>", "checked-in rules (YAML or JSON): { window?, metrics: { NAME: { test, ... } } }")
    .option("--metric <name>", "metric to check with the flags below (repeatable)", collect, [])
    .option("--test <test>", "static, percent, zscore or ttest", "zscore")
    .option("--direction <dir>", "lower or higher is better (default: the metric's own)")
    .option("--min <n>", "static: lowest allowed value")
    .option("--max <n>", "static: highest allowed value")
    .option("--max-percent <n>", "percent: largest allowed worsening, in % of the baseline mean")
    .option("--max-z <n>", "zscore: largest allowed worsening, in baseline standard deviations (default 3)")
    .option("--alpha <p>", "ttest: one-sided significance level (default 0.05)")
    .option("--window <n>", "baseline: the last N runs before this one (default 10, or the file's)")
    .option("--branch <name>", "baseline branch (default: the run's)")
    .option("--testbed <name>", "baseline testbed (default: the run's)")
    .option("--no-store", "do not store the regressions as alerts")
    .action(
      async (
        runId: string,
        opts: {
          thresholds?: string;
          metric: string[];
          test: string;
          direction?: string;
          min?: string;
          max?: string;
          maxPercent?: string;
          maxZ?: string;
          alpha?: string;
          window?: string;
          branch?: string;
          testbed?: string;
          store: boolean;
        },
        cmd: Command,
      ) => {
        const g = globalsOf(cmd);
        const file = opts.thresholds ? readStructuredFile(opts.thresholds, thresholdsFile) : undefined;
        const rules = new Map<string, MetricCheckRule>((file ? rulesOf(file) : []).map((r) => [r.metric, r]));
        for (const metric of opts.metric) {
          const raw = {
            metric,
            test: oneOf("--test", opts.test, metricTestKind.options),
            ...(opts.direction ? { direction: oneOf("--direction", opts.direction, metricDirection.options) } : {}),
            ...(opts.min !== undefined ? { min: numberFlag("--min", opts.min) } : {}),
            ...(opts.max !== undefined ? { max: numberFlag("--max", opts.max) } : {}),
            ...(opts.maxPercent !== undefined ? { max_percent: numberFlag("--max-percent", opts.maxPercent) } : {}),
            ...(opts.maxZ !== undefined ? { max_z: numberFlag("--max-z", opts.maxZ) } : {}),
            ...(opts.alpha !== undefined ? { alpha: numberFlag("--alpha", opts.alpha) } : {}),
          };
          const rule = metricCheckRule.safeParse(raw);
          if (!rule.success) {
            const issue = rule.error.issues[0];
            throw new UsageError(
              `--metric ${metric}: ${issue?.path.join(".") || "rule"}: ${issue?.message ?? "invalid"}`,
            );
          }
          rules.set(metric, rule.data);
        }
        if (rules.size === 0) throw new UsageError("nothing to check: give --thresholds FILE or --metric NAME");
        const window = parsePositiveInt("--window", opts.window) ?? file?.window ?? 10;
        if (window < 2) throw new UsageError("--window: the baseline needs at least 2 runs");
        const report = await withApi(g, (api) =>
          api.metrics.check.mutate({
            run_id: runId,
            window,
            rules: [...rules.values()],
            store: opts.store,
            ...(opts.branch ? { branch: opts.branch } : {}),
            ...(opts.testbed ? { testbed: opts.testbed } : {}),
          }),
        );
        if (report.regressions > 0) process.exitCode = 2;
        if (g.json) return printJson(report);
        printTable(
          report.results.map((r) => ({
            metric: r.metric,
            test: r.test,
            better: r.direction,
            value: r.value,
            baseline_mean: r.baseline.mean,
            baseline_sd: r.baseline.stddev,
            statistic: r.statistic,
            p: r.p_value,
            status:
              r.status === "regression"
                ? color.red(r.status)
                : r.status === "ok"
                  ? color.green(r.status)
                  : color.yellow(r.status),
          })),
          ["metric", "test", "better", "value", "baseline_mean", "baseline_sd", "statistic", "p", "status"],
        );
        for (const r of report.results) if (r.status !== "ok") info(`${r.metric} (${r.test}): ${r.reason}`);
        info(
          `${report.regressions} regression(s) in ${report.run_id} against ${report.baseline_run_ids.length} baseline run(s)` +
            `${report.branch ? ` on branch ${report.branch}` : ""}${report.testbed ? ` on testbed ${report.testbed}` : ""}`,
        );
      },
    );
  metrics
    .command("alerts")
    .addHelpText(
      "after",
      examples("verdict metrics alerts", "verdict metrics alerts --project todo-app --metric total_time_seconds"),
    )
    .description("regressions stored by metrics check, newest first")
    .option("--run <id>")
    .option("--project <name>")
    .option("--benchmark <name>")
    .option("--branch <name>")
    .option("--testbed <name>")
    .option("--metric <name>")
    .option("--limit <n>", "rows", "50")
    .action(
      async (
        opts: {
          run?: string;
          project?: string;
          benchmark?: string;
          branch?: string;
          testbed?: string;
          metric?: string;
          limit: string;
        },
        cmd: Command,
      ) => {
        const g = globalsOf(cmd);
        const metric = opts.metric === undefined ? undefined : oneOf("--metric", opts.metric, scalarMetricName.options);
        const page = await withApi(g, (api) =>
          api.metrics.alerts.query({
            limit: parsePositiveInt("--limit", opts.limit) ?? 50,
            ...(opts.run ? { run_id: opts.run } : {}),
            ...(opts.project ? { project_name: opts.project } : {}),
            ...(opts.benchmark ? { benchmark_name: opts.benchmark } : {}),
            ...(opts.branch ? { branch: opts.branch } : {}),
            ...(opts.testbed ? { testbed: opts.testbed } : {}),
            ...(metric ? { metric } : {}),
          }),
        );
        if (g.json) return printPage(page);
        printTable(
          page.items.map((a) => ({
            run_id: a.run_id,
            timestamp: a.timestamp,
            metric: a.metric,
            test: a.test,
            value: a.value,
            baseline_mean: a.baseline_mean,
            statistic: a.statistic,
            p: a.p_value,
            reason: a.reason,
          })),
          ["run_id", "timestamp", "metric", "test", "value", "baseline_mean", "statistic", "p", "reason"],
          { maxWidth: 80 },
        );
      },
    );
}

/** Which run a row is, as `metrics list` and `metrics show` print it. */
function runIdentity(r: BenchmarkRun) {
  return {
    run_id: r.run_id,
    timestamp: r.timestamp,
    project: r.project_name,
    benchmark: r.benchmark_name,
    version: r.version,
    branch: r.branch,
    testbed: r.testbed,
  };
}
