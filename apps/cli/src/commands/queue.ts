import type { Command } from "commander";
import { workKind, workStatus } from "@verdict/schema";
import { withApi } from "../api.js";
import { globalsOf, parsePositiveInt, oneOf } from "../globals.js";
import { color, info, note, printJson, printKeyValues, printTable, printPage } from "../output.js";
import { examples } from "../help.js";

/**
 * The execution queue from the command line: `queue list|show|counts|reap` (what is queued is added
 * by `executions enqueue` and `runs start`, queue-start.ts). Workers (`verdict-worker`) do the work.
 */
export function registerQueueCommands(program: Command): void {
  const queue = program
    .command("queue")
    .addHelpText("after", examples("verdict queue counts", "verdict queue list --status running"))
    .description("the execution queue that verdict-worker processes drain");
  queue
    .command("list")
    .description("list queue items, newest first")
    .addHelpText("after", examples("verdict queue list", "verdict queue list --json"))
    .option("--status <status>", workStatus.options.join("|"))
    .option("--kind <kind>", workKind.options.join("|"))
    .option("--run <id>", "items of one HTTP run")
    .option("--scenario <id>")
    .option("--limit <n>", "rows", "50")
    .option("--cursor <cursor>", "continue after a previous page")
    .action(
      async (
        opts: { status?: string; kind?: string; run?: string; scenario?: string; limit: string; cursor?: string },
        cmd: Command,
      ) => {
        const g = globalsOf(cmd);
        const status = oneOf("--status", opts.status, workStatus.options);
        const kind = oneOf("--kind", opts.kind, workKind.options);
        const limit = parsePositiveInt("--limit", opts.limit) ?? 50;
        const page = await withApi(g, (api) =>
          api.queue.list.query({
            limit,
            ...(status ? { status } : {}),
            ...(kind ? { kind } : {}),
            ...(opts.run ? { run_id: opts.run } : {}),
            ...(opts.scenario ? { scenario_id: opts.scenario } : {}),
            ...(opts.cursor ? { cursor: opts.cursor } : {}),
          }),
        );
        if (g.json) return printPage(page);
        printTable(
          page.items.map((i) => ({
            ...i,
            // an IVR item names its execution once a worker started it, its scenario until then
            target:
              i.kind === "ivr"
                ? i.execution_id !== null
                  ? `execution ${i.execution_id}`
                  : `${i.scenario_id} (not started)`
                : `${i.run_id}/${i.instance_id}`,
            attempts: `${i.attempts}/${i.max_attempts}`,
          })),
          ["id", "kind", "status", "target", "attempts", "claimed_by", "enqueued_at", "last_error"],
        );
        if (page.nextCursor) note(color.dim(`more: --cursor ${page.nextCursor}`));
      },
    );
  queue
    .command("show <item>")
    .description("one queue item: its kind, status, attempts and lease")
    .addHelpText("after", examples("verdict queue show 42", "verdict queue show 42 --json"))
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const item = await withApi(g, (api) => api.queue.get.query({ item_id: id }));
      if (g.json) return printJson(item);
      printKeyValues(item);
    });
  queue
    .command("counts")
    .addHelpText("after", examples("verdict queue counts"))
    .description("items per kind and status")
    .action(async (_o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const counts = await withApi(g, (api) => api.queue.counts.query());
      if (g.json) return printJson(counts);
      printTable(
        workKind.options.map((kind) => ({ kind, ...counts[kind] })),
        ["kind", ...workStatus.options],
      );
    });
  queue
    .command("reap")
    .addHelpText("after", examples("verdict queue reap"))
    .description(
      "return items with expired leases to the queue and time out overdue ones now (workers do this on every claim)",
    )
    .action(async (_o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = await withApi(g, (api) => api.queue.reap.mutate());
      if (g.json) return printJson(r);
      info(`requeued ${r.requeued}, failed ${r.failed}, timed out ${r.timed_out}`);
    });
}
