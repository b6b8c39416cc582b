import { createRequire } from "node:module";
import type { DestinationStream, Logger as Pino } from "pino";
import type PinoPretty from "pino-pretty";

// Loaded on first use: every CLI command imports this package, only `verdict serve` logs.
const require = createRequire(import.meta.url);

export type LogLevel = "debug" | "info" | "warn" | "error";
const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/**
 * The one log format of `verdict serve` and `verdict-worker` (pino): JSON lines
 * `{"level":"info","time":"2026-…Z",…fields,"msg":"…"}`, the level by name and the time in ISO-8601;
 * on a terminal the same records pretty-printed by pino-pretty. `LOG_LEVEL` (trace, debug, info,
 * warn, error, fatal, silent) sets the threshold, default `info` (or `debug` when `debug` is set).
 */
export function createLog(opts: {
  /** 1: stdout (the server), 2: stderr (the worker, whose stdout stays free). */
  fd: 1 | 2;
  base?: Record<string, unknown>;
  debug?: boolean;
  env?: NodeJS.ProcessEnv;
}): Pino {
  const env = opts.env ?? process.env;
  const wanted = env.LOG_LEVEL?.toLowerCase();
  const level = wanted && (LEVELS as readonly string[]).includes(wanted) ? wanted : opts.debug ? "debug" : "info";
  const { pino, stdTimeFunctions } = require("pino") as typeof import("pino");
  const tty = opts.fd === 1 ? process.stdout.isTTY : process.stderr.isTTY;
  const pretty = tty ? (require("pino-pretty") as typeof PinoPretty) : null;
  const stream: DestinationStream = pretty
    ? pretty({ destination: opts.fd, colorize: true, translateTime: "SYS:HH:MM:ss.l", sync: true })
    : pino.destination({ fd: opts.fd, sync: true });
  return pino(
    {
      level,
      base: opts.base ?? null,
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}
