import { accessSync, constants, statSync } from "node:fs";
import { dirname } from "node:path";
import type { Client } from "@libsql/client";
import {
  ConnectionError,
  ConstraintError,
  StorageError,
  type StorageFaultKind,
  VerdictError,
  errorTextOf,
} from "./errors.js";

/**
 * Turns a SQLite constraint failure into a ConstraintError that names the constraint.
 * SQLite names CHECKs, UNIQUE and NOT NULL columns itself; for a FOREIGN KEY it does not say
 * which one, so given the row (or the rows of a batch) we look up which parent is missing.
 */
export async function translateDbError(
  client: Client,
  e: unknown,
  ctx?: { table: string; row?: Record<string, unknown>; rows?: readonly Record<string, unknown>[] },
): Promise<unknown> {
  const ours = verdictErrorIn(e);
  if (ours) return ours;
  const text = errorTextOf(e);
  let m = /CHECK constraint failed: ([A-Za-z0-9_]+)/.exec(text);
  if (m?.[1]) return new ConstraintError("check", m[1], `CHECK constraint failed: ${m[1]}`, e);
  m = /UNIQUE constraint failed: ([A-Za-z0-9_.,\s]+)/.exec(text);
  if (m?.[1])
    return new ConstraintError("unique", m[1].trim(), `already exists (UNIQUE constraint failed: ${m[1].trim()})`, e);
  m = /NOT NULL constraint failed: ([A-Za-z0-9_.]+)/.exec(text);
  if (m?.[1]) return new ConstraintError("not_null", m[1], `NOT NULL constraint failed: ${m[1]} is required`, e);
  if (/FOREIGN KEY constraint failed/.test(text)) {
    const rows = [...(ctx?.row ? [ctx.row] : []), ...(ctx?.rows ?? [])];
    const name = ctx && rows.length > 0 ? await missingParent(client, ctx.table, rows) : null;
    const constraint = name ?? (ctx ? `${ctx.table} foreign key` : "foreign key");
    return new ConstraintError("foreign_key", constraint, `FOREIGN KEY constraint failed: ${constraint}`, e);
  }
  return e;
}

/** Most distinct parent keys looked up for one failed batch before giving up on naming the key. */
const MAX_PARENT_LOOKUPS = 500;

/**
 * The first foreign key of `table` whose parent row does not exist for one of `rows` (in order),
 * as `table(cols)->parent(cols)`.
 */
async function missingParent(
  client: Client,
  table: string,
  rows: readonly Record<string, unknown>[],
): Promise<string | null> {
  const rs = await client.execute(`PRAGMA foreign_key_list("${table}")`);
  const fks = new Map<number, { parent: string; from: string[]; to: string[] }>();
  for (const r of rs.rows) {
    const id = Number(r.id);
    const fk = fks.get(id) ?? { parent: String(r.table), from: [], to: [] };
    fk.from.push(String(r.from));
    fk.to.push(String(r.to));
    fks.set(id, fk);
  }
  const seen = new Set<string>();
  for (const row of rows) {
    for (const fk of fks.values()) {
      const values = fk.from.map((c) => row[c]);
      if (values.some((v) => v === null || v === undefined)) continue;
      const key = JSON.stringify([fk.parent, fk.from, values]);
      if (seen.has(key)) continue;
      if (seen.size >= MAX_PARENT_LOOKUPS) return null;
      seen.add(key);
      const where = fk.to.map((c) => `"${c}" = ?`).join(" AND ");
      const hit = await client.execute({
        sql: `SELECT 1 FROM "${fk.parent}" WHERE ${where} LIMIT 1`,
        args: values as (string | number)[],
      });
      if (hit.rows.length === 0) return `${table}(${fk.from.join(",")})->${fk.parent}(${fk.to.join(",")})`;
    }
  }
  return null;
}

/** What a storage fault is about: the database as users name it, and how the handle was opened. */
export interface StorageTarget {
  /** A file path or a URL without credentials. */
  database: string;
  /** A libSQL server (remote) rather than a local file. */
  remote: boolean;
  /** Opened for reads only (read-only file, --read-only, or a token without write access). */
  readOnly: boolean;
  /** How long a write waits for a locked database before giving up. */
  busyTimeoutMs: number;
}

/** The first VerdictError in an error's cause chain (drizzle wraps what the driver wrapper throws). */
export function verdictErrorIn(e: unknown): VerdictError | null {
  let cur: unknown = e;
  for (let i = 0; i < 8 && cur instanceof Error; i++) {
    if (cur instanceof VerdictError) return cur;
    cur = cur.cause;
  }
  return null;
}

/** The database a URL points at, as shown to people: the file path, or the URL without its token. */
export function databaseName(url: string): string {
  if (url.startsWith("file:") && !url.startsWith("file::memory:")) {
    const rest = url.slice("file:".length).split("?")[0] ?? "";
    return rest.startsWith("//") ? rest.replace(/^\/\/[^/]*/, "") : rest;
  }
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    u.searchParams.delete("authToken");
    return u.toString().replace(/\/$/, "");
  } catch {
    return url.replace(/(authToken=)[^&]+/, "$1***");
  }
}

function chainOf(e: unknown): Error[] {
  const chain: Error[] = [];
  for (let cur: unknown = e; cur instanceof Error && chain.length < 8; cur = cur.cause) chain.push(cur);
  return chain;
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) ? String(s) : s.toFixed(1);
}

/** The SQLite result code of a driver error (SQLITE_FULL, ...), from its code or its message. */
function sqliteCode(chain: readonly Error[]): string | null {
  for (const x of chain) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("SQLITE_")) return code.replace(/^(SQLITE_[A-Z]+).*$/, "$1");
  }
  for (const x of chain) {
    const m = /\b(SQLITE_[A-Z]+)\b/.exec(x.message);
    if (m?.[1]) return m[1];
  }
  return null;
}

/** A short system reason from the bottom of the chain (e.g. "connect ECONNREFUSED 127.0.0.1:8080"), never SQL. */
function systemReason(chain: readonly Error[]): string {
  const last = chain[chain.length - 1];
  const text = (last?.message ?? "").replace(/\s+/g, " ").trim();
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

const AUTH_FIX = "set VERDICT_DB_AUTH_TOKEN (or --db-auth-token) to a valid token for it";

/**
 * The one translation from driver errors to errors a person can act on. Storage faults (disk full,
 * busy, unreachable server, read-only database or token, not a database, corrupt, I/O, permission)
 * become a StorageError; refused credentials a ConnectionError. Each is one line naming the database
 * and the cause, never SQL text or values. Anything else (constraint failures, bugs) comes back
 * unchanged, and errors of our own pass through.
 */
export function translateDriverError(e: unknown, t: StorageTarget): unknown {
  const ours = verdictErrorIn(e);
  if (ours) return ours;
  const chain = chainOf(e);
  if (chain.length === 0) return e;
  const db = t.database;
  const where = t.remote ? `the database server at ${db}` : db;
  const text = chain
    .map((x) => x.message)
    .join(": ")
    .replace(/\s+/g, " ");
  const code = sqliteCode(chain);
  const codes = chain.map((x) => (x as { code?: unknown }).code).filter((c): c is string => typeof c === "string");
  const status = chain.map((x) => (x as { status?: unknown }).status).find((s): s is number => typeof s === "number");
  const mk = (kind: StorageFaultKind, message: string) => new StorageError(kind, db, message, e);

  const authCode = codes.find((c) => c.startsWith("AUTH_"));
  if (status === 401 || authCode || /\b401\b|unauthori[sz]ed/i.test(text)) {
    const why = authCode
      ? (/Authentication failed: ([^:]+?)(?::|$)/.exec(text)?.[1] ?? authCode)
      : "HTTP 401 Unauthorized: token missing, invalid or expired";
    return new ConnectionError(`the database server at ${db} refused the credentials (${why}): ${AUTH_FIX}`, e);
  }
  if (/PrimaryHandshakeTimeout/.test(text)) {
    // An embedded replica's sync gives no reason: the driver retries, then reports only this.
    return new ConnectionError(
      `the embedded replica file:${db} could not sync with its primary (${systemReason(chain)}: the primary is unreachable or refused the token): check --sync-url (VERDICT_SYNC_URL) and ${AUTH_FIX.replace(/ for it$/, " for the primary")}`,
      e,
    );
  }

  switch (code) {
    case "SQLITE_FULL":
      return mk(
        "disk_full",
        `disk full: ${where} has no space left for this write (SQLITE_FULL); free space and retry`,
      );
    case "SQLITE_BUSY":
    case "SQLITE_LOCKED":
      return mk(
        "busy",
        `database busy for ${seconds(t.busyTimeoutMs)} s: ${where} is locked by another writer (an import?); retry later`,
      );
    case "SQLITE_READONLY":
      return mk(
        "read_only",
        `${where} is read-only (${code}: ${t.readOnly ? "opened for reads only" : "the file or its folder is not writable"}): this needs to write to it`,
      );
    case "SQLITE_NOTADB":
      return mk("not_a_database", `${where} is not a SQLite database (SQLITE_NOTADB): check --db`);
    case "SQLITE_CORRUPT":
      return mk("corrupt", `${where} is corrupt (SQLITE_CORRUPT): restore it from a backup`);
    case "SQLITE_IOERR":
      return mk("io", `I/O error on ${where} (${code}); check the disk`);
    case "SQLITE_PERM":
    case "SQLITE_AUTH":
      return mk("permission", `no permission to use ${where} (${code})`);
    case "SQLITE_CANTOPEN": {
      if (t.remote) return mk("io", `${where} cannot open its database file (${code})`);
      const [kind, why] = localOpenProblem(db);
      return mk(kind, `cannot open ${where}: ${why}`);
    }
  }
  if (t.remote) {
    const ws1006 = /closed with code 1006/.test(text);
    if (status === 403 || /\b403\b|forbidden/i.test(text) || (t.readOnly && ws1006))
      return mk(
        "read_only",
        `${where} refused a write (${status === 403 ? "HTTP 403 Forbidden" : "connection closed"}): the token does not allow writing (a read-only token cannot migrate or write); ${AUTH_FIX} with write access`,
      );
    if (ws1006)
      // sqld closes the socket both when it refuses a token and when it goes away.
      return new ConnectionError(
        `${where} closed the WebSocket connection without answering (code 1006): it stopped, or it refused the token; ${AUTH_FIX}`,
        e,
      );
    const network = codes.find((c) =>
      /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|EPIPE|UND_ERR_SOCKET)$/.test(c),
    );
    if (
      network ||
      /fetch failed|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|bad port|socket hang up|other side closed|Client is closed|SQL text is closed/i.test(
        text,
      )
    )
      return mk("unreachable", `cannot reach ${where} (${systemReason(chain)}): is it running, and is the URL right?`);
    if (/TRANSACTION_CLOSED|STREAM_EXPIRED|stream (expired|closed)/i.test(text))
      return mk("io", `${where} closed the transaction before it finished (it restarted, or ran out of space); retry`);
    return e;
  }
  const errno = codes.find((c) => /^(EISDIR|EACCES|EPERM|ENOENT|ENOSPC|EROFS|ENOTDIR)$/.test(c));
  if (errno === "ENOSPC") return mk("disk_full", `disk full: ${where} has no space left (ENOSPC)`);
  if (errno === "EROFS") return mk("read_only", `${where} is on a read-only file system (EROFS)`);
  if (errno || /ConnectionFailed\("Unable to open connection to local database/.test(text)) {
    const [kind, why] = localOpenProblem(db);
    return mk(kind, `cannot open ${where}: ${why}`);
  }
  return e;
}

/** Why a local database file cannot be opened, found on the file system (the driver only says "14"). */
function localOpenProblem(path: string): [StorageFaultKind, string] {
  try {
    const st = statSync(path);
    if (st.isDirectory()) return ["io", "it is a directory, not a database file (EISDIR)"];
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      try {
        if (!statSync(dirname(path)).isDirectory()) return ["io", `${dirname(path)} is not a directory (ENOTDIR)`];
      } catch {
        return ["io", `its folder ${dirname(path)} does not exist (ENOENT)`];
      }
      return ["permission", "no such file, and it cannot be created in its folder (EACCES)"];
    }
    if (code === "EACCES") return ["permission", "permission denied (EACCES)"];
  }
  try {
    accessSync(path, constants.R_OK);
  } catch {
    return ["permission", "the file is not readable (EACCES)"];
  }
  return ["permission", "SQLite cannot open it (SQLITE_CANTOPEN): check the permissions of the file and its folder"];
}
