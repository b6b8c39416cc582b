import type { Command } from "commander";
import { instanceStatus } from "@verdict/schema";
import { withApi } from "../api.js";
import { globalsOf, parsePositiveInt, isoFlag, oneOf } from "../globals.js";
import { color, printJson, printKeyValues, printTable } from "../output.js";

/** `verdict runs list|show|instances|steps`: typed API calls, local or remote. */
export function registerRunQueryCommands(runs: Command): void {
  runs
    .command("list")
    .option("--sut <name>")
    .option("--since <time>")
    .option("--limit <n>", "rows", "20")
    .action(async (opts: { sut?: string; since?: string; limit: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const since = isoFlag("--since", opts.since);
      const limit = parsePositiveInt("--limit", opts.limit) ?? 20;
      const page = await withApi(g, (api) =>
        api.runs.list.query({ limit, ...(opts.sut ? { sut_name: opts.sut } : {}), ...(since ? { since } : {}) }),
      );
      if (g.json) return printJson(page);
      printTable(
        page.items.map((r) => ({ ...r, scenarios: r.scenario_ids.length })),
        ["id", "sut_name", "started_at", "completed_at", "scenarios", "seed"],
      );
    });
  runs.command("show <run>").action(async (runId: string, _o: unknown, cmd: Command) => {
    const g = globalsOf(cmd);
    const [run, pass, fail] = await withApi(g, (api) =>
      Promise.all([
        api.runs.get.query({ run_id: runId }),
        api.runs.instances.query.query({ run_id: runId, status: "pass", limit: 1, with_total: true }),
        api.runs.instances.query.query({ run_id: runId, status: "fail", limit: 1, with_total: true }),
      ]),
    );
    const passed = pass.total ?? 0;
    const failed = fail.total ?? 0;
    const out = {
      ...run,
      instances: passed + failed,
      passed,
      failed,
      pass_rate: passed + failed ? (passed / (passed + failed)) * 100 : null,
    };
    if (g.json) return printJson(out);
    printKeyValues({ ...out, scenario_ids: run.scenario_ids.join(", "), config: JSON.stringify(run.config) });
  });
  runs
    .command("instances <run>")
    .option("--status <status>", "pass|fail")
    .option("--scenario <id>")
    .option("--error <text>", "error message contains")
    .option("--limit <n>", "rows", "50")
    .option("--cursor <cursor>", "continue after a previous page")
    .action(
      async (
        runId: string,
        opts: { status?: string; scenario?: string; error?: string; limit: string; cursor?: string },
        cmd: Command,
      ) => {
        const g = globalsOf(cmd);
        const status = oneOf("--status", opts.status, instanceStatus.options);
        const limit = parsePositiveInt("--limit", opts.limit) ?? 50;
        const page = await withApi(g, (api) =>
          api.runs.instances.query.query({
            run_id: runId,
            limit,
            with_total: true,
            ...(status ? { status } : {}),
            ...(opts.scenario ? { scenario_id: opts.scenario } : {}),
            ...(opts.error ? { error_contains: opts.error } : {}),
            ...(opts.cursor ? { cursor: opts.cursor } : {}),
          }),
        );
        if (g.json) return printJson(page);
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
    .option("--action-type <type>")
    .option("--service <name>")
    .option("--failed", "only steps that were not ok")
    .option("--min-latency <ms>")
    .option("--limit <n>", "rows", "50")
    .option("--cursor <cursor>", "continue after a previous page")
    .action(
      async (
        runId: string,
        opts: {
          actionType?: string;
          service?: string;
          failed?: boolean;
          minLatency?: string;
          limit: string;
          cursor?: string;
        },
        cmd: Command,
      ) => {
        const g = globalsOf(cmd);
        const limit = parsePositiveInt("--limit", opts.limit) ?? 50;
        const minLatency =
          opts.minLatency === undefined ? undefined : parsePositiveInt("--min-latency", opts.minLatency);
        const page = await withApi(g, (api) =>
          api.runs.steps.query.query({
            run_id: runId,
            limit,
            ...(opts.actionType ? { action_type: opts.actionType } : {}),
            ...(opts.service ? { service: opts.service } : {}),
            ...(opts.failed ? { ok: false } : {}),
            ...(minLatency !== undefined ? { min_latency_ms: minLatency } : {}),
            ...(opts.cursor ? { cursor: opts.cursor } : {}),
          }),
        );
        if (g.json) return printJson(page);
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
        if (page.nextCursor) process.stderr.write(`next page: --cursor ${page.nextCursor}\n`);
      },
    );
}
