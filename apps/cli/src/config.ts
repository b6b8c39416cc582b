/**
 * The CLI's only reader of process.env: every setting has a flag, and the environment
 * supplies defaults for the ones a team sets once (database URL, server, tokens).
 */
export interface CliEnv {
  /** VERDICT_DB_URL; the default database comes from the project root (config-file.ts). */
  dbUrl: string | undefined;
  dbAuthToken: string | undefined;
  dbReadOnly: boolean;
  syncUrl: string | undefined;
  syncIntervalSeconds: number | undefined;
  server: string | undefined;
  token: string | undefined;
  debug: boolean;
  noColor: boolean;
  forceColor: boolean;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
}

export function loadEnv(env: NodeJS.ProcessEnv = process.env): CliEnv {
  const interval = env.VERDICT_SYNC_INTERVAL ? Number(env.VERDICT_SYNC_INTERVAL) : undefined;
  return {
    dbUrl: env.VERDICT_DB_URL || undefined,
    dbAuthToken: env.VERDICT_DB_AUTH_TOKEN || undefined,
    dbReadOnly: env.VERDICT_DB_READ_ONLY !== undefined && !["", "0", "false"].includes(env.VERDICT_DB_READ_ONLY),
    syncUrl: env.VERDICT_SYNC_URL || undefined,
    syncIntervalSeconds: interval !== undefined && Number.isFinite(interval) ? interval : undefined,
    server: env.VERDICT_SERVER || undefined,
    token: env.VERDICT_TOKEN || undefined,
    debug: env.VERDICT_DEBUG === "1",
    noColor: env.NO_COLOR !== undefined && env.NO_COLOR !== "",
    forceColor: env.FORCE_COLOR !== undefined && !["0", "false"].includes(env.FORCE_COLOR),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
  };
}
