import { Command } from "commander";
import { withApi } from "../api.js";
import { UsageError } from "../errors.js";
import { globalsOf, parsePositiveInt } from "../globals.js";
import { color, info, printJson } from "../output.js";
import { examples } from "../help.js";

/**
 * What puts work on the execution queue, added to the existing command groups: `executions enqueue`
 * (IVR) and `runs start` (HTTP). The queue itself is `verdict queue` (queue.ts).
 */
export function registerQueueStartCommands(program: Command): void {
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
      // Loaded here: the file reader (YAML) and the scenario schema serve this command only.
      const [{ readStructuredFile }, { httpScenario }] = await Promise.all([
        import("../input-files.js"),
        import("@verdict/schema"),
      ]);
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
}
