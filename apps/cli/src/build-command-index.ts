import { writeFileSync } from "node:fs";
import { Command } from "commander";
import { COMMAND_INDEX_FILE, describeCommands } from "./command-index.js";
import { COMMAND_MODULES, registerModules } from "./commands/registry.js";

/** Build step (tsup onSuccess): writes dist/commands.json from the real command modules. */
export async function writeCommandIndex(): Promise<void> {
  const program = new Command("verdict");
  await registerModules(program, COMMAND_MODULES);
  writeFileSync(
    new URL(`./${COMMAND_INDEX_FILE}`, import.meta.url),
    `${JSON.stringify(describeCommands(program), null, 1)}\n`,
  );
}
