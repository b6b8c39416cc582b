import { Command, CommanderError } from "commander";
import { loadCommandIndex } from "./command-index.js";
import { commandNameIn, modulesFor, registerModules } from "./commands/registry.js";
import { loadEnv } from "./config.js";
import { EXIT, InputFileError, InputFileErrors, UsageError } from "./errors.js";
import { addGlobalOptions } from "./globals.js";
import { ROOT_EXAMPLES } from "./help.js";
import { isVerbose, printError } from "./output.js";
import { VERSION } from "./version.js";

/** The exit-code table, shown by `verdict --help` and kept in step with the README. */
const EXIT_CODES_HELP = `
Exit codes:
  0   ok
  1   failure (bad input file, not found, conflict, storage or server error)
  2   a gate, threshold or regression violation (runs gate --fail-on)
  64  usage error (unknown command or option, bad flag value)`;

function exitOverrideAll(cmd: Command): void {
  cmd.exitOverride();
  for (const c of cmd.commands) exitOverrideAll(c);
}

async function buildProgram(argv: string[]): Promise<Command> {
  const program = new Command("verdict")
    .description("Verdict: one typed store for IVR tests, benchmark metrics and load-test run data")
    .version(VERSION)
    .showHelpAfterError("(run verdict --help for usage)")
    .exitOverride()
    .addHelpText("after", ROOT_EXAMPLES)
    .addHelpText("after", EXIT_CODES_HELP);
  await addGlobalOptions(program);
  // Only the modules of the command being run are loaded; the top-level help lists the others from
  // the command index written at build time (see command-index.ts).
  const name = commandNameIn(program, argv.slice(2));
  const index = name === undefined ? loadCommandIndex() : null;
  if (index) index.addTo(program);
  else await registerModules(program, modulesFor(name));
  exitOverrideAll(program);
  return program;
}

/** One line per user mistake; stack traces only for bugs, and only with VERDICT_DEBUG=1. */
async function report(e: unknown): Promise<number> {
  const debug = loadEnv().debug;
  if (e instanceof CommanderError) {
    if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help")
      return EXIT.ok;
    return EXIT.usage;
  }
  if (e instanceof UsageError) {
    printError("USAGE", e.message);
    return EXIT.usage;
  }
  // Loaded only now: a command that failed has loaded them already, `--help` never needs them.
  const [{ apiFailure }, { verdictErrorIn }, { ZodError }] = await Promise.all([
    import("./api.js"),
    import("@verdict/db"),
    import("zod"),
  ]);
  const failure = apiFailure(e);
  if (failure) {
    printError(failure.code, failure.message);
    return EXIT.failure;
  }
  if (e instanceof InputFileErrors) {
    printError("INPUT_FILE", e.lines);
    return EXIT.failure;
  }
  // Our errors may sit in a cause chain (drizzle wraps what the database layer throws).
  const ours = e instanceof InputFileError ? e : verdictErrorIn(e);
  if (ours) {
    printError(ours instanceof InputFileError ? "INPUT_FILE" : ours.code, ours.message);
    if (debug) process.stderr.write(`${ours.stack}\n`);
    return EXIT.failure;
  }
  if (e instanceof ZodError) {
    const first = e.issues[0];
    printError("INVALID_INPUT", first ? `${first.path.join(".") || "input"}: ${first.message}` : e.message);
    return EXIT.failure;
  }
  printError("INTERNAL", e instanceof Error ? e.message : String(e));
  // An internal error (a bug): its stack with -v/--verbose or VERDICT_DEBUG=1.
  if ((debug || isVerbose()) && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  return EXIT.failure;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await (await buildProgram(argv)).parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (e) {
    return await report(e);
  }
}
