import { readFileSync } from "node:fs";
import { ConfigError, USAGE, loadConfig } from "./config.js";
import { startDemoIvr } from "./server.js";

const line = (entry: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);

async function main(): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.argv.slice(2));
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`error: ${e.message}\n${USAGE.split("\n")[0]}\n`);
      return 64; // EX_USAGE, as the verdict CLI
    }
    throw e;
  }
  if (config === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (config === "version") {
    // The package's own version (dist/main.js and src/main.ts both sit one level below package.json).
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const quiet = config.quiet;
  let ivr: Awaited<ReturnType<typeof startDemoIvr>>;
  try {
    ivr = await startDemoIvr({
      host: config.host,
      port: config.port,
      dialect: config.dialect,
      hangDtmf: config.hangDtmf,
      hangPhrase: config.hangPhrase,
      delayMs: config.delayMs,
      idleCallMs: 10 * 60_000,
      log: (entry) => {
        if (!quiet || entry.msg !== "turn") line(entry);
      },
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "EADDRINUSE") {
      process.stderr.write(`error: --port: ${config.host}:${config.port} is already in use\n`);
      return 1;
    }
    if (err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND") {
      process.stderr.write(`error: --host: cannot listen on ${config.host} (${err.code})\n`);
      return 1;
    }
    throw e;
  }
  line({
    msg: "listening",
    url: ivr.url,
    dialect: config.dialect,
    hang_dtmf: config.hangDtmf,
    hang_phrase: config.hangPhrase,
  });
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      line({ msg: "shutting down", signal, calls: ivr.calls });
      ivr.close().then(resolve, resolve);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
