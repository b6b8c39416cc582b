// First: loads the native driver without its loader's diagnostic report (see libsql-driver.ts).
import "../libsql-driver.js";
import { setTimeout as sleep } from "node:timers/promises";
import {
  LibsqlError,
  type InStatement,
  type InValue,
  type ResultSet,
  type Row,
  type Transaction,
} from "@libsql/client";
import Database from "libsql";
import { translateDriverError } from "../db-errors.js";
import { BUSY_SLICE_MS } from "../guarded-client.js";
import { type VerdictDb, filePath } from "../open.js";

/**
 * The queue's write transactions on a local file run on one connection kept open for them, with
 * its statements prepared once. The libSQL client hands its connection to every interactive
 * transaction and opens a new one for the next call: each group of queue writes paid for opening a
 * connection, re-reading the schema and preparing each of its ~10 statements per item again (a
 * profile of `verdict serve` under 4 workers: 30 % of its CPU in `prepare` and `new Database`).
 *
 * Same rules as the client's transactions: BEGIN IMMEDIATE, waiting for another process's lock in
 * short slices up to the handle's busy timeout (the driver blocks the event loop while it waits),
 * driver faults translated the same way, synchronous = NORMAL and foreign keys on. Other databases
 * (remote, replica, memory) and read-only handles keep the client's transactions.
 */

interface Prepared {
  stmt: Database.Statement;
  reader: boolean;
  columns: string[];
}

interface Kept {
  db: Database.Database;
  statements: Map<string, Prepared>;
}

/** Most statements kept prepared per connection (the queue has a few dozen distinct texts). */
const MAX_STATEMENTS = 256;
const BUSY_PAUSE_MS = 5;
const kept = new WeakMap<VerdictDb, Kept>();

function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^SQLITE_(BUSY|LOCKED)/.test(code);
}

/** A driver error in the client's shape (LibsqlError with the SQLite code), so translations match. */
function driverError(e: unknown): unknown {
  if (e instanceof LibsqlError || !(e instanceof Error)) return e;
  const code = (e as { code?: unknown }).code;
  const rawCode = (e as { rawCode?: unknown }).rawCode;
  return new LibsqlError(
    e.message,
    typeof code === "string" ? code : "UNKNOWN",
    undefined,
    typeof rawCode === "number" ? rawCode : undefined,
    e,
  );
}

function open(h: VerdictDb, path: string): Kept {
  const db = new Database(path, { timeout: BUSY_SLICE_MS });
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA foreign_keys = ON");
  const k: Kept = { db, statements: new Map() };
  h.atClose.push(() => {
    kept.delete(h);
    k.statements.clear();
    db.close();
  });
  return k;
}

function prepared(k: Kept, sql: string): Prepared {
  let p = k.statements.get(sql);
  if (p) return p;
  const stmt = k.db.prepare(sql);
  stmt.safeIntegers(true);
  let reader = true;
  try {
    stmt.raw(true);
  } catch {
    reader = false; // raw() refuses a statement that returns no data
  }
  p = { stmt, reader, columns: reader ? stmt.columns().map((c) => c.name) : [] };
  if (k.statements.size >= MAX_STATEMENTS) k.statements.clear();
  k.statements.set(sql, p);
  return p;
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function fromSql(v: unknown): unknown {
  if (typeof v === "bigint") {
    if (v < MIN_SAFE || v > MAX_SAFE) throw new RangeError("an integer of the database is beyond a safe JS number");
    return Number(v);
  }
  if (v instanceof Buffer) return v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength);
  return v;
}

function toSql(v: InValue): unknown {
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v instanceof Date) return v.valueOf();
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  if (typeof v === "number" && !Number.isFinite(v)) throw new RangeError("only finite numbers can be stored");
  return v;
}

/** A row as the client gives it: columns by name (enumerable) and by index. */
function row(values: unknown[], columns: string[]): Row {
  const r: Record<string | number, unknown> = {};
  Object.defineProperty(r, "length", { value: values.length });
  for (let i = 0; i < values.length; i++) {
    const value = fromSql(values[i]);
    Object.defineProperty(r, i, { value });
    const name = columns[i] ?? String(i);
    if (!Object.hasOwn(r, name)) r[name] = value;
  }
  return r as unknown as Row;
}

function result(columns: string[], rows: Row[], rowsAffected: number, lastInsertRowid?: bigint): ResultSet {
  return {
    columns,
    columnTypes: columns.map(() => ""),
    rows,
    rowsAffected,
    lastInsertRowid,
    toJSON: () => ({ columns, rows, rowsAffected, lastInsertRowid: lastInsertRowid?.toString() ?? null }),
  };
}

function run(k: Kept, stmt: InStatement | string, args?: InValue[]): ResultSet {
  const sql = typeof stmt === "string" ? stmt : Array.isArray(stmt) ? String(stmt[0]) : stmt.sql;
  const rawArgs = typeof stmt === "string" ? (args ?? []) : Array.isArray(stmt) ? (stmt[1] ?? []) : (stmt.args ?? []);
  const bound = Array.isArray(rawArgs)
    ? rawArgs.map(toSql)
    : Object.fromEntries(
        Object.entries(rawArgs as Record<string, InValue>).map(([n, v]) => [
          /^[@$:]/.test(n) ? n.slice(1) : n,
          toSql(v),
        ]),
      );
  try {
    const p = prepared(k, sql);
    if (p.reader) {
      const rows = (p.stmt.all(bound) as unknown[][]).map((values) => row(values, p.columns));
      return result(p.columns, rows, 0);
    }
    const info = p.stmt.run(bound);
    return result([], [], info.changes, BigInt(info.lastInsertRowid));
  } catch (e) {
    throw driverError(e);
  }
}

/**
 * A write transaction (BEGIN IMMEDIATE) for the queue: on the kept connection of a local file,
 * else the client's own. Errors come out as the client's would (StorageError for storage faults).
 */
export async function queueTransaction(h: VerdictDb): Promise<Transaction> {
  const path = h.kind === "file" && !h.readOnly ? filePath(h.url) : null;
  // A closed handle answers as the client does (no new connection behind its back).
  if (path === null || h.client.closed) return h.client.transaction("write");
  let k = kept.get(h);
  if (!k) {
    try {
      k = open(h, path);
    } catch (e) {
      throw translateDriverError(driverError(e), h.storage);
    }
    kept.set(h, k);
  }
  const conn = k;
  const deadline = Date.now() + h.storage.busyTimeoutMs;
  for (;;) {
    try {
      run(conn, "BEGIN IMMEDIATE");
      break;
    } catch (e) {
      if (!(isBusy(e) && Date.now() < deadline)) throw translateDriverError(e, h.storage);
      await sleep(BUSY_PAUSE_MS);
    }
  }
  let closed = false;
  const guard = <T>(fn: () => T): T => {
    if (closed || !conn.db.inTransaction) {
      closed = true;
      throw new LibsqlError("The transaction is closed", "TRANSACTION_CLOSED");
    }
    try {
      return fn();
    } catch (e) {
      throw translateDriverError(e, h.storage);
    }
  };
  const tx = {
    execute: async (stmt: InStatement | string, args?: InValue[]) => guard(() => run(conn, stmt, args)),
    batch: async (stmts: InStatement[]) => guard(() => stmts.map((s) => run(conn, s))),
    executeMultiple: async (sql: string) => guard(() => void conn.db.exec(sql)),
    commit: async () => {
      // Only a COMMIT may be retried after SQLITE_BUSY inside a transaction (SQLite's rule).
      const until = Date.now() + h.storage.busyTimeoutMs;
      for (;;) {
        try {
          guard(() => run(conn, "COMMIT"));
          closed = true;
          return;
        } catch (e) {
          const cause = (e as { cause?: unknown }).cause;
          if (!(isBusy(e) || isBusy(cause)) || Date.now() >= until) throw e;
          await sleep(BUSY_PAUSE_MS);
        }
      }
    },
    rollback: async () => {
      closed = true;
      if (conn.db.inTransaction) run(conn, "ROLLBACK");
    },
    close: () => {
      closed = true;
      if (conn.db.inTransaction) {
        try {
          run(conn, "ROLLBACK");
        } catch {
          // nothing was committed
        }
      }
    },
    get closed() {
      return closed || !conn.db.inTransaction;
    },
  };
  return tx as unknown as Transaction;
}
