import type { Command } from "commander";

/**
 * Which module registers which top-level commands, so `verdict` loads only the modules of the
 * command being run (`verdict --version` and `verdict --help` load none: no libSQL, drizzle, tRPC
 * or zod). Modules register in this order; `after` lists the modules whose groups a module adds to.
 */
interface CommandModule {
  id: string;
  /** Top-level commands the module creates or adds subcommands to. */
  touches: readonly string[];
  after?: readonly string[];
  /** Needs every module in `after` whatever the command (completion describes the whole tree). */
  whole?: boolean;
  load: () => Promise<(program: Command) => void>;
}

export const COMMAND_MODULES: readonly CommandModule[] = [
  {
    id: "db",
    touches: ["init", "migrate", "seed"],
    load: async () => (await import("./db.js")).registerDbCommands,
  },
  {
    id: "server",
    touches: ["serve", "tokens", "backup"],
    load: async () => (await import("./server.js")).registerServerCommands,
  },
  {
    id: "ivr",
    touches: ["scenarios", "executions", "training"],
    load: async () => (await import("./ivr.js")).registerIvrCommands,
  },
  { id: "ivr-run", touches: ["ivr"], load: async () => (await import("./ivr-run.js")).registerIvrRunCommand },
  {
    id: "training-eval",
    touches: ["training"],
    after: ["ivr"],
    load: async () => (await import("./training-eval.js")).registerTrainingEvalCommands,
  },
  { id: "metrics", touches: ["metrics"], load: async () => (await import("./metrics.js")).registerMetricsCommands },
  {
    id: "runs",
    touches: ["runs"],
    load: async () => {
      const [query, data, analysis, report] = await Promise.all([
        import("./runs.js"),
        import("./runs-data.js"),
        import("./runs-analysis.js"),
        import("./runs-report.js"),
      ]);
      return (program) => {
        const runs = program.command("runs").description("run data of scenario/load-testing tools (turbulence format)");
        query.registerRunQueryCommands(runs);
        data.registerRunDataCommands(runs);
        analysis.registerRunAnalysisCommands(runs);
        report.registerRunReportCommands(runs);
      };
    },
  },
  {
    id: "queue-start",
    touches: ["executions", "runs"],
    after: ["ivr", "runs"],
    load: async () => (await import("./queue-start.js")).registerQueueStartCommands,
  },
  { id: "queue", touches: ["queue"], load: async () => (await import("./queue.js")).registerQueueCommands },
  { id: "schema", touches: ["schema"], load: async () => (await import("./schema.js")).registerSchemaCommands },
  { id: "config", touches: ["config"], load: async () => (await import("./config.js")).registerConfigCommands },
  {
    id: "completion",
    touches: ["completion"],
    // A completion script describes the whole command tree.
    after: [
      "db",
      "server",
      "ivr",
      "ivr-run",
      "training-eval",
      "metrics",
      "runs",
      "queue-start",
      "queue",
      "schema",
      "config",
    ],
    whole: true,
    load: async () => (await import("./completion.js")).registerCompletionCommand,
  },
];

/** Every top-level command name, in registration order. */
export const TOP_LEVEL_COMMANDS: readonly string[] = [...new Set(COMMAND_MODULES.flatMap((m) => m.touches))];

/**
 * The modules needed for `name`, in registration order: those touching it, with the modules of
 * their `after` that touch it too (`runs` loads the runs and queue-start modules, not the IVR ones
 * queue-start also adds to); all modules when `name` is undefined or not a command (full help,
 * "unknown command" suggestions).
 */
export function modulesFor(name: string | undefined): CommandModule[] {
  if (name === undefined || !TOP_LEVEL_COMMANDS.includes(name)) return [...COMMAND_MODULES];
  const wanted = new Set<string>();
  const add = (id: string): void => {
    if (wanted.has(id)) return;
    wanted.add(id);
    const m = COMMAND_MODULES.find((x) => x.id === id);
    for (const dep of m?.after ?? [])
      if (m?.whole || COMMAND_MODULES.find((x) => x.id === dep)?.touches.includes(name)) add(dep);
  };
  for (const m of COMMAND_MODULES) if (m.touches.includes(name)) add(m.id);
  return COMMAND_MODULES.filter((m) => wanted.has(m.id));
}

/** Loads the modules and registers their commands on `program`. */
export async function registerModules(program: Command, modules: readonly CommandModule[]): Promise<void> {
  const registers = await Promise.all(modules.map((m) => m.load()));
  for (const register of registers) register(program);
}

/**
 * The top-level command named on the command line: the first word that is neither an option nor the
 * value of one of `program`'s options (`verdict --db x runs list` → runs; `verdict help runs` → runs).
 */
export function commandNameIn(program: Command, args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "--") return args[i + 1];
    if (a.startsWith("-")) {
      if (a.includes("=")) continue;
      const option = program.options.find((o) => o.long === a || o.short === a);
      if (option && (option.required || option.optional)) i++;
      continue;
    }
    if (a === "help" && i + 1 < args.length) return args[i + 1];
    return a;
  }
  return undefined;
}
