// The floor of a turbulence import on this machine: SQLite alone copying rows that are already
// parsed, checked and mapped (one INSERT … SELECT per table from an attached file, no JavaScript per
// row) into Verdict's schema. No importer can be faster than this with the same tables, CHECKs,
// foreign keys and indexes, so it bounds what `verdict runs import` can reach here.
//
//   node bench/scripts/import-floor.mjs SRC.db RUN_ID WORKDIR
//
// SRC.db: a Verdict database holding run RUN_ID (e.g. written by `import-once.mjs new-file`); opened
// read-only. WORKDIR receives out-empty.db and out-existing.db (removed first).
// (a) "empty": a fresh migrated file with the new-file import's bulk settings (exclusive lock, journal
//     in memory, no fsync, 32 MiB cache): secondary indexes dropped, rows copied, indexes created
//     again, one transaction; as importRunsIntoNewFile does.
// (b) "existing": the same rows under another run id into a copy of (a)'s result, a file that
//     already holds the run, with every index kept up to date (WAL, synchronous NORMAL, 32 MiB
//     cache), committed every CHUNK rows (default 20000), as an import that lets other writers in must.
import { copyFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const dbPkg = await import("@verdict/db");
const Database = require(require.resolve("libsql", { paths: [require.resolve("@verdict/db")] }));
const [src, run, work] = process.argv.slice(2);
if (!src || !run || !work) {
  console.error("usage: import-floor.mjs SRC.db RUN_ID WORKDIR");
  process.exit(64);
}
const CHUNK = Number(process.env.FLOOR_CHUNK ?? 20000);
const TABLES = ["instances", "steps", "assertions"];
const sq = (s) => `'${s.replace(/'/g, "''")}'`;
const fresh = (f) => {
  for (const x of ["", "-wal", "-shm", "-journal"]) rmSync(f + x, { force: true });
};
/** Columns to copy: all but an INTEGER PRIMARY KEY id (the target numbers its own rows). */
const columns = (d, t) =>
  d
    .prepare(`PRAGMA main.table_info(${t})`)
    .all()
    .filter((c) => !(c.name === "id" && c.pk === 1 && String(c.type).toUpperCase() === "INTEGER"))
    .map((c) => c.name);
/** The SELECT list, with the run id replaced by `as`. */
const selectList = (cols, t, as) =>
  cols.map((c) => (c === "run_id" || (t === "runs" && c === "id") ? sq(as) : c)).join(", ");
const measure = (fn) => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const rows = fn();
  const s = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return {
    rows,
    wall_s: +s.toFixed(2),
    cpu_s: +((c.user + c.system) / 1e6).toFixed(2),
    rows_per_s: Math.round(rows / s),
  };
};

// (a) into an empty database
const empty = join(work, "out-empty.db");
fresh(empty);
const h = await dbPkg.openDatabase({ url: `file:${empty}`, domains: ["runs"], migrate: true });
await h.client.execute("PRAGMA journal_mode = DELETE");
h.close();
let d = new Database(empty);
for (const p of [
  "PRAGMA foreign_keys = ON",
  "PRAGMA main.locking_mode = EXCLUSIVE",
  "PRAGMA journal_mode = MEMORY",
  "PRAGMA synchronous = OFF",
  "PRAGMA temp_store = FILE",
  "PRAGMA cache_size = -32768",
])
  d.exec(p);
d.exec(`ATTACH ${sq(`file:${src}?mode=ro`)} AS src`);
const phases = {};
const a = measure(() => {
  d.exec("BEGIN");
  const idx = d
    .prepare(
      "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('instances', 'steps', 'assertions')",
    )
    .all();
  for (const i of idx) d.exec(`DROP INDEX "${i.name}"`);
  const rc = columns(d, "runs");
  d.prepare(`INSERT INTO main.runs (${rc.join(", ")}) SELECT ${rc.join(", ")} FROM src.runs WHERE id = ?`).run(run);
  let rows = 0;
  for (const t of TABLES) {
    const cols = columns(d, t).join(", ");
    const t0 = performance.now();
    rows += d.prepare(`INSERT INTO main.${t} (${cols}) SELECT ${cols} FROM src.${t} WHERE run_id = ?`).run(run).changes;
    phases[`insert ${t}`] = +((performance.now() - t0) / 1000).toFixed(2);
  }
  const t0 = performance.now();
  for (const i of idx) d.exec(i.sql);
  phases[`create ${idx.length} indexes`] = +((performance.now() - t0) / 1000).toFixed(2);
  d.exec("COMMIT");
  return rows;
});
d.close();
console.log(JSON.stringify({ floor: "empty database", ...a, phases }));

// (b) into a database already holding the run
const existing = join(work, "out-existing.db");
fresh(existing);
copyFileSync(empty, existing);
d = new Database(existing);
for (const p of [
  "PRAGMA journal_mode = WAL",
  "PRAGMA synchronous = NORMAL",
  "PRAGMA foreign_keys = ON",
  "PRAGMA cache_size = -32768",
])
  d.exec(p);
d.exec(`ATTACH ${sq(`file:${src}?mode=ro`)} AS src`);
const other = `${run}-floor-copy`;
const phasesB = {};
const b = measure(() => {
  const rc = columns(d, "runs");
  d.prepare(
    `INSERT INTO main.runs (${rc.join(", ")}) SELECT ${selectList(rc, "runs", other)} FROM src.runs WHERE id = ?`,
  ).run(run);
  let rows = 0;
  for (const t of TABLES) {
    const cols = columns(d, t);
    const [lo, hi] = Object.values(
      d.prepare(`SELECT min(rowid), max(rowid) FROM src.${t} WHERE run_id = ?`).raw().get(run),
    );
    const st = d.prepare(
      `INSERT INTO main.${t} (${cols.join(", ")}) SELECT ${selectList(cols, t, other)} FROM src.${t} WHERE run_id = ? AND rowid >= ? AND rowid < ?`,
    );
    const t0 = performance.now();
    for (let from = lo ?? 0; from <= (hi ?? -1); from += CHUNK) {
      d.exec("BEGIN IMMEDIATE");
      rows += st.run(run, from, from + CHUNK).changes;
      d.exec("COMMIT");
    }
    phasesB[`insert ${t}`] = +((performance.now() - t0) / 1000).toFixed(2);
  }
  return rows;
});
d.close();
console.log(JSON.stringify({ floor: "database holding a run", chunk_rows: CHUNK, ...b, phases: phasesB }));
