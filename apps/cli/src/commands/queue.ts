import { Command } from "commander";
import { httpScenario, workKind, workStatus } from "@verdict/schema";
import { withApi } from "../api.js";
import { UsageError } from "../errors.js";
import { globalsOf, parsePositiveInt, oneOf } from "../globals.js";
import { readStructuredFile } from "../input-files.js";
import { color, info, note, printJson, printKeyValues, printTable, printPage } from "../output.js";
import { examples } from "../help.js";

/**
 * The execution queue from the command line: `executions enqueue`, `runs start` (added to the
 * existing command groups) and `queue list|show|counts|reap`. Workers (`verdict-worker`) do the work.
 */
export function registerQueueCommands(program: Command): void {
  // A group whose module is not loaded for this command line (`executions` when `runs` runs, see
  // registry.ts): its queue subcommands go to a detached stand-in, not into this program.
  const group = (name: string): Command => program.commands.find((c) => c.name() === name) ?? new Command(name);

  group("executions")
    .command("enqueue")
    .addHelpText(
      "after",
      examples(
        "verdict executions enqueue --scenario bank-balance",
        "verdict executions enqueue --scenario bank-balance --repeat 10",
      ),
    )
    .description("queue executions of an IVR scenario for verdict-worker processes to run")
    .requiredOption("--scenario <id>", "scenario to run")
    .option("--repeat <n>", "how many executions", "1")
    .option("--max-attempts <n>", "attempts per execution (a crashed worker's attempt counts)", "3")
    .action(async (opts: { scenario: string; repeat: string; maxAttempts: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const repeat = parsePositiveInt("--repeat", opts.repeat) ?? 1;
      const maxAttempts = parsePositiveInt("--max-attempts", opts.maxAttempts) ?? 3;
      if (repeat > 10_000) throw new UsageError(`--repeat: at most 10000 at a time, got ${repeat}`);
      if (maxAttempts > 20) throw new UsageError(`--max-attempts: at most 20, got ${maxAttempts}`);
      const r = await withApi(g, (api) =>
        api.queue.enqueue.mutate({ scenario_id: opts.scenario, repeat, max_attempts: maxAttempts }),
      );
      if (g.json) return printJson(r);
      // A queued execution is its queue item until a worker starts it (the item then names the execution).
      info(`${color.green("queued")} ${r.item_ids.length} execution(s) of ${r.slug} (scenario ${r.scenario_id})`);
      for (const id of r.item_ids) process.stdout.write(`${id}\n`);
    });

  group("runs")
    .command("start <scenario-file>")
    .addHelpText("after", examples("verdict runs start scenarios/checkout.yaml --instances 50 --sut shop-api"))
    .description("start an HTTP run from a scenario file (YAML or JSON); verdict-worker processes run its instances")
    .option("--instances <n>", "how many instances", "1")
    .option("--sut <name>", "system under test (default: the scenario's sut, else its id)")
    .option("--run-id <id>", "id of the new run (default: generated)")
    .action(async (file: string, opts: { instances: string; sut?: string; runId?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const instances = parsePositiveInt("--instances", opts.instances) ?? 1;
      if (instances > 100_000) throw new UsageError(`--instances: at most 100000, got ${instances}`);
      const scenario = readStructuredFile(file, httpScenario);
      if (opts.runId !== undefined && /\s/.test(opts.runId)) throw new UsageError("--run-id: must not contain spaces");
      const r = await withApi(g, (api) =>
        api.queue.startRun.mutate({
          scenario,
          instances,
          ...(opts.sut ? { sut_name: opts.sut } : {}),
          ...(opts.runId ? { run_id: opts.runId } : {}),
        }),
      );
      if (g.json) return printJson({ run_id: r.run.id, sut_name: r.run.sut_name, instances: r.instances });
      info(
        `${color.green("started")} run ${r.run.id} (${r.instances} instance(s) of ${scenario.id}, sut ${r.run.sut_name})`,
      );
      process.stdout.write(`${r.run.id}\n`);
    });

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
