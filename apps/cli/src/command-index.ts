import { readFileSync } from "node:fs";
import { Argument, type Command, Option } from "commander";

/**
 * The command index: name, arguments and description of every top-level command, written next to
 * the built CLI at build time (build-command-index.ts) so `verdict --help` lists every command
 * without loading any command module. Without the file (a source run) every module is loaded instead.
 */
export interface IndexedCommand {
  name: string;
  description: string;
  /** Arguments as help prints them: `<out>`, `[name...]`. */
  args: string[];
  hasOptions: boolean;
}

export const COMMAND_INDEX_FILE = "commands.json";

export function describeCommands(program: Command): IndexedCommand[] {
  return program.commands.map((c) => ({
    name: c.name(),
    description: c.description(),
    args: c.registeredArguments.map((a) => {
      const name = `${a.name()}${a.variadic ? "..." : ""}`;
      return a.required ? `<${name}>` : `[${name}]`;
    }),
    hasOptions: c.options.length > 0,
  }));
}

export function loadCommandIndex(): { addTo(program: Command): void } | null {
  let entries: IndexedCommand[];
  try {
    entries = JSON.parse(readFileSync(new URL(`./${COMMAND_INDEX_FILE}`, import.meta.url), "utf8")) as IndexedCommand[];
  } catch {
    return null;
  }
  return {
    addTo(program) {
      for (const e of entries) {
        // Stand-ins that only describe: a command line naming a command loads the real one.
        const stub = program.command(e.name).description(e.description);
        for (const a of e.args) stub.addArgument(new Argument(a));
        if (e.hasOptions) stub.addOption(new Option("--options").hideHelp());
      }
    },
  };
}
