import { readFileSync } from "node:fs";

/**
 * verdict-worker's entry: `--version` (alone) answers from package.json before any module of the
 * worker (zod, tRPC, the executors) is loaded; everything else starts `main.ts`.
 */
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  // dist/index.js and src/index.ts both sit one level below package.json.
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  process.stdout.write(`${pkg.version}\n`);
} else {
  const { main } = await import("./main.js");
  const { errorMessage } = await import("./log.js");
  main().then(
    (code) => {
      process.exitCode = code;
      // Keep-alive sockets of the HTTP client must not hold the process open.
      setTimeout(() => process.exit(code), 200).unref();
    },
    (e: unknown) => {
      process.stderr.write(`verdict-worker: ${errorMessage(e)}\n`);
      process.exitCode = 1;
    },
  );
}
