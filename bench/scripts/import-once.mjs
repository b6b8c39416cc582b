// One timed import of a turbulence run folder with the BUILT @verdict/db (or the build in $DIST, e.g.
// an older commit's dist copied aside), printing rows, wall s, CPU s (all threads) and peak RSS as JSON.
// The figures of bench/RESULTS.md "Import speed, second round" came from this script.
//
//   node bench/scripts/import-once.mjs new-file RUNDIR DBFILE      importRunsIntoNewFile (DBFILE removed first)
//   node bench/scripts/import-once.mjs one-tx RUNDIR DBFILE        importRunFolder, oneTransaction, fresh file
//   node bench/scripts/import-once.mjs chunked RUNDIR DBFILE       importRunFolder, default (chunked), fresh file
//   node bench/scripts/import-once.mjs into-existing RUNDIR DBFILE importRunFolder, oneTransaction, DBFILE kept
import { rmSync } from "node:fs";

const db = await import(process.env.DIST ?? "@verdict/db");
const [mode, dir, file] = process.argv.slice(2);
if (!mode || !dir || !file) {
  console.error("usage: import-once.mjs new-file|one-tx|chunked|into-existing RUNDIR DBFILE");
  process.exit(64);
}
if (mode !== "into-existing") for (const s of ["", "-wal", "-shm", "-journal"]) rmSync(file + s, { force: true });
const h =
  mode === "new-file"
    ? null
    : await db.openDatabase({ url: `file:${file}`, domains: ["runs"], migrate: mode !== "into-existing" });
const t = performance.now();
const c0 = process.cpuUsage();
const r =
  mode === "new-file"
    ? (await db.importRunsIntoNewFile(file, [dir]))[0]
    : await db.importRunFolder(h, dir, { oneTransaction: mode !== "chunked" });
const c = process.cpuUsage(c0);
const s = (performance.now() - t) / 1000;
h?.close();
console.log(
  JSON.stringify({
    mode,
    rows: r.rows,
    wall_s: +s.toFixed(2),
    cpu_s: +((c.user + c.system) / 1e6).toFixed(2),
    rows_per_s: Math.round(r.rows / s),
    rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
