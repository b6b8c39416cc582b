/** Structured logs: one JSON object per line on stderr (stdout stays free for tools). */
export type Level = "debug" | "info" | "warn" | "error";

export type Logger = (level: Level, msg: string, fields?: Record<string, unknown>) => void;

export function createLogger(base: Record<string, unknown>, opts: { debug?: boolean } = {}): Logger {
  return (level, msg, fields = {}) => {
    if (level === "debug" && !opts.debug) return;
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...fields })}\n`);
  };
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) {
    const cause = e.cause instanceof Error && !e.message.includes(e.cause.message) ? `: ${e.cause.message}` : "";
    return `${e.message}${cause}`;
  }
  return String(e);
}
