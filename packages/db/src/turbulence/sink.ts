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
 *   itself uses) for the import: statements are prepared once and re-run per batch instead of being
 *   re-parsed, the page cache can be large because the connection is closed at the end, and nothing
 *   else in the process shares its transaction.
 * - Every other database (:memory:, remote, embedded replica) goes through the client's interactive
 *   transaction with multi-row VALUES statements.
 */
import type { InValue } from "@libsql/client";
import Database from "libsql";
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
  close(): void;
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

export async function openSink(h: VerdictDb, chunks: ChunkOptions | null, busyTimeoutMs = 5000): Promise<ImportSink> {
  const path = plainFilePath(h);
  return path === null ? clientSink(h, chunks) : nativeSink(path, chunks, busyTimeoutMs);
}

function nativeSink(path: string, initialChunks: ChunkOptions | null, busyTimeoutMs: number): ImportSink {
  let chunks = initialChunks;
  const db = new Database(path, { timeout: busyTimeoutMs });
  const statements = new Map<string, ReturnType<typeof db.prepare>>();
  const prepared = (sql: string) => {
    let s = statements.get(sql);
    if (!s) {
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };
  try {
    // temp_store = FILE: this libSQL build keeps temporary files in memory by default, and the
    // sorter that rebuilds indexes after a bulk load spills its runs to them: on disk, peak memory
    // stays flat however large the run (measured on a 1.1 GB run: 1.1 GB peak RSS in memory, flat on disk).
    db.exec(
      `PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA temp_store = FILE; PRAGMA cache_size = -${IMPORT_CACHE_KIB}; PRAGMA wal_autocheckpoint = 16384`,
    );
    db.exec("BEGIN IMMEDIATE");
  } catch (e) {
    db.close();
    throw e;
  }
  let chunkStart = performance.now();
  const commitChunk = async () => {
    db.exec("COMMIT");
    if (chunks) await sleep(chunks.gapMs);
    db.exec("BEGIN IMMEDIATE");
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
      prepared(ARTIFACT_SQL).run([runId, p, instanceId, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]);
    },
    async execute(stmt) {
      const s = db.prepare(stmt.sql);
      if (s.reader) {
        const rows = s.all(stmt.args) as Awaited<ReturnType<SqlExecutor["execute"]>>["rows"];
        return { rows, rowsAffected: 0 };
      }
      const info = s.run(stmt.args);
      return { rows: [], rowsAffected: info.changes };
    },
    async insert(table, rows) {
      const per = maxRows(table);
      for (let start = 0; start < rows.length; start += per) {
        const chunk = start === 0 && rows.length <= per ? rows : rows.slice(start, start + per);
        prepared(valuesSql(table, chunk.length)).run(flatten(chunk));
      }
    },
    async commit() {
      db.exec("COMMIT");
      // A big import leaves a WAL as large as the data; fold it into the database and truncate it now
      // (briefly: if a reader holds it, the next checkpoint does it).
      try {
        db.exec("PRAGMA busy_timeout = 100");
        db.prepare("PRAGMA wal_checkpoint(TRUNCATE)").all([]);
      } catch {
        // not essential
      }
    },
    async rollback() {
      if (db.inTransaction) db.exec("ROLLBACK");
    },
    async begin() {
      db.exec("BEGIN IMMEDIATE");
      chunkStart = performance.now();
    },
    close() {
      try {
        if (db.inTransaction) db.exec("ROLLBACK");
      } finally {
        statements.clear();
        db.close();
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
    close() {
      tx.close();
    },
  };
}

/**
 * Secondary indexes of the run tables, dropped before a bulk load into EMPTY tables and created
 * again after it, inside the same transaction: building an index from sorted data is much cheaper
 * than inserting a million random keys into it. The SQL comes from sqlite_master, so the schema
 * ends up byte-identical; a rollback or a crash puts the old indexes back with everything else.
 */
export async function dropIndexesIfEmpty(x: SqlExecutor): Promise<string[] | null> {
  const rs = await x.execute({
    sql: `SELECT (SELECT 1 FROM instances LIMIT 1) AS i, (SELECT 1 FROM steps LIMIT 1) AS s,
                 (SELECT 1 FROM assertions LIMIT 1) AS a`,
    args: [],
  });
  const r = rs.rows[0];
  if (!r || r.i !== null || r.s !== null || r.a !== null) return null;
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
