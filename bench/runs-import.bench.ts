/**
 * (a) Importing a turbulence run (default 1,000,000 steps) with Verdict vs the sqlite3 shell
 *     importing the same rows from CSV into the same tables (same indexes, CHECKs, foreign keys,
 *     WAL, page cache size) — the raw-C limit. Reported as Verdict rows/s in % of sqlite3's
 *     (target >= 50%), into an empty database (Verdict then builds the indexes after the load) and
 *     into one that already holds a run (indexes maintained row by row, like sqlite3's). Wall time
 *     is the measure; CPU seconds are shown too, since other work on the machine inflates wall time.
 * (c) Peak RSS of a child process importing a >= 1 GB run (target < 300 MB).
 *
 * Sizes: RUNS_BENCH_STEPS (default 1000000), RUNS_BENCH_RSS_STEPS (default 1500000, about 1.05 GB),
 * RUNS_BENCH_ROUNDS (default 2), RUNS_BENCH_BATCHES (comma list of batch sizes to compare, default 500),
 * RUNS_BENCH_SKIP_RSS=1 to skip (c), RUNS_BENCH_ONE_TX=0 to skip the `oneTransaction` (--one-transaction)
 * imports (by default each round also imports with it, into an empty database and one holding a run).
 * Verdict imports a new run in chunks by default (committed every ~250 ms, 110 ms gaps for other
 * writers, run hidden until done), so its indexes are kept up to date instead of rebuilt after the load.
 * Generated runs are kept in bench/.out and reused.
 */
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import {
  createReadStream,
  createWriteStream,
  existsSync,
  readFileSync,
  rmSync,
  statSync,
  type WriteStream,
} from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { IMPORT_CACHE_KIB, importRunFolder, openDatabase } from "@verdict/db";
import { generateRun } from "./gen-turbulence.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const OUT = join(HERE, ".out");

// ---- child mode: import one folder, report peak RSS -----------------------------------------
if (process.env.RUNS_BENCH_CHILD === "1") {
  const dir = process.env.RUNS_BENCH_DIR ?? "";
  const db = process.env.RUNS_BENCH_DB ?? "";
  const h = await openDatabase({ url: `file:${db}`, domains: ["runs"], migrate: true });
  const t = performance.now();
  const r = await importRunFolder(h, dir);
  const ms = performance.now() - t;
  h.close();
  // maxRSS is in kilobytes.
  process.stdout.write(`${JSON.stringify({ rows: r.rows, ms, maxRssKb: process.resourceUsage().maxRSS })}\n`);
  process.exit(0);
}

const STEPS = Number(process.env.RUNS_BENCH_STEPS ?? 1_000_000);
const RSS_STEPS = Number(process.env.RUNS_BENCH_RSS_STEPS ?? 1_500_000);
const ROUNDS = Number(process.env.RUNS_BENCH_ROUNDS ?? 2);
const BATCHES = (process.env.RUNS_BENCH_BATCHES ?? "500").split(",").map(Number);
const ONE_TX = process.env.RUNS_BENCH_ONE_TX !== "0";

function requireSqlite3(): string {
  const v = spawnSync("sqlite3", ["--version"], { encoding: "utf8" });
  if (v.error || v.status !== 0) {
    process.stderr.write(
      "this benchmark compares against the sqlite3 command-line shell, which is not installed.\n" +
        "install it with: apt-get update && apt-get install -y sqlite3   (or: brew install sqlite)\n",
    );
    process.exit(1);
  }
  return v.stdout.trim().split(" ")[0] ?? "?";
}

/** A generated run folder, reused when bench/.out already holds one of the same size and seed. */
async function ensureRun(name: string, steps: number, seed: number) {
  const dir = join(OUT, name);
  const summary = join(dir, "summary.json");
  if (existsSync(summary)) {
    const s = JSON.parse(readFileSync(summary, "utf8")) as {
      total_steps: number;
      total_instances: number;
      total_assertions: number;
    };
    if (s.total_steps === steps) return { dir, instances: s.total_instances, steps, assertions: s.total_assertions };
  }
  const t = performance.now();
  const g = await generateRun({ out: dir, steps, seed, runId: `${name}-run` });
  console.log(
    `generated ${dir}: ${g.instances} instances, ${g.steps} steps, ${g.assertions} assertions, ${(g.bytes / 1e9).toFixed(2)} GB in ${((performance.now() - t) / 1000).toFixed(0)} s`,
  );
  return { dir, instances: g.instances, steps: g.steps, assertions: g.assertions };
}

const bytesOf = (dir: string) =>
  ["instances.jsonl", "steps.jsonl", "assertions.jsonl"].reduce((a, f) => a + statSync(join(dir, f)).size, 0);

// ---- CSV for the sqlite3 baseline: exactly the column values Verdict stores ----------------------
const csv = (v: unknown): string => {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return String(v);
  if (typeof v === "boolean") return v ? "1" : "0";
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return `"${s.replace(/"/g, '""')}"`;
};

async function convert(src: string, dst: string, row: (o: Record<string, unknown>) => unknown[]) {
  const out: WriteStream = createWriteStream(dst);
  let buf = "";
  for await (const line of createInterface({ input: createReadStream(src), crlfDelay: Number.POSITIVE_INFINITY })) {
    if (!line) continue;
    buf += `${row(JSON.parse(line) as Record<string, unknown>)
      .map(csv)
      .join(",")}\n`;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, "drain");
      buf = "";
    }
  }
  out.end(buf);
  await once(out, "close");
}

async function toCsv(dir: string) {
  const done = join(dir, "csv.done");
  if (existsSync(done)) return;
  type O = Record<string, unknown>;
  const obs = (o: O) => (o.observation ?? {}) as O;
  await convert(join(dir, "instances.jsonl"), join(dir, "instances.csv"), (o) => [
    o.instance_id,
    o.scenario_id,
    o.correlation_id,
    o.passed === true ? "pass" : "fail",
    o.started_at,
    o.completed_at,
    o.duration_ms,
    ((o.entry_data as O | undefined)?.seed_data as O | undefined)?.variation ?? null,
    o.error,
  ]);
  await convert(join(dir, "steps.jsonl"), join(dir, "steps.csv"), (o) => [
    o.instance_id,
    o.step_index,
    o.step_name,
    o.step_type,
    obs(o).service,
    o.timestamp,
    obs(o).latency_ms,
    obs(o).status_code,
    typeof obs(o).ok === "boolean" ? obs(o).ok : null,
    JSON.stringify(o.observation),
  ]);
  await convert(join(dir, "assertions.jsonl"), join(dir, "assertions.csv"), (o) => [
    o.instance_id,
    o.step_index,
    o.assertion_name,
    o.passed,
    o.expected,
    o.actual,
    o.passed ? null : o.message,
  ]);
  createWriteStream(done).end("ok");
}

async function freshDb(path: string) {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${path}${suffix}`, { force: true });
  const h = await openDatabase({ url: `file:${path}`, domains: ["runs"], migrate: true });
  return h;
}
const dropDb = (path: string) => {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${path}${suffix}`, { force: true });
};

/** sqlite3 shell: .import the CSVs into temp tables, then one INSERT … SELECT per table in one transaction. */
async function sqlite3Import(dir: string, runId: string, db: string): Promise<{ ms: number; cpuMs: number | null }> {
  const h = await freshDb(db);
  h.close();
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Record<string, unknown>;
  const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const script = `PRAGMA synchronous=NORMAL;
PRAGMA foreign_keys=ON;
PRAGMA cache_size=-${IMPORT_CACHE_KIB};
CREATE TEMP TABLE ti(id, scenario_id, correlation_id, status, started_at, completed_at, duration_ms, variations, error);
CREATE TEMP TABLE ts(instance_id, step_index, action_name, action_type, service, started_at, latency_ms, status_code, ok, observation);
CREATE TEMP TABLE ta(instance_id, step_index, assertion_name, passed, expected, actual, error);
.mode csv
.import ${join(dir, "instances.csv")} ti
.import ${join(dir, "steps.csv")} ts
.import ${join(dir, "assertions.csv")} ta
BEGIN;
INSERT INTO runs (id, started_at, sut_name, scenario_ids, seed, config) VALUES (${q(runId)}, ${q(String(manifest.timestamp))}, ${q(String(manifest.sut_name))}, ${q(JSON.stringify(manifest.scenario_ids))}, ${Number(manifest.seed)}, ${q(JSON.stringify(manifest.config))});
INSERT INTO instances (run_id, id, scenario_id, correlation_id, status, started_at, completed_at, duration_ms, variations, error)
  SELECT ${q(runId)}, id, scenario_id, nullif(correlation_id, ''), status, nullif(started_at, ''), nullif(completed_at, ''), nullif(duration_ms, ''), nullif(variations, ''), nullif(error, '') FROM ti;
INSERT INTO steps (run_id, instance_id, step_index, action_name, action_type, service, started_at, latency_ms, status_code, ok, observation)
  SELECT ${q(runId)}, instance_id, step_index, action_name, action_type, nullif(service, ''), nullif(started_at, ''), nullif(latency_ms, ''), nullif(status_code, ''), nullif(ok, ''), observation FROM ts;
INSERT INTO assertions (run_id, instance_id, step_index, assertion_name, passed, expected, actual, error)
  SELECT ${q(runId)}, instance_id, nullif(step_index, ''), assertion_name, passed, nullif(expected, ''), nullif(actual, ''), nullif(error, '') FROM ta;
COMMIT;
`;
  const t = performance.now();
  const timed = existsSync("/usr/bin/time");
  const child = timed
    ? spawn("/usr/bin/time", ["-f", "%U %S", "sqlite3", "-bail", db], { stdio: ["pipe", "inherit", "pipe"] })
    : spawn("sqlite3", ["-bail", db], { stdio: ["pipe", "inherit", "pipe"] });
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  child.stdin?.end(script);
  const [code] = (await once(child, "close")) as [number | null];
  const ms = performance.now() - t;
  if (code !== 0) throw new Error(`sqlite3 failed (exit ${code}): ${err}`);
  const cpu = timed ? (err.trim().split("\n").pop() ?? "").split(" ").map(Number) : [];
  return { ms, cpuMs: cpu.length === 2 ? ((cpu[0] ?? 0) + (cpu[1] ?? 0)) * 1000 : null };
}

async function verdictImport(
  dir: string,
  db: string,
  batchSize: number,
  preload: string | null,
  oneTransaction = false,
): Promise<{ ms: number; cpuMs: number; rows: number }> {
  const h = await freshDb(db);
  try {
    if (preload) await importRunFolder(h, preload);
    const t = performance.now();
    const c = process.cpuUsage();
    const r = await importRunFolder(h, dir, { batchSize, oneTransaction });
    const cpu = process.cpuUsage(c);
    return { ms: performance.now() - t, cpuMs: (cpu.user + cpu.system) / 1000, rows: r.rows };
  } finally {
    h.close();
  }
}

async function countRows(db: string): Promise<number> {
  const h = await openDatabase({ url: `file:${db}`, domains: ["runs"] });
  try {
    const rs = await h.client.execute(
      "SELECT (SELECT count(*) FROM instances) + (SELECT count(*) FROM steps) + (SELECT count(*) FROM assertions) AS n",
    );
    return Number(rs.rows[0]?.n);
  } finally {
    h.close();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? 0;
};
const k = (n: number) => Math.round(n).toLocaleString("en-US");

// ---- (a) throughput vs sqlite3 ------------------------------------------------------------------
const version = requireSqlite3();
const run = await ensureRun(`import-${STEPS}`, STEPS, 11);
await toCsv(run.dir);
const rows = run.instances + run.steps + run.assertions;
console.log(
  `(a) run: ${k(run.instances)} instances + ${k(run.steps)} steps + ${k(run.assertions)} assertions = ${k(rows)} rows, ${(bytesOf(run.dir) / 1e6).toFixed(0)} MB of JSONL; sqlite3 ${version}; ${ROUNDS} round(s), alternating`,
);
const db = join(OUT, "import-bench.db");
const tiny = await ensureRun("import-tiny", 2000, 5);
type Sample = { ms: number; cpuMs: number | null };
const base: Sample[] = [];
const ours = new Map<string, Sample[]>();
const add = (key: string, x: Sample) => ours.set(key, [...(ours.get(key) ?? []), x]);
const line = (label: string, x: Sample, n: number) =>
  `${label.padEnd(34)} ${(x.ms / 1000).toFixed(2).padStart(7)} s  ${k((n / x.ms) * 1000).padStart(9)} rows/s${x.cpuMs === null ? "" : `  cpu ${(x.cpuMs / 1000).toFixed(2)} s`}`;
for (let round = 0; round < ROUNDS; round++) {
  const b = await sqlite3Import(run.dir, `import-${STEPS}-run`, db);
  const n = await countRows(db);
  if (n !== rows) throw new Error(`sqlite3 imported ${n} rows, expected ${rows}`);
  base.push(b);
  console.log(`  round ${round + 1}: ${line("sqlite3 CSV", b, rows)}`);
  for (const bs of BATCHES) {
    const v = await verdictImport(run.dir, db, bs, null);
    if (v.rows !== rows) throw new Error(`verdict imported ${v.rows} rows, expected ${rows}`);
    add(`empty database, batch ${bs}`, v);
    console.log(`  round ${round + 1}: ${line(`verdict, empty db, batch ${bs}`, v, rows)}`);
  }
  const v = await verdictImport(run.dir, db, BATCHES[0] ?? 500, tiny.dir);
  if (v.rows !== rows) throw new Error(`verdict imported ${v.rows} rows, expected ${rows}`);
  add("database already holding a run", v);
  console.log(`  round ${round + 1}: ${line("verdict, db already holding a run", v, rows)}`);
  if (ONE_TX) {
    const o = await verdictImport(run.dir, db, BATCHES[0] ?? 500, null, true);
    if (o.rows !== rows) throw new Error(`verdict imported ${o.rows} rows, expected ${rows}`);
    add("empty database, --one-transaction", o);
    console.log(`  round ${round + 1}: ${line("verdict, empty db, one transaction", o, rows)}`);
    const p = await verdictImport(run.dir, db, BATCHES[0] ?? 500, tiny.dir, true);
    if (p.rows !== rows) throw new Error(`verdict imported ${p.rows} rows, expected ${rows}`);
    add("database already holding a run, --one-transaction", p);
    console.log(`  round ${round + 1}: ${line("verdict, db holding a run, one tx", p, rows)}`);
  }
}
dropDb(db);
const med = (xs: Sample[], f: (x: Sample) => number | null) => {
  const v = xs.map(f).filter((x): x is number => x !== null);
  return v.length ? median(v) : null;
};
const baseMs = med(base, (x) => x.ms) ?? 1;
const baseCpu = med(base, (x) => x.cpuMs);
console.log(`  sqlite3 median: ${k((rows / baseMs) * 1000)} rows/s`);
for (const [key, xs] of ours) {
  const ms = med(xs, (x) => x.ms) ?? 1;
  const cpu = med(xs, (x) => x.cpuMs);
  console.log(
    `  verdict (${key}) median: ${k((rows / ms) * 1000)} rows/s = ${((100 * baseMs) / ms).toFixed(0)}% of sqlite3 (target >= 50%)${
      cpu !== null && baseCpu !== null ? `; by CPU time ${((100 * baseCpu) / cpu).toFixed(0)}%` : ""
    }`,
  );
}

// ---- (c) peak RSS importing >= 1 GB --------------------------------------------------------------
if (process.env.RUNS_BENCH_SKIP_RSS !== "1") {
  const big = await ensureRun(`import-${RSS_STEPS}`, RSS_STEPS, 12);
  const gb = bytesOf(big.dir) / 1e9;
  const bigDb = join(OUT, "rss-bench.db");
  dropDb(bigDb);
  // The built CLI under /usr/bin/time when both exist (what users run); else a child of this script.
  const cli = join(HERE, "..", "apps", "cli", "dist", "index.js");
  const viaCli = existsSync("/usr/bin/time") && existsSync(cli);
  const child = viaCli
    ? spawn(
        "/usr/bin/time",
        ["-f", "maxrss %M", process.execPath, cli, "--db", `file:${bigDb}`, "--json", "runs", "import", big.dir],
        {
          stdio: ["ignore", "pipe", "pipe"],
        },
      )
    : spawn(process.execPath, ["--conditions=@verdict/source", "--import", "tsx", fileURLToPath(import.meta.url)], {
        env: { ...process.env, RUNS_BENCH_CHILD: "1", RUNS_BENCH_DIR: big.dir, RUNS_BENCH_DB: bigDb },
        stdio: ["ignore", "pipe", "pipe"],
      });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const t = performance.now();
  const [code] = (await once(child, "close")) as [number | null];
  const wall = performance.now() - t;
  if (code !== 0) throw new Error(`RSS child failed (exit ${code}): ${err}`);
  let rssKb: number;
  let n: number;
  if (viaCli) {
    rssKb = Number(/maxrss (\d+)/.exec(err)?.[1]);
    n = (JSON.parse(out) as { runs: { rows: number }[] }).runs[0]?.rows ?? 0;
  } else {
    const r = JSON.parse(out) as { rows: number; maxRssKb: number };
    rssKb = r.maxRssKb;
    n = r.rows;
  }
  dropDb(bigDb);
  console.log(
    `(c) peak RSS of ${viaCli ? "`verdict runs import` (built CLI, /usr/bin/time)" : "a child process importing"} a ${gb.toFixed(2)} GB run (${k(n)} rows): ${(rssKb / 1024).toFixed(0)} MB (target < 300 MB); ${k((n / wall) * 1000)} rows/s${gb < 1 ? "  [run is under 1 GB: raise RUNS_BENCH_RSS_STEPS]" : ""}`,
  );
}
