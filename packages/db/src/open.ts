import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readSync } from "node:fs";
import { dirname, resolve } from "node:path";
// First: loads the native driver without its loader's diagnostic report (see libsql-driver.ts).
import "./libsql-driver.js";
import type { Client, Config, InStatement, Transaction, TransactionMode } from "@libsql/client";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
// drizzle over a client we create: this entry loads libSQL's file client only (drizzle-orm/libsql loads all three).
import { drizzle } from "drizzle-orm/libsql/sqlite3";
import { databaseName, type StorageTarget, translateDriverError } from "./db-errors.js";
import { ConnectionError, SchemaMismatchError, StorageError } from "./errors.js";
import { BUSY_SLICE_MS, guardClient } from "./guarded-client.js";
import {
  type Domain,
  DOMAINS,
  type MigrationOptions,
  assertUntampered,
  cachedMigrationFiles,
  compareMigrations,
  migrateUp,
  readApplied,
} from "./migrations.js";
import { flushTokenUse } from "./queries/token-use.js";
import * as schema from "./schema/index.js";
import { refuseTurbulenceDatabase } from "./turbulence/sqlite-source.js";

export const DEFAULT_DB_URL = "file:data/verdict.db";

export interface OpenOptions extends MigrationOptions {
  url?: string;
  authToken?: string;
  /** Embedded replica: keep `url` (a file) in sync with this remote primary. */
  syncUrl?: string;
  /** Seconds between background syncs of an embedded replica. */
  syncIntervalSeconds?: number;
  /** Domains the caller needs; opening fails if one is missing or out of date. Default: all. */
  domains?: readonly Domain[];
  /** Apply pending migrations of `domains` before checking (used by `init`, tests and per-run files). */
  migrate?: boolean;
  /** Skip the schema check (only the migration commands themselves do this). */
  skipSchemaCheck?: boolean;
  /** Milliseconds a write waits for a locked database before failing with StorageError "busy". */
  busyTimeoutMs?: number;
  /**
   * Open for reads only (`--read-only`, VERDICT_DB_READ_ONLY): no WAL switch, no migration, no
   * token-use write; writes fail with StorageError "read_only". Also chosen by itself for a file or
   * folder that is not writable and for a libSQL token with read-only access.
   */
  readOnly?: boolean;
}

export type DbKind = "file" | "memory" | "remote" | "replica";
export type Drizzle = LibSQLDatabase<typeof schema>;

export interface VerdictDb {
  client: Client;
  db: Drizzle;
  url: string;
  kind: DbKind;
  /** Opened for reads only: writes fail with StorageError "read_only". */
  readOnly: boolean;
  /** The database as shown in messages: a file path, or the URL without credentials. */
  database: string;
  /** What storage faults of this handle are about (for translateDriverError). */
  storage: StorageTarget;
  /** Pull the primary's changes into an embedded replica now (no-op otherwise). */
  sync(): Promise<void>;
  /** Run by close(), before the client closes (e.g. the queue's kept write connection). */
  atClose: (() => void)[];
  close(): void;
}

export function dbKind(url: string, syncUrl?: string): DbKind {
  if (url === ":memory:" || url === "file::memory:" || url.startsWith("file::memory:?")) return "memory";
  if (url.startsWith("file:")) return syncUrl ? "replica" : "file";
  if (/^(libsql|https?|wss?):\/\//.test(url)) return "remote";
  throw new ConnectionError(
    `unsupported database URL '${url}': use file:PATH, :memory:, libsql://, http(s):// or ws(s)://`,
  );
}

export function filePath(url: string): string | null {
  if (!url.startsWith("file:") || url.startsWith("file::memory:")) return null;
  const rest = url.slice("file:".length).split("?")[0] ?? "";
  return rest.startsWith("//") ? rest.replace(/^\/\/[^/]*/, "") : rest;
}

/** Default wait of a write on a locked database. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The access claim of a libSQL JWT ("ro" or "rw"), read without verifying it (the server does that). */
function tokenAccess(token: string | undefined): string | null {
  const payload = token?.split(".")[1];
  if (!payload) return null;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    const a = (claims as { a?: unknown } | null)?.a;
    return typeof a === "string" ? a : null;
  } catch {
    return null;
  }
}

/** Why a target can only be read, or null when it can be written. */
export function readOnlyReason(opts: OpenOptions, kind: DbKind, path: string | null): string | null {
  if (opts.readOnly) return "opened with --read-only (VERDICT_DB_READ_ONLY)";
  if (kind === "file" && /[?&]mode=ro(&|$)/.test(opts.url ?? "")) return "the URL asks for mode=ro";
  if (kind === "file" && path) {
    if (existsSync(path) && !writable(path)) return "the file is not writable";
    if (existsSync(path) && !writable(dirname(path)))
      return `its folder ${dirname(path)} is not writable (SQLite needs it for its journal)`;
  }
  if (kind === "remote" && tokenAccess(opts.authToken) === "ro") return "the token has read-only access";
  return null;
}

/** Whether a SQLite file is in WAL mode (byte 18 of its header is 2). */
function isWalFile(path: string): boolean {
  try {
    const fd = openSync(path, "r");
    try {
      const header = Buffer.alloc(20);
      return readSync(fd, header, 0, 20, 0) === 20 && header[18] === 2;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/**
 * The driver URL that opens a local file for reads only: a SQLite URI (mode=ro) passed through the
 * client's file: URL (its path is percent-decoded once). A WAL file whose -shm cannot be created
 * (folder not writable) and that has no -wal left is opened immutable, the one way SQLite reads it.
 */
function readOnlyFileUrl(path: string): string {
  const abs = resolve(path);
  const params = ["mode=ro"];
  // The header is read with a descriptor of our own only when no connection can have the file open in
  // WAL mode (no -shm, no -wal, a folder nobody here can write): closing that descriptor drops every
  // POSIX lock this process holds on the file (see isTurbulenceDatabase).
  if (!writable(dirname(abs)) && !existsSync(`${abs}-shm`) && !existsSync(`${abs}-wal`) && isWalFile(abs))
    params.push("immutable=1");
  const uri = `file:${encodeURI(abs)}?${params.join("&")}`;
  return `file:${uri.replaceAll("%", "%25").replace("?", "%3F")}`;
}

/**
 * The one way to open a Verdict database. Files get WAL, foreign keys and a busy timeout; every
 * database gets its migrations checked, so code never runs against a schema it does not know.
 * A read-only target (see `readOnly`) is opened for reads only: no WAL switch, no migration.
 * Every query runs through guardClient, which turns storage faults into one-line StorageErrors.
 */
export async function openDatabase(opts: OpenOptions = {}): Promise<VerdictDb> {
  const url = opts.url ?? DEFAULT_DB_URL;
  const kind = dbKind(url, opts.syncUrl);
  const path = filePath(url);
  const busyTimeoutMs = opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  const reason = readOnlyReason(opts, kind, path);
  const readOnly = reason !== null;
  const target: StorageTarget = {
    database: kind === "memory" ? ":memory:" : databaseName(url),
    remote: kind === "remote",
    readOnly,
    busyTimeoutMs,
  };
  if (readOnly && opts.migrate) {
    const where = target.remote ? `the database server at ${target.database}` : target.database;
    const fix = target.remote
      ? "; a read-only token cannot migrate or write: set VERDICT_DB_AUTH_TOKEN (or --db-auth-token) to a token with write access"
      : "";
    throw new StorageError(
      "read_only",
      target.database,
      `cannot migrate ${where}: it is open for reads only (${reason})${fix}`,
    );
  }
  // A turbulence.db is the user's file: refused before anything (WAL switch, migrations) touches it.
  if (path) refuseTurbulenceDatabase(path);
  if (path && !readOnly) {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (e) {
      throw translateDriverError(e, target);
    }
  }
  if (readOnly && path && !existsSync(path))
    throw new StorageError(
      "io",
      target.database,
      `${target.database} does not exist (a read-only open never creates it)`,
    );
  const driverUrl =
    url === ":memory:" ? "file::memory:" : readOnly && kind === "file" && path ? readOnlyFileUrl(path) : url;
  const createClient = await clientFactory(kind);
  let raw: Client;
  try {
    raw = createClient({
      url: driverUrl,
      ...(opts.authToken ? { authToken: opts.authToken } : {}),
      ...(opts.syncUrl ? { syncUrl: opts.syncUrl } : {}),
      ...(opts.syncIntervalSeconds ? { syncInterval: opts.syncIntervalSeconds } : {}),
      // Local files wait for a lock in short slices (guardClient retries up to busyTimeoutMs).
      ...(kind === "file"
        ? { timeout: Math.min(busyTimeoutMs, BUSY_SLICE_MS) }
        : kind === "memory" || kind === "replica"
          ? { timeout: busyTimeoutMs }
          : {}),
      intMode: "number",
    });
  } catch (e) {
    const err = translateDriverError(e, target);
    if (err !== e) throw err;
    throw new ConnectionError(`cannot open database ${redact(url)}: ${errorText(e)}`, e);
  }
  if (kind === "memory") raw = singleConnection(raw);
  // Set on every connection: the driver opens a fresh one after each transaction, and a fresh one
  // starts at synchronous = FULL (an fsync of the WAL at every commit, in the event loop).
  const setup =
    readOnly && kind !== "remote"
      ? ["PRAGMA query_only = 1"]
      : kind === "file" && !readOnly
        ? ["PRAGMA synchronous = NORMAL"]
        : [];
  const client = guardClient(raw, {
    ...target,
    sliceRetry: kind === "file",
    readOnlyReason: reason ?? "",
    connectionSetup: setup,
  });
  const handle: VerdictDb = {
    client,
    db: drizzle(client, { schema }),
    url,
    kind,
    readOnly,
    database: target.database,
    storage: target,
    async sync() {
      if (kind === "replica") await client.sync();
    },
    atClose: [],
    close() {
      flushTokenUse(handle);
      for (const f of handle.atClose.splice(0)) f();
      client.close();
    },
  };
  try {
    for (const sql of setup) await client.execute(sql);
    if (kind === "replica") await client.sync();
    if (kind === "file" && !readOnly) {
      // WAL lets readers (the CLI, backups) work while a server writes; it persists in the file.
      await client.execute("PRAGMA journal_mode = WAL");
    }
    if (kind !== "remote") await client.execute("PRAGMA foreign_keys = ON");
    // A remote client connects lazily; when nothing below talks to the server, make one round trip
    // here so an unreachable server or a refused token fails now, as a readable ConnectionError.
    if (kind === "remote" && opts.skipSchemaCheck && !opts.migrate) await client.execute("SELECT 1");
    if (opts.migrate) await migrateUp(client, { ...opts, ...(opts.domains ? { domains: opts.domains } : {}) });
    if (!opts.skipSchemaCheck) await checkSchema(client, opts.domains ?? DOMAINS, opts);
    if (kind === "file" && !readOnly && !opts.skipSchemaCheck && (opts.domains ?? DOMAINS).includes("runs"))
      await removeCrashedImports(handle);
    return handle;
  } catch (e) {
    client.close();
    if (e instanceof SchemaMismatchError) throw e;
    throw translateDriverError(e, target);
  }
}

/**
 * Cheap check done on every open: each needed domain is fully migrated, and no applied migration
 * was changed or is unknown to this code. (The full catalogue comparison is `verdict migrate validate`.)
 */
export async function checkSchema(
  client: Client,
  domains: readonly Domain[],
  opts: MigrationOptions = {},
): Promise<void> {
  const applied = await readApplied(client);
  // Domains the database holds must be intact even when this caller does not need them.
  const present = new Set(applied.map((a) => a.domain));
  for (const domain of DOMAINS) {
    if (!domains.includes(domain) && !present.has(domain)) continue;
    const rows = compareMigrations(domain, cachedMigrationFiles(domain, opts), applied);
    assertUntampered(rows);
    if (!domains.includes(domain)) continue;
    const pending = rows.filter((r) => r.state === "pending");
    if (pending.length === rows.length && rows.length > 0) {
      throw new SchemaMismatchError(
        `the database has no ${domain} tables yet`,
        `verdict migrate up --domain ${domain} (or verdict init)`,
        domain,
      );
    }
    if (pending.length > 0) {
      throw new SchemaMismatchError(
        `the database is behind the code: ${domain} migration(s) ${pending.map((p) => p.name).join(", ")} not applied`,
        "verdict migrate up",
        domain,
      );
    }
  }
}

/**
 * libSQL's client for `kind`: a local file or memory database needs only its file client
 * (`@libsql/client/sqlite3`, the native driver); the HTTP and WebSocket clients are loaded for a
 * server's URL only.
 */
async function clientFactory(kind: DbKind): Promise<(config: Config) => Client> {
  if (kind === "remote") return (await import("@libsql/client")).createClient;
  return (await import("@libsql/client/sqlite3")).createClient;
}

function redact(url: string): string {
  return url.replace(/(authToken=)[^&]+/, "$1***");
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message.replace(/\s+/g, " ") : String(e);
}

/**
 * The driver gives each interactive transaction its own connection and opens a fresh one for later
 * calls; for `:memory:` that fresh connection is a different, empty database. Memory databases
 * therefore run their transactions on their one connection.
 */
function singleConnection(client: Client): Client {
  const transaction = async (mode: TransactionMode = "write"): Promise<Transaction> => {
    await client.execute(mode === "write" ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
    let closed = false;
    const finish = async (sql: "COMMIT" | "ROLLBACK") => {
      if (closed) return;
      closed = true;
      await client.execute(sql);
    };
    return {
      execute: (stmt: InStatement) => client.execute(stmt),
      batch: async (stmts: InStatement[]) => {
        const out = [];
        for (const s of stmts) out.push(await client.execute(s));
        return out;
      },
      executeMultiple: (sql: string) => client.executeMultiple(sql),
      commit: () => finish("COMMIT"),
      rollback: () => finish("ROLLBACK"),
      close: () => {
        void finish("ROLLBACK").catch(() => undefined);
      },
      get closed() {
        return closed;
      },
    } as Transaction;
  };
  return new Proxy(client, {
    get(target, prop) {
      if (prop === "transaction") return transaction;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * A run import that died (kill -9, power loss) leaves its committed chunks behind, hidden (runs.state
 * 'importing'): they are removed on the next open of the file, unless the importer process is still
 * alive. Best effort: if the cleanup cannot run now (another writer holds the lock), the rows stay
 * hidden and the next open or import removes them.
 */
async function removeCrashedImports(h: VerdictDb): Promise<void> {
  try {
    const left = await h.client.execute("SELECT 1 FROM runs WHERE state = 'importing' LIMIT 1");
    if (left.rows.length === 0) return;
    const { cleanupCrashedImports } = await import("./turbulence/import.js");
    await cleanupCrashedImports(h);
  } catch {
    // Left for the next open or import.
  }
}
