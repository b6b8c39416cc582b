import type { Command } from "commander";
import { TIME_BOUND_HELP, instanceStatus, readTimeBound } from "@verdict/schema";
import { UsageError } from "../errors.js";
import { globalsOf, oneOf, parsePositiveInt } from "../globals.js";
import { color, note, printJson, printKeyValues, printTable, printPage } from "../output.js";
import { examples, RUNS_EXAMPLES } from "../help.js";
import { withRunsApi } from "./runs-common.js";

/** `verdict runs list|show|instances|steps`: typed API calls, local or remote. */

/**
 * `--since`/`--until` of the run commands: an ISO-8601 date or time, or a time ago (`1d`, `2h`), read
 * by @verdict/schema's parser here, so a time ago counts back from this machine's clock.
 */
export function timeBoundFlags(opts: { since?: string; until?: string }): { since?: string; until?: string } {
  const out: { since?: string; until?: string } = {};
  for (const end of ["since", "until"] as const) {
    const v = opts[end];
    if (v === undefined) continue;
    const r = readTimeBound(v, end);
    if (!r.ok) throw new UsageError(`--${end}: ${r.message}`);
    out[end] = r.iso;
  }
  return out;
}

export function registerRunQueryCommands(runs: Command): void {
  runs.addHelpText("after", RUNS_EXAMPLES);
  runs
    .command("list")
    .description("list runs, newest first")
    .addHelpText("after", examples("verdict runs list", "verdict runs list --sut shop-api --since 7d --json"))
    .option("--sut <name>")
    .option("--since <time>", `runs started at or after: ${TIME_BOUND_HELP}`)
    .option("--until <time>", `runs started at or before: ${TIME_BOUND_HELP}`)
    .option("--limit <n>", "rows", "20")
    .action(async (opts: { sut?: string; since?: string; until?: string; limit: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const bounds = timeBoundFlags(opts);
      const limit = parsePositiveInt("--limit", opts.limit) ?? 20;
      const page = await withRunsApi(g, (api) =>
        api.runs.list.query({ limit, ...(opts.sut ? { sut_name: opts.sut } : {}), ...bounds }),
      );
      if (g.json) return printPage(page);
      printTable(
        page.items.map((r) => ({ ...r, scenarios: r.scenario_ids.length })),
        ["id", "sut_name", "started_at", "completed_at", "scenarios", "seed"],
      );
    });
  runs
    .command("show <run>")
    .description("one run: its SUT, times, scenarios, config and counts (counted as runs summary counts)")
    .addHelpText("after", examples("verdict runs show seed-run-001", "verdict runs show latest --json"))
    .action(async (runId: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      // Counted as `runs summary` counts them: `passed: null` is neither, placeholders are no instances.
      const [run, c] = await withRunsApi(g, (api) =>
        Promise.all([api.runs.get.query({ run_id: runId }), api.runs.counts.query({ run_id: runId })]),
      );
      const out = {
        ...run,
        instances: c.instances,
        passed: c.pass,
        failed: c.fail,
        undecided: c.undecided,
        errors: c.error,
        pass_rate: c.pass_rate,
      };
      if (g.json) return printJson(out);
      printKeyValues({ ...out, scenario_ids: run.scenario_ids.join(", "), config: JSON.stringify(run.config) });
    });
  runs
    .command("instances <run>")
    .description("instances of a run, filtered by status, scenario, error or time")
    .addHelpText(
      "after",
      examples(
        "verdict runs instances seed-run-001 --status fail",
        "verdict runs instances latest --has-error --since 2026-11-20T09:00:05Z",
      ),
    )
    .option("--status <status>", "pass|fail")
    .option("--scenario <id>")
    .option("--error <text>", "error message contains")
    .option("--has-error", "only instances with an error message")
    .option("--since <time>", `instances started at or after: ${TIME_BOUND_HELP}`)
    .option("--until <time>", `instances started at or before: ${TIME_BOUND_HELP}`)
    .option("--limit <n>", "rows", "50")
    .option("--cursor <cursor>", "continue after a previous page")
    .action(
      async (
        runId: string,
        opts: {
          status?: string;
          scenario?: string;
          error?: string;
          hasError?: boolean;
          since?: string;
          until?: string;
          limit: string;
          cursor?: string;
        },
        cmd: Command,
      ) => {
        const g = globalsOf(cmd);
        const status = oneOf("--status", opts.status, instanceStatus.options);
        const bounds = timeBoundFlags(opts);
        const limit = parsePositiveInt("--limit", opts.limit) ?? 50;
        const page = await withRunsApi(g, (api) =>
          api.runs.instances.query.query({
            run_id: runId,
            limit,
            with_total: true,
            ...(status ? { status } : {}),
            ...(opts.scenario ? { scenario_id: opts.scenario } : {}),
            ...(opts.error ? { error_contains: opts.error } : {}),
            ...(opts.hasError ? { has_error: true } : {}),
            ...bounds,
            ...(opts.cursor ? { cursor: opts.cursor } : {}),
          }),
        );
        if (g.json) return printPage(page);
        printTable(
          page.items.map((i) => ({ ...i, status: i.status === "pass" ? color.green("pass") : color.red("fail") })),
          ["id", "scenario_id", "status", "duration_ms", "started_at", "error"],
        );
        process.stderr.write(
          `${page.items.length} of ${page.total ?? "?"}${page.nextCursor ? `; next page: --cursor ${page.nextCursor}` : ""}\n`,
        );
      },
    );
  runs
    .command("steps <run>")
    .description("steps of a run, filtered by instance, action, service, status or latency")
    .addHelpText(
      "after",
      examples(
        "verdict runs steps seed-run-001 --failed",
        "verdict runs steps seed-run-001 --instance inst-005 --min-latency 1000",
      ),
    )
    .option("--action-type <type>")
    .option("--service <name>")
    .option("--failed", "only steps that were not ok")
    .option("--ok", "only steps that were ok")
    .option("--min-latency <ms>")
    .option("--instance <id>", "only this instance's steps")
    .option("--correlation-id <id>", "only steps of the instance with this correlation id")
    .option("--step-name <name>", "only steps with this name")
    .option("--action-name <name>", "only steps whose observation names this action")
    .option("--status-code <code>", "only steps answered with this status code")
    .option("--limit <n>", "rows", "50")
    .option("--cursor <cursor>", "continue after a previous page")
    .action(
      async (
        runId: string,
        opts: {
          actionType?: string;
          service?: string;
          failed?: boolean;
          ok?: boolean;
          minLatency?: string;
          instance?: string;
          correlationId?: string;
          stepName?: string;
          actionName?: string;
          statusCode?: string;
          limit: string;
          cursor?: string;
        },
        cmd: Command,
      ) => {
        const g = globalsOf(cmd);
        const limit = parsePositiveInt("--limit", opts.limit) ?? 50;
        const minLatency =
          opts.minLatency === undefined ? undefined : parsePositiveInt("--min-latency", opts.minLatency);
        if (opts.failed && opts.ok) throw new UsageError("--failed and --ok exclude each other");
        const statusCode =
          opts.statusCode === undefined ? undefined : parsePositiveInt("--status-code", opts.statusCode);
        const page = await withRunsApi(g, (api) =>
          api.runs.steps.query.query({
            run_id: runId,
            limit,
            ...(opts.actionType ? { action_type: opts.actionType } : {}),
            ...(opts.service ? { service: opts.service } : {}),
            ...(opts.failed ? { ok: false } : {}),
            ...(opts.ok ? { ok: true } : {}),
            ...(opts.instance ? { instance_id: opts.instance } : {}),
            ...(opts.correlationId ? { correlation_id: opts.correlationId } : {}),
            ...(opts.stepName ? { step_name: opts.stepName } : {}),
            ...(opts.actionName ? { action_name: opts.actionName } : {}),
            ...(statusCode !== undefined ? { status_code: statusCode } : {}),
            ...(minLatency !== undefined ? { min_latency_ms: minLatency } : {}),
            ...(opts.cursor ? { cursor: opts.cursor } : {}),
          }),
        );
        if (g.json) return printPage(page);
        printTable(page.items, [
          "instance_id",
          "scenario_id",
          "step_index",
          "action_name",
          "action_type",
          "service",
          "status_code",
          "ok",
          "latency_ms",
        ]);
        if (page.nextCursor) note(`next page: --cursor ${page.nextCursor}`);
      },
    );
}
