import { createLog } from "@verdict/api/log";

/**
 * Structured logs through pino on stderr (stdout stays free for tools): the format of `verdict serve`
 * (@verdict/api/log: JSON lines, pretty on a terminal, LOG_LEVEL).
 */
export type Level = "debug" | "info" | "warn" | "error";

export type Logger = (level: Level, msg: string, fields?: Record<string, unknown>) => void;

export function createLogger(base: Record<string, unknown>, opts: { debug?: boolean } = {}): Logger {
  const p = createLog({ fd: 2, base, ...(opts.debug ? { debug: true } : {}) });
  return (level, msg, fields = {}) => p[level](fields, msg);
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) {
    const cause = e.cause instanceof Error && !e.message.includes(e.cause.message) ? `: ${e.cause.message}` : "";
    return `${e.message}${cause}`;
  }
  return String(e);
}
