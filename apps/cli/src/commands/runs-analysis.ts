/**
 * `verdict runs summary|failures|assertions|compare|flaky|gate`: the questions about stored runs
 * (turbulence's summary, failure patterns, assertions, two runs compared, flaky scenarios, the gate).
 * Through the typed API, in-process with --db or over HTTP with --server; --json prints its answer.
 */
import type { Command } from "commander";
import { GATE_HELP, type PercentileMethod, readGateRule } from "@verdict/schema";
import { EXIT, UsageError } from "../errors.js";
import { globalsOf, parsePositiveInt } from "../globals.js";
import { color, info, note, printJson, printKeyValues, printPage, printTable } from "../output.js";
import { examples } from "../help.js";
import {
  LATENCY_COLUMNS,
  latencyRow,
  ms,
  pct,
  pctCell,
  percentilesOption,
  withRunsApi,
  assertionCells,
} from "./runs-common.js";

export function registerRunAnalysisCommands(runs: Command): void {
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
        `\n${color.bold("by scenario")} (instance duration${opts.scenarioSteps ? "; step latency" : ""})\n`,
      );
      printTable(
        s.by_scenario.map((x) => ({
          scenario: x.scenario_id,
          instances: x.instances,
          pass: x.pass,
          fail: x.fail,
          errors: x.error,
          pass_rate_pct: pctCell(x.pass_rate),
          ...latencyRow(x.duration_ms),
          ...(x.step_latency_ms
            ? {
                step_p50_ms: ms(x.step_latency_ms.p50),
                step_p95_ms: ms(x.step_latency_ms.p95),
                step_p99_ms: ms(x.step_latency_ms.p99),
              }
            : {}),
        })),
        [
          "scenario",
          "instances",
          "pass",
          "fail",
          "errors",
          "pass_rate_pct",
          ...LATENCY_COLUMNS,
          ...(opts.scenarioSteps ? ["step_p50_ms", "step_p95_ms", "step_p99_ms"] : []),
        ],
      );
      process.stdout.write(`\n${color.bold("by action")} (step latency)\n`);
      printTable(
        s.by_action.map((x) => ({ action: x.action_name, steps: x.steps, ...latencyRow(x.latency_ms) })),
        ["action", "steps", ...LATENCY_COLUMNS],
      );
      process.stdout.write(`\n${color.bold("by service")} (step latency)\n`);
      printTable(
        s.by_service.map((x) => ({ service: x.service ?? "(none)", steps: x.steps, ...latencyRow(x.latency_ms) })),
        ["service", "steps", ...LATENCY_COLUMNS],
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
        printTable(page.items.map(assertionCells), [
          "instance_id",
          "step_index",
          "assertion_name",
          "passed",
          "expected",
          "actual",
          "error",
        ]);
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
      const signed = (v: number | null) => (v === null ? "-" : `${v > 0 ? "+" : ""}${Math.round(v * 100) / 100}`);
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
              pass_pct: arrow(s.a.pass_rate?.toFixed(2), s.b.pass_rate?.toFixed(2)),
              pass_delta_pt: signed(s.pass_rate_delta),
              p_pass: p(s.pass_rate_test),
              p50_ms: arrow(ms(s.a.p50_ms), ms(s.b.p50_ms)),
              p95_delta_ms: signed(s.p95_delta_ms),
              p_latency: p(s.latency_test),
              verdict: verdict(s.verdict),
            })),
          ["name", "n", "pass_pct", "pass_delta_pt", "p_pass", "p50_ms", "p95_delta_ms", "p_latency", "verdict"],
        );
      };
      table("by scenario (instances; duration)", c.scenarios);
      table("by action (steps ok; latency)", c.actions);
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
        r.scenarios.map((s) => ({ ...s, instance_fail_rate_pct: pctCell(s.instance_fail_rate) })),
        ["scenario_id", "flips", "history", "runs", "passed_runs", "failed_runs", "instance_fail_rate_pct"],
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
