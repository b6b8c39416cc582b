import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { ConfigError, USAGE, loadConfig } from "./config.js";
import { createHttpExecutor } from "./executors/http.js";
import { createIvrExecutor } from "@verdict/ivr-runner";
import { createLogger, errorMessage } from "./log.js";
import { AuthError, createRpc } from "./rpc.js";
import { Worker } from "./worker.js";

/**
 * verdict-worker: claims work from a Verdict server and runs it, talking to Verdict only through
 * the typed tRPC client (@verdict/api/client), never to the database. Exit codes: 0 after a
 * normal stop (SIGTERM/SIGINT), 1 when the server refuses the token, 64 on bad flags (usage error).
 */
export async function main(): Promise<number> {
  let cfg: ReturnType<typeof loadConfig>;
  try {
    cfg = loadConfig(process.argv.slice(2), process.env, { hostname: hostname(), pid: process.pid });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`verdict-worker: error: ${e.message}\n(run verdict-worker --help for usage)\n`);
      return 64; // EX_USAGE, as the verdict CLI
    }
    throw e;
  }
  if (cfg === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (cfg === "version") {
    // The package's own version (dist/index.js and src/index.ts both sit one level below package.json).
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const log = createLogger({ worker: cfg.id, pid: process.pid }, { debug: cfg.debug });
  const rpc = createRpc(cfg, log);
  const http = createHttpExecutor({ maxSockets: cfg.concurrency });
  const worker = new Worker(cfg, {
    rpc,
    log,
    http,
    ivr: createIvrExecutor({
      ...(cfg.ivrWebhookUrl !== undefined
        ? {
            ivrWebhookUrl: cfg.ivrWebhookUrl,
            ivrChannel: cfg.ivrChannel,
            ...(cfg.ivrAuthToken !== undefined ? { authToken: cfg.ivrAuthToken } : {}),
          }
        : {}),
      onWarning: (w) => log("warn", w),
    }),
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      log("warn", "second signal: exiting now; unfinished items return to the queue when their leases expire", {
        signal,
      });
      process.exit(0);
    }
    log("info", "signal received", { signal });
    worker.stop(signal);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    await worker.run();
    return 0;
  } catch (e) {
    if (e instanceof AuthError) return 1;
    log("error", "worker failed", { error: errorMessage(e) });
    return 1;
  } finally {
    http.close();
    rpc.close();
  }
}
