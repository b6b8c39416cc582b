/**
 * Start-up of the built CLI, worker and server, against `node -e 0` measured in the same loop:
 *   - `verdict --version`, `verdict --help`                       target --version <= 80 ms wall
 *   - `verdict runs summary RUN --json` on a STARTUP_BENCH_INSTANCES run   target <= 150 ms wall
 *   - `verdict-worker --version`, and a worker until it logs "worker started"
 *   - `verdict serve` until GET /health answers 200
 * Every command runs STARTUP_BENCH_N times (default 21), round-robin so each sees the same load;
 * the median is reported with its ratio to `node -e 0`'s median. Extra CLIs to compare (an older
 * build, the packed `verdict`): STARTUP_BENCH_CLI="label=path/to/index.js,label2=..." .
 * An existing database instead of a generated run (e.g. web.bench.ts's 1,000,000-instance file):
 * STARTUP_BENCH_DB=path/to/file.db STARTUP_BENCH_RUN=run-id (STARTUP_BENCH_INSTANCES then only labels it).
 * The CLI runs its bundle through a V8 code cache (apps/cli/src/code-cache.ts), kept here in a folder of
 * this run (XDG_CACHE_HOME) and written by the warm-up round; "first run" measures the summary with
 * an empty cache folder each time (compiling everything, then writing the cache).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { importRunFolder, openDatabase } from "@verdict/db";
import { generateRun } from "./gen-turbulence.js";
import { fmt, percentile, table } from "./lib/measure.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT = join(ROOT, "bench", ".out");
const N = Number(process.env.STARTUP_BENCH_N ?? 21);
const INSTANCES = Number(process.env.STARTUP_BENCH_INSTANCES ?? 100_000);
const CLI = join(ROOT, "apps/cli/dist/index.js");
const WORKER = join(ROOT, "apps/worker/dist/index.js");
const GIVEN_DB = process.env.STARTUP_BENCH_DB;
const RUN_ID = process.env.STARTUP_BENCH_RUN ?? `startup-${INSTANCES}-run`;
const runDir = join(OUT, `startup-${INSTANCES}`);
const dbPath = GIVEN_DB ?? join(OUT, `startup-${INSTANCES}.db`);

for (const f of [CLI, WORKER])
  if (!existsSync(f)) throw new Error(`${f} is not built: pnpm exec turbo run build --filter @verdict/cli...`);

async function prepareRun(): Promise<void> {
  const summaryFile = join(runDir, "summary.json");
  const generated =
    existsSync(summaryFile) &&
    (JSON.parse(readFileSync(summaryFile, "utf8")) as { total_instances: number }).total_instances === INSTANCES;
  if (!generated) {
    await generateRun({ out: runDir, instances: INSTANCES, seed: 15, runId: RUN_ID });
    for (const s of ["", "-wal", "-shm"]) rmSync(`${dbPath}${s}`, { force: true });
  }
  const h = await openDatabase({ url: `file:${dbPath}`, migrate: true });
  try {
    const have = await h.client.execute({ sql: "SELECT 1 FROM runs WHERE id = ?", args: [RUN_ID] });
    if (have.rows.length === 0) await importRunFolder(h, runDir, {});
  } finally {
    h.close();
  }
}

/** The code cache folder of this run (the user's own is left alone). */
const CACHE_HOME = mkdtempSync(join(tmpdir(), "verdict-startup-cache-"));
process.on("exit", () => rmSync(CACHE_HOME, { recursive: true, force: true }));

/** Wall time of one process from spawn to exit, in ms; throws on a non-zero exit. */
function wall(args: string[], cacheHome = CACHE_HOME): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, NO_COLOR: "1", XDG_CACHE_HOME: cacheHome },
  });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return ms;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (a && typeof a === "object" ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}

/** Spawns `args` and resolves with the ms until `ready()` says so; then stops the process. */
async function untilReady(args: string[], ready: (out: string) => Promise<boolean> | boolean): Promise<number> {
  const t = performance.now();
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1", XDG_CACHE_HOME: CACHE_HOME },
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`node ${args.join(" ")} exited early: ${out}`);
      if (await ready(out)) return performance.now() - t;
      if (performance.now() - t > 30_000) throw new Error(`node ${args.join(" ")} not ready in 30 s: ${out}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/health`)).ok;
  } catch {
    return false;
  }
}

if (GIVEN_DB === undefined) await prepareRun();
else if (!existsSync(GIVEN_DB)) throw new Error(`STARTUP_BENCH_DB: ${GIVEN_DB} does not exist`);
const extra = (process.env.STARTUP_BENCH_CLI ?? "")
  .split(",")
  .filter(Boolean)
  .map((pair) => {
    const [label, path] = pair.split("=");
    if (!label || !path || !existsSync(path))
      throw new Error(`STARTUP_BENCH_CLI: '${pair}' is not label=existing-file`);
    return { label, path };
  });

const db = `file:${dbPath}`;

/** `verdict serve` of the CLI at `cli` until GET /health answers 200. */
async function serveUntilHealthy(cli: string): Promise<number> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  return untilReady([cli, "--db", db, "serve", "--port", String(port), "--no-auth", "--no-web"], () => healthy(url));
}
const cases: { label: string; run: () => number | Promise<number> }[] = [
  { label: "node -e 0", run: () => wall(["-e", "0"]) },
  { label: "verdict --version", run: () => wall([CLI, "--version"]) },
  { label: "verdict --help", run: () => wall([CLI, "--help"]) },
  {
    label: `verdict runs summary (${INSTANCES.toLocaleString("en-US")} instances)`,
    run: () => wall([CLI, "--db", db, "--read-only", "runs", "summary", RUN_ID, "--json"]),
  },
  {
    label: "verdict runs summary, first run (no code cache)",
    run: () => {
      const empty = mkdtempSync(join(CACHE_HOME, "first-"));
      try {
        return wall([CLI, "--db", db, "--read-only", "runs", "summary", RUN_ID, "--json"], empty);
      } finally {
        rmSync(empty, { recursive: true, force: true });
      }
    },
  },
  ...extra.flatMap(({ label, path }) => [
    { label: `${label}: verdict --version`, run: () => wall([path, "--version"]) },
    { label: `${label}: verdict --help`, run: () => wall([path, "--help"]) },
    {
      label: `${label}: verdict runs summary`,
      run: () => wall([path, "--db", db, "--read-only", "runs", "summary", RUN_ID, "--json"]),
    },
    { label: `${label}: verdict serve → GET /health 200`, run: () => serveUntilHealthy(path) },
  ]),
  { label: "verdict-worker --version", run: () => wall([WORKER, "--version"]) },
  { label: "verdict serve → GET /health 200", run: () => serveUntilHealthy(CLI) },
  {
    label: 'verdict-worker → "worker started" logged',
    run: async () => {
      const port = await freePort(); // nobody listens: the worker logs its start before it claims
      return untilReady([WORKER, "--server", `http://127.0.0.1:${port}`, "--token", "bench"], (out) =>
        out.includes("worker started"),
      );
    },
  },
];

const samples = new Map<string, number[]>(cases.map((c) => [c.label, []]));
const load = loadavg();
for (const c of cases) await c.run(); // warm the file cache once
for (let i = 0; i < N; i++) for (const c of cases) samples.get(c.label)?.push(await c.run());
const median = (label: string) =>
  percentile(
    [...(samples.get(label) ?? [])].sort((a, b) => a - b),
    50,
  );
const base = median("node -e 0");
const loadAfter = loadavg();
console.log(
  `startup: node ${process.version}, ${N} runs each (round-robin), load average ${load.map((l) => l.toFixed(2)).join(" ")} → ${loadAfter.map((l) => l.toFixed(2)).join(" ")}, ${new Date().toISOString()}`,
);
console.log(
  table(
    ["command", "median ms", "p95 ms", "× node -e 0", "above node -e 0 (ms)"],
    cases.map((c) => {
      const m = median(c.label);
      const p95 = percentile(
        [...(samples.get(c.label) ?? [])].sort((a, b) => a - b),
        95,
      );
      return [c.label, fmt(m, 1), fmt(p95, 1), fmt(m / base, 2), fmt(m - base, 1)];
    }),
  ),
);
