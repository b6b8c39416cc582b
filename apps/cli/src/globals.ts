import { existsSync } from "node:fs";
import type { Command } from "commander";
// Types only: every command parses these options, few open a database (loaded in withDb).
import type { OpenOptions, VerdictDb } from "@verdict/db";
import { loadEnv } from "./config.js";
import { applyCommandDefaults, commandPathOf, loadSettings } from "./config-file.js";
import { UsageError } from "./errors.js";
import { commanderErrorOutput, commanderErrorText, detail, setVerbosity } from "./output.js";

export interface GlobalOptions {
  db: string;
  dbAuthToken?: string;
  readOnly: boolean;
  syncUrl?: string;
  syncInterval?: string;
  server?: string;
  token?: string;
  json: boolean;
  quiet: boolean;
  verbose: boolean;
}

/** Options every command accepts, with environment defaults from the config module. */
export async function addGlobalOptions(program: Command): Promise<Command> {
  const env = loadEnv();
  const settings = await loadSettings(env);
  program.configureOutput({ outputError: commanderErrorOutput, writeErr: commanderErrorText });
  return program
    .option(
      "--db <url>",
      "database URL: file:PATH, :memory:, libsql://, http(s)://, ws(s):// (env VERDICT_DB_URL, config file `database`; default PROJECT_ROOT/data/verdict.db)",
      settings.database.value,
    )
    .option(
      "--db-auth-token <token>",
      "auth token for a remote libSQL server (env VERDICT_DB_AUTH_TOKEN)",
      settings.databaseAuthToken.value,
    )
    .option(
      "--read-only",
      "open the database for reads only: writes fail, nothing is changed (env VERDICT_DB_READ_ONLY=1)",
      env.dbReadOnly,
    )
    .option(
      "--sync-url <url>",
      "embedded replica: primary to sync the --db file with (env VERDICT_SYNC_URL)",
      env.syncUrl,
    )
    .option(
      "--sync-interval <seconds>",
      "embedded replica: seconds between background syncs",
      env.syncIntervalSeconds?.toString(),
    )
    .option(
      "--server <url>",
      "talk to a Verdict server instead of a database (env VERDICT_SERVER, config file `server`)",
      settings.server.value,
    )
    .option("--token <token>", "API token for --server (env VERDICT_TOKEN, config file `token`)", settings.token.value)
    .option("--json", "machine-readable JSON output", false)
    .option("-q, --quiet", "only results and errors: no progress, hints or notes", false)
    .option("-v, --verbose", "more detail: timings, and the stack of an internal error", false)
    .hook("preAction", (_program, action) => {
      const g = action.optsWithGlobals<GlobalOptions>();
      if (g.quiet && g.verbose) throw new UsageError("--quiet and --verbose cannot be used together");
      setVerbosity(g.quiet ? "quiet" : g.verbose ? "verbose" : "normal");
      applyCommandDefaults(action, settings);
      startedAt = performance.now();
    })
    .hook("postAction", (_program, action) => {
      detail(`${commandPathOf(action)}: done in ${Math.round(performance.now() - startedAt)} ms`);
    });
}

let startedAt = 0;

export function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

export function parsePositiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag}: expected a positive whole number, got '${value}'`);
  return n;
}

/** A flag whose value must be one of `allowed` (usage error, exit 2, otherwise). */
export function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`${flag}: expected one of ${allowed.join(", ")}, got '${value}'`);
  return value as T;
}

/** A date or ISO-8601 time flag, normalised to ISO-8601 UTC. */
export function isoFlag(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new UsageError(`${flag}: expected a date or ISO-8601 time, got '${value}'`);
  return new Date(t).toISOString();
}

export function openOptions(g: GlobalOptions): OpenOptions {
  const interval = parsePositiveInt("--sync-interval", g.syncInterval);
  return {
    url: g.db,
    ...(g.dbAuthToken ? { authToken: g.dbAuthToken } : {}),
    ...(g.readOnly ? { readOnly: true } : {}),
    ...(g.syncUrl ? { syncUrl: g.syncUrl } : {}),
    ...(interval ? { syncIntervalSeconds: interval } : {}),
  };
}

/** How a command opens the local database; only the commands that make one (init, migrate up, runs import) set `creates`. */
export type LocalOpen = Partial<OpenOptions> & { creates?: boolean };

/**
 * Reads never create a database: a local database file that does not exist is a one-line error
 * naming it and how to make one, and nothing is written (no file, no data/ folder).
 */
export async function requireDatabase(g: GlobalOptions, creates = false): Promise<void> {
  if (creates || g.server || g.syncUrl) return;
  const { filePath, StorageError } = await import("@verdict/db");
  const path = filePath(g.db);
  if (path === null || path === "" || existsSync(path)) return;
  throw new StorageError(
    "io",
    path,
    `no database at ${path}: create one with \`verdict init\` (or point --db, VERDICT_DB_URL or the config file's \`database\` at one)`,
  );
}

/** Opens the database for one command and always closes it. */
export async function withDb<T>(
  g: GlobalOptions,
  { creates, ...extra }: LocalOpen,
  fn: (h: VerdictDb) => Promise<T>,
): Promise<T> {
  const { openDatabase, translateDriverError } = await import("@verdict/db");
  await requireDatabase(g, creates);
  const h = await openDatabase({ ...openOptions(g), ...extra });
  try {
    return await fn(h);
  } catch (e) {
    // Paths that talk to the file directly (the bulk importer) get the same storage-fault lines.
    throw translateDriverError(e, h.storage);
  } finally {
    h.close();
  }
}
