/**
 * `verdict runs import|export|summary|failures|assertions|compare|flaky|gate`: turbulence run data.
 * Import/export stream files straight into/out of a database (--db); the questions go through the
 * typed API (in-process or --server). --db may be a per-run file holding only the runs domain
 * (`--db file:runs/<run_id>/turbulence.db`).
 */
import { type Command, Option } from "commander";
import {
  type ImportOptions,
  type ImportProgress,
  type ImportResult,
  ImportInterruptedError,
  type OpenOptions,
  type Percentiles,
  RunFileError,
  type VerdictDb,
  checkSchema,
  type JunitImportResult,
  exportJunit,
  exportRun,
  importJunit,
  importRuns,
  importRunsIntoNewFile,
  isJunitPath,
  newDatabaseFile,
  migrateUp,
  readApplied,
  resolveRunRef,
} from "@verdict/db";
import { GATE_HELP, PERCENTILE_METHODS, type PercentileMethod, readGateRule } from "@verdict/schema";
import type { VerdictClient } from "@verdict/api";
import { withApi } from "../api.js";
import { EXIT, InputFileError, UsageError } from "../errors.js";
import { type GlobalOptions, globalsOf, parsePositiveInt, withDb } from "../globals.js";
import { type Cell, color, info, isQuiet, note, printJson, printKeyValues, printTable, printPage } from "../output.js";
import { examples } from "../help.js";

const RUNS_ONLY: Partial<OpenOptions> = { domains: ["runs"] };

/**
 * Import and export stream files on this machine straight into / out of a database (one
 * transaction per run), so they take --db (a file, a per-run file or a libSQL server), not --server.
 */
function localOnly(g: GlobalOptions, command: string): void {
  if (g.server) {
    throw new UsageError(
      `runs ${command} reads and writes files on this machine: point --db at the database (a file or a libSQL server URL) instead of --server`,
    );
  }
}

/** Export: the runs domain must be there and current. */
function withRuns<T>(g: GlobalOptions, fn: (h: VerdictDb) => Promise<T>): Promise<T> {
  localOnly(g, "export");
  return withDb(g, RUNS_ONLY, fn);
}

/**
 * Read commands go through the typed API like every data command (in-process with --db, over HTTP
 * with --server); locally only the runs domain is required, so a per-run database file works.
 */
function withRunsApi<T>(g: GlobalOptions, fn: (api: VerdictClient) => Promise<T>): Promise<T> {
  return withApi(g, fn, RUNS_ONLY);
}

/**
 * Import: a database without any migration (a new per-run file) gets the runs domain created; one
 * that has migrations must already be current (never migrated behind the user's back).
 */
function withRunsForImport<T>(g: GlobalOptions, fn: (h: VerdictDb) => Promise<T>): Promise<T> {
  localOnly(g, "import");
  return withDb(g, { ...RUNS_ONLY, skipSchemaCheck: true, creates: true }, async (h) => {
    if ((await readApplied(h.client)).length === 0) await migrateUp(h.client, { domains: ["runs"] });
    await checkSchema(h.client, ["runs"]);
    return fn(h);
  });
}

/** Library file errors become the CLI's InputFileError (`file:line: field: problem`, exit 1). */
async function fileErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof RunFileError) throw new InputFileError(e.file, e.line, e.field, e.problem);
    throw e;
  }
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (n: number | null | undefined) => (n === null || n === undefined ? null : Math.round(n * 100) / 100);
const pct = (n: number | null | undefined) => (n === null || n === undefined ? "-" : `${n.toFixed(2)}%`);

function clock(sec: number | null): string {
  if (sec === null || !Number.isFinite(sec)) return "--:--";
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return `${h ? `${h}:${String(m).padStart(2, "0")}` : String(m)}:${String(r).padStart(2, "0")}`;
}

/**
 * A one-line progress bar on stderr, redrawn in place, on a terminal; with `plain` (--progress) one
 * line per update where stderr is not a terminal (CI logs); nothing otherwise.
 */
function progressBar(plain: boolean): { update(p: ImportProgress): void; clear(): void } | null {
  if (isQuiet()) return null;
  if (!process.stderr.isTTY) {
    if (!plain) return null;
    return {
      update(p) {
        const frac = p.totalBytes > 0 ? Math.min(1, p.bytes / p.totalBytes) : 0;
        process.stderr.write(
          `progress ${p.run_id}: ${(frac * 100).toFixed(0)}% ${int(p.rows)} rows ${int(p.rowsPerSec)} rows/s ETA ${clock(p.etaSec)}\n`,
        );
      },
      clear() {},
    };
  }
  let drawn = false;
  return {
    update(p) {
      const frac = p.totalBytes > 0 ? Math.min(1, p.bytes / p.totalBytes) : 0;
      const width = 24;
      const full = Math.round(frac * width);
      const line = `${p.run_id} [${"#".repeat(full)}${".".repeat(width - full)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${int(p.rows)} rows  ${int(p.rowsPerSec)} rows/s  ETA ${clock(p.etaSec)}`;
      const cols = process.stderr.columns || 120;
      process.stderr.write(`\r${line.slice(0, cols - 1)}\u001b[K`);
      drawn = true;
    },
    clear() {
      if (drawn) process.stderr.write("\r\u001b[K");
      drawn = false;
    },
  };
}

function importLine(r: ImportResult): string {
  return `imported ${r.run_id}${r.replaced ? " (replaced)" : ""}${r.source === "sqlite" ? " from turbulence.db" : ""}${
    r.interrupted ? color.yellow(" (an interrupted run: marked incomplete)") : ""
  }: ${int(r.instances)} instances, ${int(r.steps)} steps, ${int(
    r.assertions,
  )} assertions in ${(r.elapsed_ms / 1000).toFixed(1)} s (${int(r.rows_per_sec)} rows/s)${
    r.skipped.length ? `, ${color.yellow(`${r.skipped.length} line(s) skipped`)}` : ""
  }`;
}

const latencyRow = (p: Percentiles): Record<string, Cell> => ({
  p50: ms(p.p50),
  p95: ms(p.p95),
  p99: ms(p.p99),
  max: ms(p.max),
});

export function registerRunDataCommands(runs: Command): void {
  runs
    .command("import")
    .addHelpText(
      "after",
      examples(
        "verdict runs import runs/run_20261120/",
        "verdict runs import turbulence.db --skip-invalid",
        "verdict runs import runs/ --replace --one-transaction",
      ),
    )
    .description(
      "import runs: turbulence run folders (JSONL), turbulence's SQLite output (a folder holding turbulence.db, or the file), folders of them, or JUnit XML (a .xml file, or a folder of them such as target/surefire-reports: one run); each run appears whole or not at all",
    )
    .argument(
      "<paths...>",
      "run folder(s) runs/<run_id>/, turbulence.db file(s), folder(s) holding them, JUnit .xml file(s) or folder(s) of .xml files",
    )
    .option("--run-id <id>", "JUnit XML: the run's id (default: the file name without .xml, or the folder's name)")
    .option("--sut <name>", "JUnit XML: the system under test (default: the testsuites name or the first suite's name)")
    .option("--skip-invalid", "import the valid lines and list the invalid ones instead of refusing the run")
    .option(
      "--replace",
      "replace a run that is already in the database (one transaction: the old run stays until the new one is in)",
    )
    .option(
      "--one-transaction",
      "write each run in one transaction instead of short chunks: faster, but other writers wait until it ends (a --db file that does not exist yet is always built this way, aside, and moved into place)",
    )
    .option("--progress", "report progress even when stderr is not a terminal (one line per update)")
    .addOption(new Option("--batch-size <rows>", "rows per INSERT").default("500").hideHelp())
    .action(
      async (
        paths: string[],
        opts: {
          skipInvalid?: boolean;
          replace?: boolean;
          oneTransaction?: boolean;
          progress?: boolean;
          batchSize: string;
          runId?: string;
          sut?: string;
        },
        cmd: Command,
      ) => {
        const g = globalsOf(cmd);
        const junitPaths = paths.filter(isJunitPath);
        if (junitPaths.length > 0) {
          if (junitPaths.length !== paths.length)
            throw new UsageError("import JUnit XML and turbulence runs with separate commands");
          if (opts.runId !== undefined && junitPaths.length > 1)
            throw new UsageError("--run-id names one run: give one JUnit file or folder with it");
          const results: JunitImportResult[] = [];
          await fileErrors(() =>
            withRunsForImport(g, async (h) => {
              for (const p of junitPaths) {
                const r = await importJunit(h, p, {
                  replace: Boolean(opts.replace),
                  ...(opts.runId !== undefined ? { runId: opts.runId } : {}),
                  ...(opts.sut !== undefined ? { sut: opts.sut } : {}),
                });
                results.push(r);
                if (!g.json)
                  info(
                    `imported ${r.run_id}${r.replaced ? " (replaced)" : ""} from JUnit XML (${r.files} file(s), ${r.suites} suite(s)): ${int(r.instances)} testcases, ${int(r.passed)} passed, ${int(r.failed)} failed, ${int(r.skipped)} skipped`,
                  );
              }
            }),
          );
          if (g.json) printJson({ runs: results });
          return;
        }
        if (opts.runId !== undefined || opts.sut !== undefined)
          throw new UsageError("--run-id and --sut apply to JUnit XML imports only (turbulence runs carry their own)");
        const batchSize = parsePositiveInt("--batch-size", opts.batchSize) ?? 500;
        const bar = progressBar(Boolean(opts.progress));
        const ac = new AbortController();
        const onSigint = () => ac.abort();
        process.once("SIGINT", onSigint);
        const done: ImportResult[] = [];
        const importOpts: ImportOptions = {
          skipInvalid: Boolean(opts.skipInvalid),
          replace: Boolean(opts.replace),
          oneTransaction: Boolean(opts.oneTransaction),
          batchSize,
          signal: ac.signal,
          ...(bar ? { onProgress: (p: ImportProgress) => bar.update(p) } : {}),
          onRunDone: (r) => {
            bar?.clear();
            done.push(r);
            if (!g.json) {
              info(importLine(r));
              for (const s of r.skipped)
                info(`  skipped ${s.file}${s.line === null ? "" : `:${s.line}`}: ${s.field}: ${s.problem}`);
            }
          },
        };
        // A database file that does not exist yet is built in a temp file and renamed into place.
        localOnly(g, "import");
        const newFile = g.syncUrl || g.readOnly ? null : newDatabaseFile(g.db);
        try {
          await fileErrors(() =>
            newFile !== null
              ? importRunsIntoNewFile(newFile, paths, importOpts)
              : withRunsForImport(g, (h) => importRuns(h, paths, importOpts)),
          );
        } catch (e) {
          bar?.clear();
          if (e instanceof ImportInterruptedError) {
            info(`${color.red("interrupted:")} ${e.message}`);
            process.exitCode = 130;
            return;
          }
          throw e;
        } finally {
          process.removeListener("SIGINT", onSigint);
        }
        if (g.json) printJson({ runs: done });
      },
    );

  runs
    .command("export")
    .addHelpText(
      "after",
      examples(
        "verdict runs export seed-run-001 --out exported/seed-run-001",
        "verdict runs export latest --out /tmp/latest --force",
        "verdict runs export latest --format junit --out report.xml",
      ),
    )
    .description(
      "write a stored run back as a turbulence run folder, exactly as it was imported (artifacts/ included), or as JUnit XML (--format junit)",
    )
    .argument("<run>", "run id, or latest / previous (the newest / second-newest run)")
    .requiredOption(
      "--out <path>",
      "turbulence: folder to write (manifest.json, *.jsonl, summary.json), refused if it holds any of them; junit: the .xml file (a folder when the run came from several files)",
    )
    .addOption(new Option("--format <format>", "what to write").choices(["turbulence", "junit"]).default("turbulence"))
    .option("--force", "replace the files of a previous export")
    .addOption(new Option("--overwrite", "old name of --force").hideHelp())
    .action(
      async (
        runId: string,
        opts: { out: string; format: "turbulence" | "junit"; force?: boolean; overwrite?: boolean },
        cmd: Command,
      ) => {
        const g = globalsOf(cmd);
        const force = Boolean(opts.force || opts.overwrite);
        if (opts.format === "junit") {
          const j = await withRuns(g, async (h) => exportJunit(h, await resolveRunRef(h, runId), opts.out, { force }));
          if (g.json) return printJson(j);
          info(
            `exported ${j.run_id} as JUnit XML (${j.mode === "kept" ? "the imported files" : "built from its rows"}): ${int(j.testcases)} testcases to ${j.files.join(", ")}`,
          );
          return;
        }
        const r = await withRuns(g, async (h) => exportRun(h, await resolveRunRef(h, runId), opts.out, { force }));
        if (g.json) return printJson(r);
        info(
          `exported ${r.run_id} to ${r.out_dir}: ${int(r.instances)} instances, ${int(r.steps)} steps, ${int(
            r.assertions,
          )} assertions, ${int(r.artifacts)} artifact file(s) (summary ${r.summary})`,
        );
      },
    );

  runs
    .command("summary")
    .addHelpText(
      "after",
      examples("verdict runs summary seed-run-001", "verdict runs summary latest --percentiles nearest --json"),
    )
    .description("pass rate, counts and latency percentiles, overall and per scenario, action and service")
    .argument("<run>", "run id, or latest / previous (the newest / second-newest run)")
    .option("--scenario-steps", "also step-latency percentiles per scenario (joins every step: slow on huge runs)")
    .addOption(percentilesOption())
    .action(async (runId: string, opts: { scenarioSteps?: boolean; percentiles: PercentileMethod }, cmd: Command) => {
      const g = globalsOf(cmd);
      const s = await withRunsApi(g, (api) =>
        api.runs.summary.query({
          run_id: runId,
          scenario_steps: Boolean(opts.scenarioSteps),
          percentiles: opts.percentiles,
        }),
      );
      if (g.json) return printJson(s);
      printKeyValues({
        run: s.run.id,
        sut: s.run.sut_name,
        started_at: s.run.started_at,
        completed_at: s.run.completed_at,
        instances: s.instances.instances,
        pass: s.instances.pass,
        fail: s.instances.fail,
        // turbulence's summary counts an instance written `passed: null` as neither
        ...(s.instances.undecided > 0 ? { "passed null (neither)": s.instances.undecided } : {}),
        "errors (instances with an error)": s.instances.error,
        pass_rate: pct(s.instances.pass_rate),
        "run duration ms": ms(s.totals.duration_ms),
        "duration p50/p95/p99 ms": `${ms(s.instances.duration_ms.p50) ?? "-"} / ${ms(s.instances.duration_ms.p95) ?? "-"} / ${ms(s.instances.duration_ms.p99) ?? "-"}`,
        steps: s.steps.total,
        "steps not ok": s.steps.failed,
        "latency p50/p95/p99 ms": `${ms(s.steps.latency_ms.p50) ?? "-"} / ${ms(s.steps.latency_ms.p95) ?? "-"} / ${ms(s.steps.latency_ms.p99) ?? "-"}`,
        assertions: `${s.assertions.total} (${s.assertions.failed} failed)`,
      });
      process.stdout.write(
        `\n${color.bold("by scenario")} (duration ms${opts.scenarioSteps ? "; step latency ms" : ""})\n`,
      );
      printTable(
        s.by_scenario.map((x) => ({
          scenario: x.scenario_id,
          instances: x.instances,
          pass: x.pass,
          fail: x.fail,
          errors: x.error,
          pass_rate: pct(x.pass_rate),
          ...latencyRow(x.duration_ms),
          ...(x.step_latency_ms
            ? {
                step_p50: ms(x.step_latency_ms.p50),
                step_p95: ms(x.step_latency_ms.p95),
                step_p99: ms(x.step_latency_ms.p99),
              }
            : {}),
        })),
        [
          "scenario",
          "instances",
          "pass",
          "fail",
          "errors",
          "pass_rate",
          "p50",
          "p95",
          "p99",
          "max",
          ...(opts.scenarioSteps ? ["step_p50", "step_p95", "step_p99"] : []),
        ],
      );
      process.stdout.write(`\n${color.bold("by action")} (step latency ms)\n`);
      printTable(
        s.by_action.map((x) => ({ action: x.action_name, steps: x.steps, ...latencyRow(x.latency_ms) })),
        ["action", "steps", "p50", "p95", "p99", "max"],
      );
      process.stdout.write(`\n${color.bold("by service")} (step latency ms)\n`);
      printTable(
        s.by_service.map((x) => ({ service: x.service ?? "(none)", steps: x.steps, ...latencyRow(x.latency_ms) })),
        ["service", "steps", "p50", "p95", "p99", "max"],
      );
    });

  runs
    .command("failures")
    .addHelpText("after", examples("verdict runs failures seed-run-001", "verdict runs failures latest --top 5"))
    .description("failures grouped into patterns (errors, failed assertions, failed steps), most frequent first")
    .argument("<run>", "run id, or latest / previous (the newest / second-newest run)")
    .option("--top <n>", "how many patterns", "10")
    .action(async (runId: string, opts: { top: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const top = parsePositiveInt("--top", opts.top) ?? 10;
      const f = await withRunsApi(g, (api) => api.runs.failures.query({ run_id: runId, top }));
      if (g.json) return printJson(f);
      printTable(
        f.map((x) => ({ ...x, scenarios: x.scenarios.join(",") })),
        ["count", "kind", "pattern", "example_instance_id", "scenarios"],
        { maxWidth: 70 },
      );
    });

  runs
    .command("assertions")
    .addHelpText("after", examples("verdict runs assertions seed-run-001 --failed"))
    .description("assertions of a run, optionally only failed ones or one name")
    .argument("<run>", "run id, or latest / previous (the newest / second-newest run)")
    .option("--failed", "only failed assertions")
    .option("--name <name>", "only this assertion name")
    .option("--limit <n>", "rows", "50")
    .option("--cursor <cursor>", "continue after a previous page")
    .action(
      async (
        runId: string,
        opts: { failed?: boolean; name?: string; limit: string; cursor?: string },
        cmd: Command,
      ) => {
        const g = globalsOf(cmd);
        const limit = parsePositiveInt("--limit", opts.limit) ?? 50;
        const page = await withRunsApi(g, async (api) => {
          // Say "no such run" rather than print an empty page.
          await api.runs.get.query({ run_id: runId });
          return api.runs.assertions.query.query({
            run_id: runId,
            limit,
            ...(opts.failed ? { passed: false } : {}),
            ...(opts.name ? { assertion_name: opts.name } : {}),
            ...(opts.cursor ? { cursor: opts.cursor } : {}),
          });
        });
        if (g.json) return printPage(page);
        printTable(
          page.items.map((a) => ({
            ...a,
            passed: a.passed ? color.green("pass") : color.red("fail"),
            expected: JSON.stringify(a.expected),
            actual: JSON.stringify(a.actual),
          })),
          ["instance_id", "step_index", "assertion_name", "passed", "expected", "actual", "error"],
        );
        if (page.nextCursor) note(`next page: --cursor ${page.nextCursor}`);
      },
    );

  runs
    .command("compare")
    .addHelpText(
      "after",
      examples("verdict runs compare previous latest", "verdict runs compare seed-run-001 latest --alpha 0.01 --json"),
    )
    .description(
      "compare run B against baseline A per scenario and action: pass rate (two-proportion z test), latency (Mann-Whitney U), new and vanished error categories; exit 0 either way",
    )
    .argument("<a>", "baseline run id, or latest / previous")
    .argument("<b>", "run id to compare, or latest / previous")
    .option("--alpha <p>", "significance level of the tests", "0.05")
    .option("--sut <name>", "latest / previous among this SUT's runs")
    .action(async (a: string, b: string, opts: { alpha: string; sut?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const alpha = Number(opts.alpha);
      if (!(alpha > 0 && alpha < 1))
        throw new UsageError(`--alpha: expected a number between 0 and 1, got '${opts.alpha}'`);
      const c = await withRunsApi(g, (api) =>
        api.runs.compare.query({ run_a: a, run_b: b, alpha, ...(opts.sut ? { sut_name: opts.sut } : {}) }),
      );
      if (g.json) return printJson(c);
      // A p-value below alpha is marked `*`: only those make a regression or an improvement.
      const p = (t: { p_value: number } | null) => {
        if (t === null) return "-";
        const text = t.p_value < 0.001 ? "<0.001" : t.p_value.toFixed(3);
        return t.p_value < c.alpha ? color.bold(`${text}*`) : text;
      };
      const verdict = (v: string) =>
        v === "regression" ? color.red(v) : v === "improvement" ? color.green(v) : color.dim(v);
      const arrow = (x: string | number | null | undefined, y: string | number | null | undefined) =>
        `${x ?? "-"} -> ${y ?? "-"}`;
      const signed = (v: number | null, unit: string) =>
        v === null ? "-" : `${v > 0 ? "+" : ""}${Math.round(v * 100) / 100}${unit}`;
      printKeyValues({
        baseline: c.a,
        compared: c.b,
        pass_rate: `${arrow(pct(c.run.a.pass_rate), pct(c.run.b.pass_rate))} (p ${p(c.run.pass_rate_test)})`,
        "step latency p50": `${arrow(ms(c.run.a.p50_ms), ms(c.run.b.p50_ms))} ms (p ${p(c.run.latency_test)})`,
        "step latency p95": `${arrow(ms(c.run.a.p95_ms), ms(c.run.b.p95_ms))} ms`,
        verdict: verdict(c.run.verdict),
      });
      // Flagged groups first (regressions, then improvements), then the rest by name.
      const rank = (v: string) => ["regression", "improvement", "no significant change"].indexOf(v) >>> 0;
      const table = (title: string, rows: typeof c.scenarios) => {
        process.stdout.write(`\n${color.bold(title)}\n`);
        printTable(
          [...rows]
            .sort((x, y) => rank(x.verdict) - rank(y.verdict) || x.key.localeCompare(y.key))
            .map((s) => ({
              name: s.key,
              n: arrow(s.a.n, s.b.n),
              pass: arrow(pct(s.a.pass_rate), pct(s.b.pass_rate)),
              pass_delta: signed(s.pass_rate_delta, " pt"),
              p_pass: p(s.pass_rate_test),
              p50: arrow(ms(s.a.p50_ms), ms(s.b.p50_ms)),
              p95_delta: signed(s.p95_delta_ms, " ms"),
              p_latency: p(s.latency_test),
              verdict: verdict(s.verdict),
            })),
          ["name", "n", "pass", "pass_delta", "p_pass", "p50", "p95_delta", "p_latency", "verdict"],
        );
      };
      table("by scenario (instances; duration ms)", c.scenarios);
      table("by action (steps ok; latency ms)", c.actions);
      process.stdout.write(`\n${color.bold("error categories")}\n`);
      printTable(c.errors, ["category", "change", "a_count", "b_count"]);
      process.stdout.write(
        color.dim(
          `\np_pass: two-proportion z test; p_latency: Mann-Whitney U (two-sided); * below alpha ${c.alpha}: only a significant change is flagged\n`,
        ),
      );
      process.stdout.write(`\n${color.bold(`significant at alpha ${c.alpha}`)}\n`);
      for (const r of c.regressions) process.stdout.write(`${color.red("regression")}  ${r}\n`);
      for (const r of c.improvements) process.stdout.write(`${color.green("improvement")} ${r}\n`);
      if (!c.regressions.length && !c.improvements.length) process.stdout.write("no significant change\n");
      info(
        color.dim(
          `paired instances: ${c.paired.matched} matched (${c.paired.regressions} pass->fail, ${c.paired.fixes} fail->pass), ${c.paired.only_in_a + c.paired.only_in_b} unmatched`,
        ),
      );
    });

  runs
    .command("flaky")
    .addHelpText("after", examples("verdict runs flaky --sut shop-api --last 10"))
    .description("scenarios of a SUT that both passed and failed over its last N runs")
    .requiredOption("--sut <name>", "system under test (runs.sut_name)")
    .option("--last <n>", "how many of the latest runs", "10")
    .action(async (opts: { sut: string; last: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const last = parsePositiveInt("--last", opts.last) ?? 10;
      const r = await withRunsApi(g, (api) => api.runs.flaky.query({ sut_name: opts.sut, last }));
      if (g.json) return printJson(r);
      info(`${r.runs.length} run(s) of ${r.sut_name}, oldest first: ${r.runs.map((x) => x.id).join(", ")}`);
      printTable(
        r.scenarios.map((s) => ({ ...s, instance_fail_rate: pct(s.instance_fail_rate) })),
        ["scenario_id", "flips", "history", "runs", "passed_runs", "failed_runs", "instance_fail_rate"],
      );
    });

  runs
    .command("gate")
    .addHelpText(
      "after",
      examples('verdict runs gate latest --fail-on "pass_rate>=0.99" --fail-on "p95_latency_ms<1000"'),
    )
    .description(
      "check a run against requirements (turbulence's --fail-on); exit 2 when any does not hold, 64 for a bad rule",
    )
    .argument("<run>", "run id, or latest / previous (the newest / second-newest run)")
    .requiredOption(
      "--fail-on <expr>",
      `a requirement, repeatable: ${GATE_HELP}`,
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .addOption(percentilesOption())
    .action(async (runId: string, opts: { failOn: string[]; percentiles: PercentileMethod }, cmd: Command) => {
      const g = globalsOf(cmd);
      // The same reader as the router's input schema: a bad rule is a usage error before anything is asked.
      for (const expr of opts.failOn) {
        const r = readGateRule(expr);
        if (typeof r === "string") throw new UsageError(`--fail-on: ${r}`);
      }
      const r = await withRunsApi(g, (api) =>
        api.runs.gate.query({ run_id: runId, fail_on: opts.failOn, percentiles: opts.percentiles }),
      );
      if (g.json) printJson(r);
      else {
        for (const rule of r.rules)
          process.stdout.write(`${rule.passed ? color.green("ok  ") : color.red("FAIL")} ${rule.message}\n`);
        info(
          r.passed
            ? `gate passed for ${r.run_id}`
            : `gate failed for ${r.run_id}: ${r.violations.length} of ${r.rules.length} requirement(s) not met`,
        );
      }
      if (!r.passed) process.exitCode = EXIT.violation;
    });
}

/** `--percentiles linear|nearest`: turbulence's interpolation by default. */
function percentilesOption(): Option {
  return new Option("--percentiles <method>", "linear (turbulence's interpolation) or nearest (nearest rank)")
    .choices(PERCENTILE_METHODS)
    .default("linear");
}
