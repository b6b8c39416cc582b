import type { Command } from "commander";
import {
  type Domain,
  DOMAINS,
  type OpenOptions,
  type VerdictDb,
  openDatabase,
  translateDriverError,
} from "@verdict/db";
import { loadEnv } from "./config.js";
import { UsageError } from "./errors.js";
import { detail, setVerbosity } from "./output.js";

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
export function addGlobalOptions(program: Command): Command {
  const env = loadEnv();
  return program
    .option(
      "--db <url>",
      "database URL: file:PATH, :memory:, libsql://, http(s)://, ws(s):// (env VERDICT_DB_URL)",
      env.dbUrl,
    )
    .option(
      "--db-auth-token <token>",
      "auth token for a remote libSQL server (env VERDICT_DB_AUTH_TOKEN)",
      env.dbAuthToken,
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
    .option("--server <url>", "talk to a Verdict server instead of a database (env VERDICT_SERVER)", env.server)
    .option("--token <token>", "API token for --server (env VERDICT_TOKEN)", env.token)
    .option("--json", "machine-readable JSON output", false)
    .option("-q, --quiet", "only results and errors: no progress, hints or notes", false)
    .option("-v, --verbose", "more detail: timings, and the stack of an internal error", false)
    .hook("preAction", (_program, action) => {
      const g = action.optsWithGlobals<GlobalOptions>();
      if (g.quiet && g.verbose) throw new UsageError("--quiet and --verbose cannot be used together");
      setVerbosity(g.quiet ? "quiet" : g.verbose ? "verbose" : "normal");
      startedAt = performance.now();
    })
    .hook("postAction", (_program, action) => {
      detail(`${commandPath(action)}: done in ${Math.round(performance.now() - startedAt)} ms`);
    });
}

let startedAt = 0;

/** "runs summary" for the runs summary command. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

export function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

export function parseDomains(value: string | undefined): Domain[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(",").map((d) => d.trim());
  for (const n of names) {
    if (!(DOMAINS as readonly string[]).includes(n)) {
      throw new UsageError(`--domain: unknown domain '${n}' (expected one of ${DOMAINS.join(", ")})`);
    }
  }
  return names as Domain[];
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

/** Opens the database for one command and always closes it. */
export async function withDb<T>(
  g: GlobalOptions,
  extra: Partial<OpenOptions>,
  fn: (h: VerdictDb) => Promise<T>,
): Promise<T> {
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
