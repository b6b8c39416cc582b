/**
 * `verdict runs report RUN`: the questions of turbulence's HTML report (per scenario × action, per
 * service, failures by service, error categories, failing assertions) and the slowest instances;
 * `verdict runs instance RUN INSTANCE`: one instance with its steps and assertions. Through the typed
 * API (in-process with --db, or --server); --json prints the API's answer.
 */
import type { Command } from "commander";
import type { PercentileMethod } from "@verdict/schema";
import { globalsOf, parsePositiveInt } from "../globals.js";
import { color, printJson, printKeyValues, printTable } from "../output.js";
import { examples } from "../help.js";
import { ms, pct, percentilesOption, withRunsApi, assertionCells } from "./runs-common.js";

const heading = (t: string) => process.stdout.write(`\n${color.bold(t)}\n`);

export function registerRunReportCommands(runs: Command): void {
  runs
    .command("report")
    .addHelpText(
      "after",
      examples("verdict runs report seed-run-001", "verdict runs report latest --top 5 --examples 2"),
    )
    .description(
      "turbulence's report: per scenario × action, per service, failures by service, error categories, failing assertions, slowest instances",
    )
    .argument("<run>", "run id, or latest / previous (the newest / second-newest run)")
    .option("--top <n>", "rows of the failing-assertion and slowest-instance lists", "10")
    .option("--examples <n>", "example instances per error category", "5")
    .addOption(percentilesOption())
    .action(
      async (runId: string, opts: { top: string; examples: string; percentiles: PercentileMethod }, cmd: Command) => {
        const g = globalsOf(cmd);
        const top = parsePositiveInt("--top", opts.top) ?? 10;
        const examples = parsePositiveInt("--examples", opts.examples) ?? 5;
        const r = await withRunsApi(g, (api) =>
          api.runs.report.query({ run_id: runId, top, examples, percentiles: opts.percentiles }),
        );
        if (g.json) return printJson(r);
        heading("by scenario × action (step latency)");
        printTable(
          r.scenarios.flatMap((s) =>
            s.actions.map((a) => ({
              scenario: `${s.scenario_id} (${s.pass_count} pass / ${s.fail_count} fail, ${pct(s.pass_rate)})`,
              action: a.action_name,
              count: a.count,
              fail: a.fail_count ? color.red(String(a.fail_count)) : 0,
              mean_ms: ms(a.mean_latency_ms),
              p50_ms: ms(a.p50_latency_ms),
              p95_ms: ms(a.p95_latency_ms),
              p99_ms: ms(a.p99_latency_ms),
            })),
          ),
          ["scenario", "action", "count", "fail", "mean_ms", "p50_ms", "p95_ms", "p99_ms"],
          { maxWidth: 60 },
        );
        heading("by service (step latency)");
        printTable(
          r.services.map((s) => ({
            service: s.service,
            requests: s.count,
            fail: s.fail_count,
            p50_ms: ms(s.p50_latency_ms),
            p95_ms: ms(s.p95_latency_ms),
            p99_ms: ms(s.p99_latency_ms),
          })),
          ["service", "requests", "fail", "p50_ms", "p95_ms", "p99_ms"],
        );
        heading("failures by service");
        printTable(r.failures_by_service, ["service", "fail_count"]);
        heading("error categories");
        printTable(
          r.error_categories.map((c) => ({ ...c, examples: c.example_instance_ids.join(", ") })),
          ["category", "count", "examples"],
          { maxWidth: 80 },
        );
        heading("failing assertions");
        printTable(r.failing_assertions, ["assertion_name", "count", "example_instance_id"]);
        heading("slowest instances");
        printTable(
          r.slowest_instances.map((s) => ({ ...s, duration_ms: ms(s.duration_ms) })),
          ["instance_id", "scenario_id", "status", "duration_ms", "error"],
        );
      },
    );

  runs
    .command("instance")
    .addHelpText(
      "after",
      examples("verdict runs instance seed-run-001 inst-005", "verdict runs instance seed-run-001 inst-005 --full"),
    )
    .description("one instance: its steps in order with their observation, and its assertions")
    .argument("<run>", "run id, or latest / previous (the newest / second-newest run)")
    .argument("<instance>", "instance id")
    .option("--full", "print each step's whole observation (headers, body, attempts, turbulence, branch)")
    .action(async (runId: string, instanceId: string, opts: { full?: boolean }, cmd: Command) => {
      const g = globalsOf(cmd);
      const t = await withRunsApi(g, (api) => api.runs.instances.get.query({ run_id: runId, instance_id: instanceId }));
      if (g.json) return printJson(t);
      const i = t.instance;
      printKeyValues({
        instance: i.id,
        scenario: i.scenario_id,
        correlation_id: i.correlation_id,
        status: i.status === "pass" ? color.green("pass") : color.red("fail"),
        started_at: i.started_at,
        duration_ms: ms(i.duration_ms),
        error: i.error,
        variation: i.variations === null ? null : JSON.stringify(i.variations),
      });
      heading("steps");
      printTable(
        t.steps.map((s) => {
          const o = s.observation as Record<string, unknown>;
          return {
            "#": s.step_index,
            step: s.action_name,
            type: s.action_type,
            service: s.service,
            status: s.status_code,
            ok: s.ok === null ? "-" : s.ok ? color.green("ok") : color.red("not ok"),
            latency_ms: ms(s.latency_ms),
            attempts: Array.isArray(o.attempts) ? o.attempts.length : null,
            turbulence: o.turbulence ? "yes" : null,
            branch: o.branch_taken ?? (o.condition_skipped === true ? "skipped" : null),
            errors: Array.isArray(o.errors) ? o.errors.map(String).join("; ") : null,
            assertions: s.assertions.map((a) => `${a.assertion_name}:${a.passed ? "pass" : "fail"}`).join(", "),
          };
        }),
        [
          "#",
          "step",
          "type",
          "service",
          "status",
          "ok",
          "latency_ms",
          "attempts",
          "turbulence",
          "branch",
          "errors",
          "assertions",
        ],
      );
      if (opts.full)
        for (const s of t.steps) {
          heading(`step ${s.step_index} ${s.action_name}: observation`);
          process.stdout.write(`${JSON.stringify(s.observation, null, 2)}\n`);
        }
      heading("assertions");
      printTable(t.assertions.map(assertionCells), [
        "step_index",
        "assertion_name",
        "passed",
        "expected",
        "actual",
        "error",
      ]);
    });
}
