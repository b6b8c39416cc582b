import { fileURLToPath } from "node:url";
import { VERSION } from "./version.js";

/** Global options that take a value (see globals.ts): their value is not the command's name. */
const VALUE_OPTIONS = new Set(["--db", "--db-auth-token", "--sync-url", "--sync-interval", "--server", "--token"]);

/**
 * The command named on the command line (`runs summary`, `serve`), as the code cache's key: each
 * command gets a cache of what it runs. The first word that is no option (nor a global option's
 * value) and the word right after it when that is a plain word (a subcommand). A wrong guess only
 * costs speed.
 */
function commandWords(argv: readonly string[]): string[] {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (VALUE_OPTIONS.has(a)) i++;
    else if (a === "--") break;
    else if (!a.startsWith("-")) {
      const next = argv[i + 1];
      return next !== undefined && /^[a-z]+(-[a-z]+)*$/.test(next) ? [a, next] : [a];
    }
  }
  return [];
}

/*
 * verdict's entry: `verdict --version` alone answers before anything else is loaded; every other
 * command line runs main() from the CLI's bundle (dist/verdict.cjs: the CLI with every workspace
 * package and pure-JS dependency in one CommonJS file, see tsup.config.ts) through a V8 code cache
 * (code-cache.ts). Inside the bundle, command modules, the router and the database driver are still
 * initialised only when a command needs them.
 */
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  process.stdout.write(`${VERSION}\n`);
} else {
  const { loadBundle } = await import("./code-cache.js");
  const bundle = loadBundle(fileURLToPath(new URL("./verdict.cjs", import.meta.url)), commandWords(args).join("-"));
  const main = bundle.exports.main as (argv: string[]) => Promise<number>;
  process.exitCode = await main(process.argv);
  // A failed command ran only part of its code: its cache would be a poor one.
  if (process.exitCode === 0) bundle.saveCache();
}
