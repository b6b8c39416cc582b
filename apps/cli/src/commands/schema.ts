import type { Command } from "commander";
import { databaseFiles, writeOutputFile } from "@verdict/db";
import { FILE_SCHEMA_NAMES, type FileSchemaName, fileJsonSchema } from "@verdict/schema";
import { UsageError } from "../errors.js";
import { globalsOf } from "../globals.js";
import { info, printJson } from "../output.js";
import { examples } from "../help.js";

/** The text of one file's JSON Schema, as committed under schemas/NAME.schema.json. */
export function jsonSchemaText(name: FileSchemaName): string {
  return `${JSON.stringify(fileJsonSchema(name), null, 2)}\n`;
}

export function registerSchemaCommands(program: Command): void {
  const schema = program
    .command("schema")
    .addHelpText("after", examples("verdict schema json ivr-scenario"))
    .description("JSON Schema of the files you write by hand, for editors");
  schema
    .command("json <name>")
    .addHelpText(
      "after",
      examples(
        "verdict schema json ivr-scenario --out ivr-scenario.schema.json",
        "verdict schema json metrics-thresholds",
      ),
    )
    .description(`print (or write with --out) the JSON Schema of a file kind: ${FILE_SCHEMA_NAMES.join(", ")}`)
    .option("--out <file>", "write here instead of stdout; an existing file is refused unless --force")
    .option("--force", "replace an existing --out file")
    .addHelpText(
      "after",
      "\nExample:\n  verdict schema json ivr-scenario --out schemas/ivr-scenario.schema.json\n" +
        "  then start a scenario file with: # yaml-language-server: $schema=./schemas/ivr-scenario.schema.json",
    )
    .action((name: string, opts: { out?: string; force?: boolean }, cmd: Command) => {
      if (!(FILE_SCHEMA_NAMES as readonly string[]).includes(name))
        throw new UsageError(`schema json: expected one of ${FILE_SCHEMA_NAMES.join(", ")}, got '${name}'`);
      const text = jsonSchemaText(name as FileSchemaName);
      if (opts.out === undefined) {
        process.stdout.write(text);
        return;
      }
      const g = globalsOf(cmd);
      writeOutputFile(opts.out, text, { force: Boolean(opts.force), protect: databaseFiles(g.db) });
      if (g.json) return printJson({ out: opts.out, schema: name });
      info(`wrote ${opts.out}`);
    });
}
