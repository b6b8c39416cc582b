import { VERSION } from "./version.js";

/**
 * verdict's entry: `verdict --version` alone answers before anything else is loaded (the config
 * file loader, YAML, tables, commander); every other command line goes to `main.ts`.
 */
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  process.stdout.write(`${VERSION}\n`);
} else {
  const { main } = await import("./main.js");
  process.exitCode = await main(process.argv);
}
