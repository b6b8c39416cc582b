/**
 * Verdict vs DuckDB on the same generated turbulence run (issue 15, part 1), in one script run:
 *
 * (a) import: DuckDB `CREATE TABLE … AS SELECT * FROM read_json(…)` of the three JSONL files into a
 *     fresh DuckDB file, vs `importRunFolder` in-process (default chunked import, and
 *     `oneTransaction`) and the built CLI `verdict runs import` (peak RSS from /usr/bin/time), each
 *     into a fresh libSQL file. Ratios: Verdict rows/s ÷ DuckDB rows/s, wall and CPU.
 * (b) three questions, answered by DuckDB straight over the JSONL files, by DuckDB over its tables,
 *     and by Verdict in-process over the imported file (the `oneTransaction` one):
 *     - failed instances: how many, and the first page of 50 (file order);
 *     - p95 step latency per service (turbulence's linear interpolation: DuckDB's quantile_cont);
 *     - the run summary (instance counts and pass rate; step latency p50/p95/p99/max overall, per
 *       action and per service; instance duration percentiles per scenario; assertion counts).
 *     The script checks that the answers agree before it prints ratios (DuckDB time ÷ Verdict time,
 *     so > 1 means Verdict is faster). `verdict runs summary --json` through the built CLI is timed
 *     too (Node start-up included).
 *
 * Sizes: DUCK_BENCH_STEPS (default 1,000,000 steps: ~194k instances, ~1.58M rows, the run of
 * runs-import.bench.ts, reused from bench/.out when present). DUCK_BENCH_REPS scales repetitions;
 * DUCK_BENCH_CLI=0 skips the CLI rows, DUCK_BENCH_CHUNKED=0 the in-process chunked import. The load average is printed before and after: the machine
 * is shared, so compare the ratios, not the absolute times.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";
import { importRunFolder, openDatabase, queryInstances, runSummary, serviceStats } from "@verdict/db";
import { generateRun } from "./gen-turbulence.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const OUT = join(HERE, ".out");
const STEPS = Number(process.env.DUCK_BENCH_STEPS ?? 1_000_000);
const REPS = Number(process.env.DUCK_BENCH_REPS ?? 1);
const WITH_CLI = process.env.DUCK_BENCH_CLI !== "0";
const WITH_CHUNKED = process.env.DUCK_BENCH_CHUNKED !== "0";
const CLI = join(HERE, "..", "apps", "cli", "dist", "index.js");

const k = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(0));
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" / ");
const cpuNow = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

// ---- the run ------------------------------------------------------------------------------------
const name = `import-${STEPS}`;
const runId = `${name}-run`;
const dir = join(OUT, name);
let sizes: { instances: number; steps: number; assertions: number };
{
  const summary = join(dir, "summary.json");
  const s = existsSync(summary)
    ? (JSON.parse(readFileSync(summary, "utf8")) as {
        total_steps: number;
        total_instances: number;
        total_assertions: number;
      })
    : null;
  if (s && s.total_steps === STEPS)
    sizes = { instances: s.total_instances, steps: s.total_steps, assertions: s.total_assertions };
  else {
    const g = await generateRun({ out: dir, steps: STEPS, seed: 11, runId });
    sizes = g;
  }
}
const rows = sizes.instances + sizes.steps + sizes.assertions;
const files = { instances: "instances.jsonl", steps: "steps.jsonl", assertions: "assertions.jsonl" } as const;
const path = (f: keyof typeof files) => join(dir, files[f]);
const bytes = Object.keys(files).reduce((a, f) => a + statSync(path(f as keyof typeof files)).size, 0);
console.log(
  `run ${runId}: ${k(sizes.instances)} instances + ${k(sizes.steps)} steps + ${k(sizes.assertions)} assertions = ${k(rows)} rows, ${(bytes / 1e6).toFixed(0)} MB of JSONL`,
);
console.log(`load average before: ${load()}`);

const dropFile = (p: string) => {
  for (const s of ["", "-wal", "-shm", ".wal"]) rmSync(`${p}${s}`, { force: true });
};

// ---- (a) import ---------------------------------------------------------------------------------
interface ImportSample {
  label: string;
  ms: number;
  cpuMs: number | null;
  rssMb: number | null;
}
const imports: ImportSample[] = [];

const duckFile = join(OUT, "duck-bench.duckdb");
dropFile(duckFile);
const duck = await DuckDBInstance.create(duckFile);
const dc = await duck.connect();
const threads = (await dc.runAndReadAll("SELECT current_setting('threads') AS t")).getRowObjectsJS()[0]?.t;
const rj = (f: keyof typeof files) => `read_json('${path(f).replace(/'/g, "''")}', format = 'newline_delimited')`;
{
  const t = performance.now();
  const c = cpuNow();
  for (const f of Object.keys(files) as (keyof typeof files)[])
    await dc.run(`CREATE TABLE ${f} AS SELECT * FROM ${rj(f)}`);
  await dc.run("CHECKPOINT");
  imports.push({
    label: `DuckDB CREATE TABLE AS read_json (${threads} threads)`,
    ms: performance.now() - t,
    cpuMs: cpuNow() - c,
    rssMb: null,
  });
  const n = (
    await dc.runAndReadAll(
      "SELECT (SELECT count(*) FROM instances) + (SELECT count(*) FROM steps) + (SELECT count(*) FROM assertions) AS n",
    )
  ).getRowObjectsJS()[0]?.n;
  if (Number(n) !== rows) throw new Error(`DuckDB loaded ${n} rows, expected ${rows}`);
}

async function verdictInProcess(label: string, db: string, oneTransaction: boolean): Promise<void> {
  dropFile(db);
  const h = await openDatabase({ url: `file:${db}`, domains: ["runs"], migrate: true });
  try {
    const t = performance.now();
    const c = cpuNow();
    const r = await importRunFolder(h, dir, { oneTransaction });
    imports.push({ label, ms: performance.now() - t, cpuMs: cpuNow() - c, rssMb: null });
    if (r.rows !== rows) throw new Error(`verdict imported ${r.rows} rows, expected ${rows}`);
  } finally {
    h.close();
  }
}

async function runCli(
  args: string[],
): Promise<{ ms: number; cpuMs: number | null; rssMb: number | null; out: string }> {
  const timed = existsSync("/usr/bin/time");
  const t = performance.now();
  const child = timed
    ? spawn("/usr/bin/time", ["-f", "verdict-bench-time %U %S %M", process.execPath, CLI, ...args], {
        stdio: ["ignore", "pipe", "pipe"],
      })
    : spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const [code] = (await once(child, "close")) as [number | null];
  const wall = performance.now() - t;
  if (code !== 0) throw new Error(`verdict ${args.join(" ")} failed (exit ${code}): ${err}`);
  const m = /verdict-bench-time ([\d.]+) ([\d.]+) (\d+)/.exec(err);
  return {
    ms: wall,
    cpuMs: m ? (Number(m[1]) + Number(m[2])) * 1000 : null,
    rssMb: m ? Number(m[3]) / 1024 : null,
    out,
  };
}

const chunkedDb = join(OUT, "duck-bench-verdict-chunked.db");
const oneTxDb = join(OUT, "duck-bench-verdict.db");
const cliDb = join(OUT, "duck-bench-verdict-cli.db");
if (WITH_CHUNKED) {
  await verdictInProcess("Verdict importRunFolder, default (chunked)", chunkedDb, false);
  dropFile(chunkedDb);
}
await verdictInProcess("Verdict importRunFolder, oneTransaction", oneTxDb, true);
if (WITH_CLI && existsSync(CLI)) {
  dropFile(cliDb);
  const r = await runCli(["--db", `file:${cliDb}`, "--json", "runs", "import", dir]);
  const n = (JSON.parse(r.out) as { runs: { rows: number }[] }).runs[0]?.rows;
  if (n !== rows) throw new Error(`verdict runs import wrote ${n} rows, expected ${rows}`);
  imports.push({ label: "`verdict runs import` (built CLI, default)", ms: r.ms, cpuMs: r.cpuMs, rssMb: r.rssMb });
  dropFile(cliDb);
} else if (WITH_CLI) console.log(`(no built CLI at ${CLI}: build first; CLI rows skipped)`);

const base = imports[0] as ImportSample;
console.log("\n(a) import");
console.log("| import | s | rows/s | cpu s | peak RSS MB | rows/s vs DuckDB | by CPU vs DuckDB |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const x of imports)
  console.log(
    `| ${x.label} | ${(x.ms / 1000).toFixed(2)} | ${k((rows / x.ms) * 1000)} | ${x.cpuMs === null ? "-" : (x.cpuMs / 1000).toFixed(2)} | ${x.rssMb === null ? "-" : x.rssMb.toFixed(0)} | ${((100 * base.ms) / x.ms).toFixed(1)}% | ${x.cpuMs !== null && base.cpuMs !== null ? `${((100 * base.cpuMs) / x.cpuMs).toFixed(1)}%` : "-"} |`,
  );

// ---- (b) questions ------------------------------------------------------------------------------
async function timeIt<T>(n: number, fn: () => Promise<T>): Promise<{ p50: number; last: T }> {
  const times: number[] = [];
  let last: T | undefined;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    last = await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor((times.length - 1) / 2)] ?? 0, last: last as T };
}

type Src = { instances: string; steps: string; assertions: string };
const overJsonl: Src = { instances: rj("instances"), steps: rj("steps"), assertions: rj("assertions") };
const overTables: Src = { instances: "instances", steps: "steps", assertions: "assertions" };
const all = async (sql: string) => (await dc.runAndReadAll(sql)).getRowObjectsJS();

async function duckFailed(s: Src) {
  const n = await all(`SELECT count(*) AS n FROM ${s.instances} WHERE passed IS NOT TRUE`);
  const first = await all(`SELECT instance_id FROM ${s.instances} WHERE passed IS NOT TRUE LIMIT 50`);
  return { failed: Number(n[0]?.n), first: first.map((r) => String(r.instance_id)) };
}
async function duckServiceP95(s: Src) {
  const r = await all(
    `SELECT observation.service AS service, quantile_cont(coalesce(observation.latency_ms, 0), 0.95) AS p95
     FROM ${s.steps} WHERE observation.service IS NOT NULL AND observation.service != '' GROUP BY 1 ORDER BY 1`,
  );
  return new Map(r.map((x) => [String(x.service), Number(x.p95)]));
}
async function duckSummary(s: Src) {
  const counts = await all(
    `SELECT count(*) AS instances, count(*) FILTER (WHERE passed) AS pass, count(*) FILTER (WHERE passed = false) AS fail,
            count(*) FILTER (WHERE passed = false AND coalesce(error, '') != '') AS error,
            quantile_cont(duration_ms, [0.5, 0.95, 0.99]) AS duration
     FROM ${s.instances}`,
  );
  const q =
    "quantile_cont(observation.latency_ms, [0.5, 0.95, 0.99]) AS q, max(observation.latency_ms) AS max, count(*) AS n";
  const overall = await all(`SELECT ${q}, count(*) FILTER (WHERE observation.ok = false) AS failed FROM ${s.steps}`);
  const byAction = await all(`SELECT step_name AS k, ${q} FROM ${s.steps} GROUP BY 1 ORDER BY 1`);
  const byService = await all(`SELECT observation.service AS k, ${q} FROM ${s.steps} GROUP BY 1 ORDER BY 1`);
  const byScenario = await all(
    `SELECT scenario_id AS k, count(*) AS n, quantile_cont(duration_ms, [0.5, 0.95, 0.99]) AS q FROM ${s.instances} GROUP BY 1 ORDER BY 1`,
  );
  const asserts = await all(`SELECT count(*) AS n, count(*) FILTER (WHERE passed) AS passed FROM ${s.assertions}`);
  const c = counts[0] ?? {};
  const o = overall[0] ?? {};
  return {
    instances: Number(c.instances),
    fail: Number(c.fail),
    stepP95: Number((o.q as number[])[1]),
    steps: Number(o.n),
    actions: byAction.length,
    services: byService.length,
    scenarios: byScenario.length,
    assertions: Number(asserts[0]?.n),
  };
}

const h = await openDatabase({ url: `file:${oneTxDb}`, domains: ["runs"] });
type Q = { label: string; jsonl: number; tables: number; verdict: number; cli: number | null };
const questions: Q[] = [];
try {
  await runSummary(h, runId); // warm-up, as for DuckDB's tables below
  await duckSummary(overTables);

  // failed instances, count + first page
  const vj = await timeIt(3 * REPS, () => duckFailed(overJsonl));
  const vt = await timeIt(20 * REPS, () => duckFailed(overTables));
  const vv = await timeIt(50 * REPS, async () => {
    const p = await queryInstances(h, { run_id: runId, status: "fail", limit: 50, with_total: true });
    return { failed: p.total ?? 0, first: p.items.map((i) => i.id) };
  });
  for (const d of [vj.last, vt.last])
    if (d.failed !== vv.last.failed || d.first.join() !== vv.last.first.join())
      throw new Error(`failed instances differ: DuckDB ${d.failed} vs Verdict ${vv.last.failed}`);
  questions.push({
    label: `failed instances: count (${k(vv.last.failed)}) + first page of 50`,
    jsonl: vj.p50,
    tables: vt.p50,
    verdict: vv.p50,
    cli: null,
  });

  // p95 per service
  const sj = await timeIt(3 * REPS, () => duckServiceP95(overJsonl));
  const st = await timeIt(10 * REPS, () => duckServiceP95(overTables));
  const sv = await timeIt(5 * REPS, () => serviceStats(h, runId));
  for (const svc of sv.last) {
    const d = st.last.get(svc.service);
    if (d === undefined || Math.abs(d - svc.p95_latency_ms) > 1e-6 * Math.max(1, d))
      throw new Error(`p95 of ${svc.service} differs: DuckDB ${d} vs Verdict ${svc.p95_latency_ms}`);
  }
  questions.push({
    label: `p95 step latency per service (${sv.last.length} services)`,
    jsonl: sj.p50,
    tables: st.p50,
    verdict: sv.p50,
    cli: null,
  });

  // run summary
  const mj = await timeIt(3 * REPS, () => duckSummary(overJsonl));
  const mt = await timeIt(5 * REPS, () => duckSummary(overTables));
  const mv = await timeIt(5 * REPS, () => runSummary(h, runId));
  const v = mv.last;
  const d = mt.last;
  if (v.instances.instances !== d.instances || v.instances.fail !== d.fail || v.steps.total !== d.steps)
    throw new Error(
      `summary counts differ: ${JSON.stringify(d)} vs Verdict ${v.instances.instances}/${v.instances.fail}/${v.steps.total}`,
    );
  if (Math.abs((v.steps.latency_ms.p95 ?? Number.NaN) - d.stepP95) > 1e-6 * d.stepP95)
    throw new Error(`step p95 differs: DuckDB ${d.stepP95} vs Verdict ${v.steps.latency_ms.p95}`);
  let cliMs: number | null = null;
  if (WITH_CLI && existsSync(CLI)) {
    const c = await timeIt(3 * REPS, () => runCli(["--db", `file:${oneTxDb}`, "--json", "runs", "summary", runId]));
    cliMs = c.p50;
  }
  questions.push({
    label: `run summary (${d.actions} actions, ${d.services} services, ${d.scenarios} scenarios)`,
    jsonl: mj.p50,
    tables: mt.p50,
    verdict: mv.p50,
    cli: cliMs,
  });
} finally {
  h.close();
  dc.closeSync();
  duck.closeSync();
}

console.log("\n(b) questions (p50 ms; ratio = DuckDB time / Verdict in-process time, > 1: Verdict faster)");
console.log(
  "| question | DuckDB over JSONL | DuckDB over its tables | Verdict in-process | ratio vs JSONL | ratio vs tables | `verdict` CLI (with start-up) |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const q of questions)
  console.log(
    `| ${q.label} | ${ms(q.jsonl)} | ${ms(q.tables)} | ${ms(q.verdict)} | ${(q.jsonl / q.verdict).toFixed(1)}× | ${(q.tables / q.verdict).toFixed(2)}× | ${q.cli === null ? "-" : ms(q.cli)} |`,
  );
console.log(`\nload average after: ${load()}`);
dropFile(oneTxDb);
dropFile(duckFile);
