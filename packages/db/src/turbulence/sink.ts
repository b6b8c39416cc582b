/**
 * Where an import writes: write transactions, a bulk `insert`, and the plain `execute` that
 * createRun/runExists need.
 *
 * Chunked (the default for a new run): `breathe()` commits the work done so far once a chunk has
 * held the write lock for `chunkMs`, pauses `gapMs` so that other connections (an API server, the
 * CLI) get the lock, and opens the next chunk. `gapMs` is longer than SQLite's longest busy-handler
 * sleep (100 ms), so a writer waiting on the lock always sees a gap: it waits at most about one chunk.
 * The run itself stays hidden (runs.state = 'importing') until the chunk that completes it. The cost,
 * measured by hand on a 240,000-row run of 850-byte lines on a loaded 2-core machine: about 1.7x the
 * CPU of the one-transaction path (indexes are kept up to date instead of rebuilt after the load, and
 * each commit writes its pages) and about 30% of the wall time spent in gaps; `oneTransaction` keeps
 * the old speed for a file nobody else writes to. The import's connection checkpoints once the WAL
 * holds 64 MiB (wal_autocheckpoint = 16384 pages) rather than SQLite's 4 MiB: each chunk rewrites the
 * index pages it touched, so without a checkpoint the WAL grew to ~2.8x the database (588 MB for a
 * 209 MB run); with it the WAL stays near 64 MiB plus one chunk.
 *
 * - A local file database gets its own libSQL connection (the `libsql` driver that @libsql/client
 *   itself uses) for the import, on a writer thread: statements are prepared once and re-run per
 *   batch instead of being re-parsed, the page cache can be large because the connection is closed at
 *   the end, nothing else in the process shares its transaction, and SQLite's work runs on one core
 *   while the main thread parses and maps the next batch on the other (the loader keeps one batch in flight).
 * - Every other database (:memory:, remote, embedded replica) goes through the client's interactive
 *   transaction with multi-row VALUES statements.
 */
import type { InValue } from "@libsql/client";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { VerdictDb } from "../open.js";
import type { SqlExecutor } from "../queries/runs.js";
import { IMPORT_COLUMNS } from "./mappers.js";

export type ImportTable = "instances" | "steps" | "assertions";
const COLUMNS: Record<ImportTable, readonly string[]> = IMPORT_COLUMNS;
type Rows = readonly (readonly InValue[])[];

export interface ChunkOptions {
  /** Milliseconds a chunk may hold the write lock before it is committed. */
  chunkMs: number;
  /** Milliseconds between two chunks, for other writers. */
  gapMs: number;
}
export const DEFAULT_CHUNKS: ChunkOptions = { chunkMs: 250, gapMs: 110 };

export interface ImportSink extends SqlExecutor {
  readonly kind: "native" | "client";
  insert(table: ImportTable, rows: Rows): Promise<void>;
  insertArtifact(runId: string, path: string, instanceId: string | null, bytes: Uint8Array): Promise<void>;
  /** Chunked sinks: commit and reopen when the chunk is old enough. No-op otherwise. */
  breathe(): Promise<void>;
  /** Commit now and open the next transaction (chunked sinks only). */
  commitChunk(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** Switches chunking on or off (off: one transaction, as for a replacement). */
  setChunks(c: ChunkOptions | null): void;
  /** Opens a new write transaction after commit() or rollback(). */
  begin(): Promise<void>;
  close(): Promise<void>;
}

const ARTIFACT_SQL = "INSERT INTO run_artifacts (run_id, path, instance_id, bytes) VALUES (?, ?, ?, ?)";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Page cache of the import's own connection (KiB); it is closed when the import ends. With indexes
 * rebuilt after the load, more cache bought no measurable speed, while each MiB adds to peak RSS
 * (importing a 1.1 GB run: 32 MiB → ~210 MB peak, 64 MiB → ~280 MB).
 */
export const IMPORT_CACHE_KIB = 32768;

function valuesSql(table: ImportTable, n: number): string {
  const cols = COLUMNS[table];
  const one = `(${cols.map(() => "?").join(",")})`;
  return `INSERT INTO ${table} (${cols.join(", ")}) VALUES ${Array(n).fill(one).join(",")}`;
}

/** Rows per statement: bound by SQLite's 32,766 parameters. */
const maxRows = (table: ImportTable) => Math.floor(32766 / COLUMNS[table].length);

function flatten(rows: Rows): InValue[] {
  const args: InValue[] = [];
  for (const r of rows) for (const v of r) args.push(v);
  return args;
}

/** A `file:` URL without query parameters, as a path the driver opens; null otherwise. */
export function plainFilePath(h: VerdictDb): string | null {
  if (h.kind !== "file" || h.url.includes("?")) return null;
  const rest = h.url.slice("file:".length);
  return rest.startsWith("//") ? rest.replace(/^\/\/[^/]*/, "") : rest;
}

/**
 * Page cache of a bulk load into a new file (KiB). Not larger than IMPORT_CACHE_KIB: with 64 MiB (the
 * cache also bounds the sorter that builds the indexes in memory) a 1.58M-row import peaked at 294 MB
 * RSS, next to the 300 MB limit (it took 33.5 s of CPU against 38.9 s with 32 MiB, one run each).
 */
export const BULK_CACHE_KIB = IMPORT_CACHE_KIB;

/**
 * `bulk`: the database is a new file that nothing else opens until the import renames it into place
 * (new-file.ts). The connection then takes the file's lock for itself (locking_mode EXCLUSIVE), keeps
 * its rollback journal in memory and never fsyncs (synchronous OFF; the whole file is synced once
 * before the rename). The journal stays MEMORY rather than OFF: a statement
 * that fails a constraint midway must still be undone (the loader then finds the bad row one row at
 * a time), and with journal_mode OFF SQLite leaves such a statement's earlier rows in the table.
 * A new file's journal holds only the pages that existed when the transaction began (the schema).
 */
export async function openSink(
  h: VerdictDb,
  chunks: ChunkOptions | null,
  busyTimeoutMs = 5000,
  bulk = false,
): Promise<ImportSink> {
  const path = plainFilePath(h);
  if (path === null) {
    if (bulk) throw new Error("a bulk import needs a local database file");
    return clientSink(h, chunks);
  }
  return await nativeSink(path, chunks, busyTimeoutMs, bulk);
}

// Plain CommonJS run by the writer thread (eval mode): it owns the import's connection and runs
// what the main thread sends, in order; statements are prepared once per SQL text.
const WRITER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.libsql);
let db = null;
const statements = new Map();
const prepared = (sql) => {
  let s = statements.get(sql);
  if (!s) { s = db.prepare(sql); statements.set(sql, s); }
  return s;
};
const blobs = (args) => args.map((a) => (a instanceof Uint8Array && !Buffer.isBuffer(a) ? Buffer.from(a.buffer, a.byteOffset, a.byteLength) : a));
const inTx = () => { try { return db !== null && db.open !== false && db.inTransaction; } catch { return false; } };
parentPort.on("message", (m) => {
  let result = null;
  try {
    if (m.op === "open") {
      db = new Database(m.path, { timeout: m.timeout });
      try { for (const sql of m.setup) db.exec(sql); } catch (e) { db.close(); db = null; throw e; }
    } else if (m.op === "exec") db.exec(m.sql);
    else if (m.op === "run") prepared(m.sql).run(blobs(m.args));
    else if (m.op === "execute") {
      const s = db.prepare(m.sql);
      result = s.reader ? { rows: s.all(m.args), rowsAffected: 0 } : { rows: [], rowsAffected: s.run(m.args).changes };
    } else if (m.op === "checkpoint") {
      try { db.exec("PRAGMA busy_timeout = 100"); db.prepare("PRAGMA wal_checkpoint(TRUNCATE)").all([]); } catch {}
    } else if (m.op === "close") {
      statements.clear();
      try { if (inTx()) db.exec("ROLLBACK"); } finally { db.close(); db = null; }
    }
    parentPort.postMessage({ id: m.id, result, inTx: inTx() });
  } catch (e) {
    parentPort.postMessage({ id: m.id, inTx: inTx(), error: { message: String((e && e.message) || e), code: e && e.code, rawCode: e && e.rawCode } });
  }
});
`;

type WriterReply = {
  id: number;
  result: { rows: Record<string, unknown>[]; rowsAffected: number } | null;
  inTx: boolean;
  error?: { message: string; code?: unknown; rawCode?: unknown };
};

/**
 * A local file: the import's own connection lives on a writer thread, so SQLite's work (binding,
 * CHECKs, b-trees, commits) runs on one core while this thread reads, parses and maps the next
 * batch on the other (the loader keeps one insert in flight). Messages are handled in order, so
 * the sequence of statements is exactly what the main thread sends.
 */
async function nativeSink(
  path: string,
  initialChunks: ChunkOptions | null,
  busyTimeoutMs: number,
  bulk: boolean,
): Promise<ImportSink> {
  let chunks = initialChunks;
  const libsql = createRequire(import.meta.url).resolve("libsql");
  const worker = new Worker(WRITER_SOURCE, { eval: true, workerData: { libsql } });
  let next = 0;
  let inTx = false;
  let dead: Error | null = null;
  const waiting = new Map<number, { resolve: (r: WriterReply) => void; reject: (e: Error) => void }>();
  const failAll = (e: Error) => {
    dead ??= e;
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  worker.on("message", (m: WriterReply) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    inTx = m.inTx;
    w?.resolve(m);
  });
  worker.on("error", failAll);
  worker.on("exit", () => failAll(new Error("the import's writer thread exited")));
  const call = async (msg: Record<string, unknown>): Promise<WriterReply["result"]> => {
    if (dead) throw dead;
    const id = next++;
    const reply = await new Promise<WriterReply>((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      worker.postMessage({ ...msg, id });
    });
    if (reply.error)
      throw Object.assign(new Error(reply.error.message), { code: reply.error.code, rawCode: reply.error.rawCode });
    return reply.result;
  };
  const exec = (sql: string) => call({ op: "exec", sql });
  try {
    // temp_store = FILE: this libSQL build keeps temporary files in memory by default, and the
    // sorter that rebuilds indexes after a bulk load spills its runs to them: on disk, peak memory
    // stays flat however large the run (measured on a 1.1 GB run: 1.1 GB peak RSS in memory, flat on disk).
    await call({
      op: "open",
      path,
      timeout: busyTimeoutMs,
      setup: [
        bulk
          ? `PRAGMA foreign_keys = ON; PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA temp_store = FILE; PRAGMA cache_size = -${BULK_CACHE_KIB}`
          : `PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA temp_store = FILE; PRAGMA cache_size = -${IMPORT_CACHE_KIB}; PRAGMA wal_autocheckpoint = 16384`,
        "BEGIN IMMEDIATE",
      ],
    });
  } catch (e) {
    await worker.terminate();
    throw e;
  }
  let chunkStart = performance.now();
  const commitChunk = async () => {
    await exec("COMMIT");
    if (chunks) await sleep(chunks.gapMs);
    await exec("BEGIN IMMEDIATE");
    chunkStart = performance.now();
  };
  return {
    kind: "native",
    async breathe() {
      if (chunks && performance.now() - chunkStart >= chunks.chunkMs) await commitChunk();
    },
    commitChunk,
    setChunks(c) {
      chunks = c;
    },
    async insertArtifact(runId, p, instanceId, bytes) {
      await call({ op: "run", sql: ARTIFACT_SQL, args: [runId, p, instanceId, bytes] });
    },
    async execute(stmt) {
      const r = await call({ op: "execute", sql: stmt.sql, args: stmt.args });
      return (r ?? { rows: [], rowsAffected: 0 }) as Awaited<ReturnType<SqlExecutor["execute"]>>;
    },
    async insert(table, rows) {
      const per = maxRows(table);
      for (let start = 0; start < rows.length; start += per) {
        const chunk = start === 0 && rows.length <= per ? rows : rows.slice(start, start + per);
        await call({ op: "run", sql: valuesSql(table, chunk.length), args: flatten(chunk) });
      }
    },
    async commit() {
      await exec("COMMIT");
      // A big import leaves a WAL as large as the data; fold it into the database and truncate it now
      // (briefly: if a reader holds it, the next checkpoint does it). A bulk load has no WAL.
      if (!bulk) await call({ op: "checkpoint" });
    },
    async rollback() {
      if (inTx) await exec("ROLLBACK");
    },
    async begin() {
      await exec("BEGIN IMMEDIATE");
      chunkStart = performance.now();
    },
    async close() {
      try {
        if (!dead) await call({ op: "close" });
      } finally {
        await worker.terminate();
      }
    },
  };
}

async function clientSink(h: VerdictDb, initialChunks: ChunkOptions | null): Promise<ImportSink> {
  let chunks = initialChunks;
  if (h.kind !== "remote") await h.client.execute("PRAGMA foreign_keys = ON");
  let tx = await h.client.transaction("write");
  let chunkStart = performance.now();
  const commitChunk = async () => {
    await tx.commit();
    tx.close();
    if (chunks) await sleep(chunks.gapMs);
    tx = await h.client.transaction("write");
    chunkStart = performance.now();
  };
  return {
    kind: "client",
    execute: (stmt) => tx.execute(stmt),
    async breathe() {
      if (chunks && performance.now() - chunkStart >= chunks.chunkMs) await commitChunk();
    },
    commitChunk,
    setChunks(c) {
      chunks = c;
    },
    async insertArtifact(runId, p, instanceId, bytes) {
      await tx.execute({ sql: ARTIFACT_SQL, args: [runId, p, instanceId, bytes] });
    },
    async insert(table, rows) {
      const per = maxRows(table);
      for (let start = 0; start < rows.length; start += per) {
        const chunk = rows.slice(start, start + per);
        await tx.execute({ sql: valuesSql(table, chunk.length), args: flatten(chunk) });
      }
    },
    commit: () => tx.commit(),
    async rollback() {
      if (!tx.closed) await tx.rollback();
    },
    async begin() {
      tx.close();
      tx = await h.client.transaction("write");
      chunkStart = performance.now();
    },
    async close() {
      tx.close();
    },
  };
}

/**
 * Secondary indexes of the run tables, dropped before a bulk load and created again after it, inside
 * the same transaction: building an index from sorted data is much cheaper than inserting a million
 * random keys into it. Done when the run tables are empty, or when they hold at most about twice the
 * rows the import brings (`incomingRows`, an estimate): rebuilding then sorts every row of the tables,
 * which still costs less than keeping the indexes up to date row by row (measured on 1.58M rows into
 * a file holding a run of the same size). The SQL comes from sqlite_master, so the schema ends up
 * byte-identical; a rollback or a crash puts the old indexes back with everything else. Other
 * connections never see the tables without their indexes (the transaction is not committed before).
 */
export async function dropIndexesForLoad(x: SqlExecutor, incomingRows: number): Promise<string[] | null> {
  const rs = await x.execute({
    sql: `SELECT (SELECT 1 FROM instances LIMIT 1) AS i, (SELECT 1 FROM steps LIMIT 1) AS s,
                 (SELECT 1 FROM assertions LIMIT 1) AS a`,
    args: [],
  });
  const r = rs.rows[0];
  if (!r) return null;
  if (r.i !== null || r.s !== null || r.a !== null) {
    const n = await x.execute({
      sql: `SELECT (SELECT count(*) FROM instances) + (SELECT count(*) FROM steps) + (SELECT count(*) FROM assertions) AS n`,
      args: [],
    });
    if (Number(n.rows[0]?.n ?? Number.POSITIVE_INFINITY) > 2 * incomingRows) return null;
  }
  const idx = await x.execute({
    sql: `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
          AND tbl_name IN ('instances', 'steps', 'assertions') ORDER BY name`,
    args: [],
  });
  const recreate: string[] = [];
  for (const row of idx.rows) {
    recreate.push(String(row.sql));
    await x.execute({ sql: `DROP INDEX "${String(row.name).replace(/"/g, '""')}"`, args: [] });
  }
  return recreate;
}

export async function recreateIndexes(x: SqlExecutor, statements: string[]): Promise<void> {
  for (const sql of statements) await x.execute({ sql, args: [] });
}
