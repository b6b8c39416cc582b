import type { Client, InArgs, InStatement, Transaction, TransactionMode } from "@libsql/client";
import { type StorageTarget, translateDriverError } from "./db-errors.js";
import { StorageError } from "./errors.js";

/**
 * Every query of a Verdict database goes through this wrapper around the libSQL client (drizzle runs
 * on it too), so storage faults are translated in one place, whatever the call site:
 * - driver errors become StorageError / ConnectionError (one line naming the database, no SQL);
 * - on a local file, a locked database is waited for in short slices with pauses between them,
 *   up to the busy timeout: the driver is synchronous, so one long wait would stall every other
 *   request of the process, reads included (each retry starts on a fresh connection, see below);
 * - a handle opened for reads only refuses write transactions (and, on a libSQL server, write
 *   statements) before sending them.
 */
export interface GuardOptions extends StorageTarget {
  /** Retry SQLITE_BUSY in slices (local files, whose driver blocks while it waits). */
  sliceRetry: boolean;
  /** Why the handle is read-only, for messages ("the file is not writable", ...). */
  readOnlyReason: string;
  /**
   * Statements run on a fresh connection: the driver hands its connection to each transaction and
   * opens a new one for later calls, which must be set up like the first (e.g. query_only).
   */
  connectionSetup: readonly string[];
}

/** Pause between two attempts on a locked database. */
const BUSY_PAUSE_MS = 5;
/** How long one attempt lets SQLite wait for a lock (the driver's busy timeout). */
export const BUSY_SLICE_MS = 10;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isBusy(e: unknown): boolean {
  for (let cur: unknown = e; cur instanceof Error; cur = cur.cause) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && /^SQLITE_(BUSY|LOCKED)/.test(code)) return true;
  }
  return false;
}

function isTransactionClosed(e: unknown): boolean {
  for (let cur: unknown = e; cur instanceof Error; cur = cur.cause) {
    if ((cur as { code?: unknown }).code === "TRANSACTION_CLOSED") return true;
  }
  return false;
}

const READ_KEYWORDS = new Set([
  "SELECT",
  "EXPLAIN",
  "VALUES",
  "BEGIN",
  "COMMIT",
  "END",
  "ROLLBACK",
  "SAVEPOINT",
  "RELEASE",
]);
const READ_PRAGMAS =
  /^PRAGMA\s+(?:\w+\.)?(table_x?info|index_list|index_x?info|foreign_key_list|foreign_key_check|integrity_check|quick_check|database_list|compile_options|user_version|schema_version|journal_mode|foreign_keys|query_only|page_count|page_size|freelist_count|busy_timeout)\b\s*(\(|;|$)/i;

/** Whether a statement may change the database (conservative: unknown statements count as writes). */
export function isWriteSql(sql: string): boolean {
  const text = sql.replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)+/, "");
  const word = /^[A-Za-z]+/.exec(text)?.[0]?.toUpperCase() ?? "";
  if (READ_KEYWORDS.has(word)) return false;
  if (word === "WITH") return /\b(INSERT|UPDATE|DELETE|REPLACE)\b/i.test(text);
  if (word === "PRAGMA") return !READ_PRAGMAS.test(text.trim());
  return true;
}

function sqlOf(stmt: InStatement | string): string {
  if (typeof stmt === "string") return stmt;
  if (Array.isArray(stmt)) return String(stmt[0]);
  return (stmt as { sql: string }).sql;
}

export function guardClient(client: Client, g: GuardOptions): Client {
  const where = g.remote ? `the database server at ${g.database}` : g.database;
  const translate = (e: unknown) => {
    const err = translateDriverError(e, g);
    // On a handle opened for reads only, say why it is read-only rather than what SQLite answered.
    return g.readOnly && err instanceof StorageError && err.kind === "read_only" ? refuse() : err;
  };
  const refuse = (): StorageError =>
    new StorageError(
      "read_only",
      g.database,
      `${where} is open for reads only (${g.readOnlyReason}): this needs to write to it${
        g.remote
          ? "; a read-only token cannot migrate or write: set VERDICT_DB_AUTH_TOKEN (or --db-auth-token) to a token with write access"
          : ""
      }`,
    );
  let freshConnection = false;

  const retrying = async <T>(fn: () => Promise<T>, retry = true): Promise<T> => {
    const deadline = Date.now() + g.busyTimeoutMs;
    for (;;) {
      try {
        return await fn();
      } catch (e) {
        if (!(retry && g.sliceRetry && isBusy(e) && Date.now() < deadline) || client.closed) throw translate(e);
        // The driver leaves the failed statement open, holding a read snapshot that would make every
        // later attempt on this connection fail at once; a fresh connection starts clean.
        await client.reconnect();
        freshConnection = g.connectionSetup.length > 0;
        await sleep(BUSY_PAUSE_MS);
      }
    }
  };
  // Called only when needed, so that a call otherwise reaches the (synchronous) driver in the same
  // tick: a flush started just before close() still runs.
  const setUp = async () => {
    freshConnection = false;
    for (const sql of g.connectionSetup) await client.execute(sql);
  };

  const execute = async (stmt: InStatement | string, args?: InArgs) => {
    if (g.readOnly && g.remote && isWriteSql(sqlOf(stmt))) throw refuse();
    return retrying(async () => {
      if (freshConnection) await setUp();
      return typeof stmt === "string" ? client.execute(stmt, args) : client.execute(stmt);
    });
  };
  const batch = async (stmts: InStatement[], mode?: TransactionMode) => {
    if (g.readOnly && (mode === "write" || (g.remote && stmts.some((s) => isWriteSql(sqlOf(s)))))) throw refuse();
    return retrying(async () => {
      if (freshConnection) await setUp();
      return client.batch(stmts, mode);
    });
  };
  const migrate = async (stmts: InStatement[]) => {
    if (g.readOnly) throw refuse();
    return retrying(async () => {
      if (freshConnection) await setUp();
      return client.migrate(stmts);
    });
  };
  const executeMultiple = async (sql: string) => {
    if (g.readOnly && g.remote) throw refuse();
    // A script may commit statement by statement: never retried.
    return retrying(async () => {
      if (freshConnection) await setUp();
      return client.executeMultiple(sql);
    }, false);
  };
  const transaction = async (mode: TransactionMode = "write") => {
    if (g.readOnly && mode === "write") throw refuse();
    const tx = await retrying(async () => {
      if (freshConnection) await setUp();
      return client.transaction(mode);
    });
    freshConnection = g.connectionSetup.length > 0;
    return guardTransaction(tx, g, translate);
  };
  const sync = async () => retrying(() => client.sync(), false);

  const overrides: Record<string | symbol, unknown> = { execute, batch, migrate, executeMultiple, transaction, sync };
  return new Proxy(client, {
    get(target, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop];
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * A transaction whose errors are translated. SQLite rolls a transaction back by itself on some
 * faults (disk full); the driver then answers later calls with TRANSACTION_CLOSED, which would hide
 * the cause: the first fault is remembered and reported instead, and a rollback of a transaction
 * that is already rolled back succeeds.
 */
function guardTransaction(tx: Transaction, g: GuardOptions, translate: (e: unknown) => unknown): Transaction {
  let fault: unknown = null;
  const run = async <T>(fn: () => Promise<T>, retryBusy = false): Promise<T> => {
    const deadline = Date.now() + g.busyTimeoutMs;
    for (;;) {
      try {
        return await fn();
      } catch (e) {
        if (retryBusy && g.sliceRetry && isBusy(e) && Date.now() < deadline) {
          await sleep(BUSY_PAUSE_MS);
          continue;
        }
        if (isTransactionClosed(e) && fault !== null) throw fault;
        const err = translate(e);
        if (err instanceof StorageError && fault === null) fault = err;
        throw err;
      }
    }
  };
  const wrapped = {
    execute: (stmt: InStatement | string, args?: InArgs) =>
      run(() => tx.execute(typeof stmt === "string" ? { sql: stmt, args: args ?? [] } : stmt)),
    batch: (stmts: InStatement[]) => run(() => tx.batch(stmts)),
    executeMultiple: (sql: string) => run(() => tx.executeMultiple(sql)),
    // Only a COMMIT may be retried after SQLITE_BUSY inside a transaction (SQLite's rule).
    commit: () => run(() => tx.commit(), true),
    rollback: async () => {
      try {
        await tx.rollback();
      } catch (e) {
        if (isTransactionClosed(e)) return;
        throw translate(e);
      }
    },
    close: () => {
      try {
        tx.close();
      } catch {
        // closing an already finished transaction
      }
    },
  };
  return new Proxy(tx, {
    get(target, prop) {
      if (Object.hasOwn(wrapped, prop)) return wrapped[prop as keyof typeof wrapped];
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
