import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { createClient, type Client, type InStatement, type Transaction, type TransactionMode } from "@libsql/client";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import { ConnectionError, SchemaMismatchError, VerdictError } from "./errors.js";
import {
  type Domain,
  DOMAINS,
  type MigrationOptions,
  assertUntampered,
  cachedMigrationFiles,
  compareMigrations,
  errorText,
  migrateUp,
  readApplied,
} from "./migrations.js";
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
  /** Milliseconds to wait on a locked file before failing. */
  busyTimeoutMs?: number;
}

export type DbKind = "file" | "memory" | "remote" | "replica";
export type Drizzle = LibSQLDatabase<typeof schema>;

export interface VerdictDb {
  client: Client;
  db: Drizzle;
  url: string;
  kind: DbKind;
  /** Pull the primary's changes into an embedded replica now (no-op otherwise). */
  sync(): Promise<void>;
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

function filePath(url: string): string | null {
  if (!url.startsWith("file:") || url.startsWith("file::memory:")) return null;
  const rest = url.slice("file:".length).split("?")[0] ?? "";
  return rest.startsWith("//") ? rest.replace(/^\/\/[^/]*/, "") : rest;
}

/**
 * The one way to open a Verdict database. Files get WAL, foreign keys and a busy timeout; every
 * database gets its migrations checked, so code never runs against a schema it does not know.
 */
export async function openDatabase(opts: OpenOptions = {}): Promise<VerdictDb> {
  const url = opts.url ?? DEFAULT_DB_URL;
  const kind = dbKind(url, opts.syncUrl);
  const path = filePath(url);
  if (path) refuseTurbulenceDatabase(path);
  if (path) mkdirSync(dirname(path), { recursive: true });
  let client: Client;
  try {
    client = createClient({
      url: url === ":memory:" ? "file::memory:" : url,
      ...(opts.authToken ? { authToken: opts.authToken } : {}),
      ...(opts.syncUrl ? { syncUrl: opts.syncUrl } : {}),
      ...(opts.syncIntervalSeconds ? { syncInterval: opts.syncIntervalSeconds } : {}),
      ...(kind === "file" || kind === "replica" || kind === "memory" ? { timeout: opts.busyTimeoutMs ?? 5000 } : {}),
      intMode: "number",
    });
  } catch (e) {
    throw new ConnectionError(`cannot open database ${redact(url)}: ${errorText(e)}`, e);
  }
  if (kind === "memory") client = singleConnection(client);
  const handle: VerdictDb = {
    client,
    db: drizzle(client, { schema }),
    url,
    kind,
    async sync() {
      if (kind === "replica") await client.sync();
    },
    close() {
      client.close();
    },
  };
  try {
    if (kind === "replica") await client.sync();
    if (kind === "file") {
      // WAL lets readers (the CLI, backups) work while a server writes; it persists in the file.
      await client.execute("PRAGMA journal_mode = WAL");
      await client.execute("PRAGMA synchronous = NORMAL");
    }
    if (kind !== "remote") await client.execute("PRAGMA foreign_keys = ON");
    // A remote client connects lazily; when nothing below talks to the server, make one round trip
    // here so an unreachable server or a refused token fails now, as a readable ConnectionError.
    if (kind === "remote" && opts.skipSchemaCheck && !opts.migrate) await client.execute("SELECT 1");
    if (opts.migrate) await migrateUp(client, { ...opts, ...(opts.domains ? { domains: opts.domains } : {}) });
    if (!opts.skipSchemaCheck) await checkSchema(client, opts.domains ?? DOMAINS, opts);
    return handle;
  } catch (e) {
    client.close();
    if (e instanceof SchemaMismatchError) throw e;
    throw describeConnectionError(e, url);
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

function redact(url: string): string {
  return url.replace(/(authToken=)[^&]+/, "$1***");
}

/**
 * Turns driver errors about reaching or authenticating to a server into one readable line that says
 * what to do. Errors of our own (schema, migrations) and anything unrecognised pass through unchanged.
 */
export function describeConnectionError(e: unknown, url: string): Error {
  if (!(e instanceof Error)) return new Error(String(e));
  if (e instanceof VerdictError) return e;
  // The driver nests errors (LibsqlError -> HttpServerError / WebSocketError / fetch's TypeError -> system error).
  const chain: Error[] = [];
  for (let cur: unknown = e; cur instanceof Error && chain.length < 6; cur = cur.cause) chain.push(cur);
  const prop = (name: string): unknown[] =>
    chain.map((x) => (x as unknown as Record<string, unknown>)[name]).filter((v) => v !== undefined);
  const codes = prop("code").filter((c): c is string => typeof c === "string");
  const status = prop("status").find((s): s is number => typeof s === "number");
  const text = errorText(e).replace(/\s+/g, " ").trim();
  const server = `the database server at ${redact(url)}`;
  const fix = "set VERDICT_DB_AUTH_TOKEN (or --db-auth-token) to a valid token for it";

  const authCode = codes.find((c) => c.startsWith("AUTH_"));
  if (status === 401 || authCode || /\b401\b|unauthori[sz]ed/i.test(text)) {
    const why = authCode
      ? (/Authentication failed: ([^:]+?)(?::|$)/.exec(text)?.[1] ?? authCode)
      : "HTTP 401 Unauthorized: token missing, invalid or expired";
    return new ConnectionError(`${server} refused the credentials (${why}): ${fix}`, e);
  }
  if (status === 403 || /\b403\b|forbidden/i.test(text)) {
    return new ConnectionError(
      `${server} denied access (HTTP 403 Forbidden): the token does not allow this operation (a read-only token cannot migrate or write); ${fix} with write access`,
      e,
    );
  }
  if (/PrimaryHandshakeTimeout/.test(text)) {
    // An embedded replica's sync gives no reason: the driver retries, then reports only this.
    return new ConnectionError(
      `the embedded replica ${redact(url)} could not sync with its primary (${text}: the primary is unreachable or refused the token): check --sync-url (VERDICT_SYNC_URL) and ${fix.replace(/ for it$/, " for the primary")}`,
      e,
    );
  }
  if (/WebSocket was closed with code 1006/.test(text)) {
    return new ConnectionError(
      `${server} closed the WebSocket connection without answering (code 1006); if it requires authentication, ${fix}`,
      e,
    );
  }
  const network = codes.find((c) => /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|ETIMEDOUT|EHOSTUNREACH)$/.test(c));
  if (network || /fetch failed|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|bad port/i.test(text)) {
    const detail = chain[chain.length - 1]?.message.replace(/\s+/g, " ") ?? text;
    return new ConnectionError(`cannot reach ${server} (${detail}): is it running, and is the URL right?`, e);
  }
  return e;
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
