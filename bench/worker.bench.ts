/**
 * Worker scaling. Two workloads, each run by 1 and more `verdict-worker` processes (already started
 * and polling) through a `verdict serve` process on a libSQL file, all on 127.0.0.1; each figure is
 * a ratio against 1 worker from the same script run:
 *
 * - IVR: executions of a 10-step DTMF scenario against the demo IVR answering each turn after
 *   `--delay-ms` (50), workers with --concurrency 1 (1, 2, 4 workers). The time goes to waiting on
 *   the IVR, so N workers should finish close to N times the executions per second.
 * - HTTP: instances of a 3-step scenario (login, cart, checkout) against a local node:http target
 *   (a child process) that answers at once, workers with --concurrency BENCH_HTTP_CONCURRENCY (1, 2,
 *   4 workers). Counts instances per second, step reports and assertions included, and checks that
 *   every instance, step and assertion row is stored exactly once.
 *
 * Built binaries are required (`pnpm bench` builds first). Env: BENCH_IVR_EXECUTIONS (40),
 * BENCH_IVR_DELAY_MS (50), BENCH_HTTP_INSTANCES (3000), BENCH_HTTP_CONCURRENCY (32),
 * BENCH_WORKER_ROUNDS (2; the best round of each configuration is reported), BENCH_ONLY (ivr|http),
 * BENCH_IVR_WORKERS / BENCH_HTTP_WORKERS (worker counts, "1,2,4"; the first is the ratios' base),
 * BENCH_SERVER_NODE_ARGS / BENCH_WORKER_NODE_ARGS (extra node flags, e.g. "--cpu-prof --cpu-prof-dir=DIR").
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import {
  type VerdictDb,
  createScenario,
  createToken,
  enqueueExecutions,
  openDatabase,
  startHttpRun,
} from "@verdict/db";
import { type StepDefinitionInput, httpScenario } from "@verdict/schema";
import { listeningUrl, tempDir } from "@verdict/testing";
import { fmt, table } from "./lib/measure.js";

const IVR_EXECUTIONS = Number(process.env.BENCH_IVR_EXECUTIONS ?? 40);
const IVR_DELAY_MS = Number(process.env.BENCH_IVR_DELAY_MS ?? 50);
const HTTP_INSTANCES = Number(process.env.BENCH_HTTP_INSTANCES ?? 3000);
const HTTP_CONCURRENCY = Number(process.env.BENCH_HTTP_CONCURRENCY ?? 32);
const ROUNDS = Number(process.env.BENCH_WORKER_ROUNDS ?? 2);
const ONLY = process.env.BENCH_ONLY ?? "";
const workerCounts = (v: string | undefined) => (v ?? "1,2,4").split(",").map(Number);
const IVR_WORKERS = workerCounts(process.env.BENCH_IVR_WORKERS);
const HTTP_WORKERS = workerCounts(process.env.BENCH_HTTP_WORKERS);

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = join(ROOT, "apps/cli/dist/index.js");
const WORKER = join(ROOT, "apps/worker/dist/index.js");
const DEMO_IVR = join(ROOT, "apps/demo-ivr/dist/main.js");
for (const f of [CLI, WORKER, DEMO_IVR]) {
  if (!existsSync(f)) {
    console.error(`missing ${f}: build first (pnpm bench builds; or pnpm exec turbo run build)`);
    process.exit(1);
  }
}

// Greeting, then the balance (1) and the main menu (9) in turn: one webhook round trip per DTMF step.
const DIGITS = ["1", "9", "1", "9", "1", "9", "1", "9", "1"];
const ivrSteps: StepDefinitionInput[] = [
  { type: "prompt", expected_text: "Welcome to Acme Bank" },
  ...DIGITS.map((digits): StepDefinitionInput => ({ type: "dtmf", digits })),
];

// A target answering at once, in its own process (so the bench's own polling does not slow it).
const TARGET_SOURCE = `
const http = require("node:http");
const json = (res, body) => { res.writeHead(200, { "content-type": "application/json" }); res.end(JSON.stringify(body)); };
const server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (d) => { body += d; });
  req.on("end", () => {
    if (req.url === "/login") return json(res, { token: "tok-" + (JSON.parse(body || "{}").user || "anon") });
    if (req.url === "/cart") return json(res, { items: ["apple", "pear"] });
    if (req.url === "/checkout") return json(res, { order: "o-1", status: "placed" });
    res.writeHead(404); res.end();
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ msg: "listening", url: "http://127.0.0.1:" + server.address().port })));
`;

const children = new Set<ChildProcess>();
function start(args: string[]): { child: ChildProcess; out: () => string; err: () => string } {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  child.once("exit", () => children.delete(child));
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    // Keep only what the bench reads (start-up lines, errors); per-item logs would pile up.
    if (err.length < 200_000) err += d.toString();
  });
  return { child, out: () => out, err: () => err };
}
function killAll(): void {
  for (const c of children) if (c.pid && c.exitCode === null) process.kill(c.pid, "SIGKILL");
}
process.on("exit", killAll);

async function waitFor(pred: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
async function listening(p: { out: () => string }, what: string): Promise<string> {
  let url = "";
  await waitFor(() => {
    url = listeningUrl(p.out()) ?? "";
    return url !== "";
  }, what);
  return url;
}

const dir = tempDir("verdict-bench-worker-");
const dbUrl = `file:${dir.file("bench.db")}`;
const db: VerdictDb = await openDatabase({ url: dbUrl, migrate: true });
const scenario = await createScenario(db, {
  scenario_id: "bench-dtmf",
  name: "10 steps: greeting + 9 DTMF turns",
  target_phone: "+15550100100",
  timeout_seconds: 120,
  steps: ivrSteps,
});
const token = (await createToken(db, "bench-workers", "write")).token;

const ivr = start([DEMO_IVR, "--port", "0", "--quiet", "--delay-ms", String(IVR_DELAY_MS)]);
const target = start(["-e", TARGET_SOURCE]);
const server = start([
  ...(process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean),
  CLI,
  "--db",
  dbUrl,
  "serve",
  "--host",
  "127.0.0.1",
  "--port",
  "0",
]);
const [ivrUrl, targetUrl, serverUrl] = await Promise.all([
  listening(ivr, "the demo IVR"),
  listening(target, "the HTTP target"),
  listening(server, "verdict serve"),
]);

const shop = httpScenario.parse({
  id: "bench-shop",
  sut: "shop",
  timeout_seconds: 120,
  vars: { base: targetUrl },
  steps: [
    {
      name: "login",
      service: "auth",
      request: { method: "POST", url: "{{base}}/login", json: { user: "u{{instance_index}}" } },
      extract: { token: "$.token" },
      assert: [{ status: 200 }],
    },
    {
      name: "cart",
      service: "cart",
      request: { url: "{{base}}/cart", headers: { authorization: "Bearer {{token}}" } },
      assert: [{ status: 200 }, { json_path: "$.items", contains: "apple" }],
    },
    {
      name: "checkout",
      service: "orders",
      request: { method: "POST", url: "{{base}}/checkout", json: { cart: "c-{{instance_index}}" } },
      assert: [{ status: 200 }, { json_path: "$.status", equals: "placed" }],
    },
  ],
});
const HTTP_ASSERTIONS = 5;

async function startWorkers(n: number, extra: string[]) {
  const procs = Array.from({ length: n }, (_, i) =>
    start([
      ...(process.env.BENCH_WORKER_NODE_ARGS ?? "").split(" ").filter(Boolean),
      WORKER,
      "--server",
      serverUrl,
      "--token",
      token,
      "--id",
      `bench-${n}-${i}`,
      ...extra,
    ]),
  );
  await waitFor(() => procs.every((p) => /"msg":"worker started"/.test(p.err())), "the workers to start");
  await sleep(300); // let them settle into polling
  return procs;
}
async function stopWorkers(procs: { child: ChildProcess }[]): Promise<void> {
  for (const p of procs) p.child.kill("SIGTERM");
  await Promise.all(
    procs.map((p) => new Promise((r) => (p.child.exitCode !== null ? r(null) : p.child.once("exit", r)))),
  );
}

/** Seconds for `workers` workers to run IVR_EXECUTIONS queued executions. */
async function ivrRound(workers: number): Promise<Round> {
  const procs = await startWorkers(workers, ["--kinds", "ivr", "--ivr-webhook", ivrUrl]);
  const cpu0 = cpuNow(procs);
  const t0 = performance.now();
  const { item_ids: items } = await enqueueExecutions(db, {
    scenario_id: scenario.scenario_id,
    repeat: IVR_EXECUTIONS,
  });
  // Queued executions are queue items until a worker starts them; each claim makes its execution.
  const itemList = JSON.stringify(items);
  let list = "[]";
  for (;;) {
    const rs = await db.client.execute({
      sql: `SELECT json_group_array(w.execution_id) AS ids, count(e.execution_id) AS n FROM work_items w
            LEFT JOIN test_executions e ON e.execution_id = w.execution_id AND e.status NOT IN ('running')
            WHERE w.id IN (SELECT value FROM json_each(?))`,
      args: [itemList],
    });
    if (Number(rs.rows[0]?.n) === IVR_EXECUTIONS) {
      list = String(rs.rows[0]?.ids);
      break;
    }
    await sleep(25);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuNow(procs).map((c, i) => c - (cpu0[i] ?? 0));
  await stopWorkers(procs);
  const check = await db.client.execute({
    sql: `SELECT count(*) AS steps,
            (SELECT count(*) FROM test_executions WHERE execution_id IN (SELECT value FROM json_each(?1)) AND final_result = 'pass') AS passed
          FROM step_executions WHERE execution_id IN (SELECT value FROM json_each(?1))`,
    args: [list],
  });
  const recorded = Number(check.rows[0]?.steps);
  const passed = Number(check.rows[0]?.passed);
  if (recorded !== IVR_EXECUTIONS * ivrSteps.length || passed !== IVR_EXECUTIONS) {
    throw new Error(`IVR round with ${workers} worker(s): ${passed}/${IVR_EXECUTIONS} passed, ${recorded} step rows`);
  }
  return { seconds, serverCpu: cpu[0] ?? Number.NaN, workerCpu: cpu[1] ?? Number.NaN, targetCpu: cpu[2] ?? Number.NaN };
}

/** Seconds for `workers` workers to run an HTTP run of HTTP_INSTANCES instances, every row checked. */
async function httpRound(workers: number): Promise<Round> {
  const procs = await startWorkers(workers, ["--kinds", "http", "--concurrency", String(HTTP_CONCURRENCY)]);
  const cpu0 = cpuNow(procs);
  const t0 = performance.now();
  const { run } = await startHttpRun(db, { scenario: shop, instances: HTTP_INSTANCES });
  for (;;) {
    const rs = await db.client.execute({ sql: "SELECT completed_at FROM runs WHERE id = ?", args: [run.id] });
    if (rs.rows[0]?.completed_at) break;
    await sleep(25);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuNow(procs).map((c, i) => c - (cpu0[i] ?? 0));
  await stopWorkers(procs);
  const rs = await db.client.execute({
    sql: `SELECT (SELECT count(*) FROM instances WHERE run_id = ?1 AND status = 'pass') AS passed,
            (SELECT count(*) FROM steps WHERE run_id = ?1) AS steps,
            (SELECT count(*) FROM assertions WHERE run_id = ?1 AND passed = 1) AS assertions,
            (SELECT count(*) FROM work_items WHERE run_id = ?1 AND status = 'done' AND attempts = 1) AS once`,
    args: [run.id],
  });
  const r = rs.rows[0];
  const got = [r?.passed, r?.steps, r?.assertions, r?.once].map(Number);
  const want = [HTTP_INSTANCES, HTTP_INSTANCES * 3, HTTP_INSTANCES * HTTP_ASSERTIONS, HTTP_INSTANCES];
  if (got.some((g, i) => g !== want[i])) {
    const why = await db.client.execute({
      sql: "SELECT attempts, last_error FROM work_items WHERE run_id = ? AND attempts > 1 LIMIT 3",
      args: [run.id],
    });
    console.error(why.rows);
    throw new Error(
      `HTTP round with ${workers} worker(s): passed/steps/assertions/done-once ${got.join("/")}, want ${want.join("/")}`,
    );
  }
  return { seconds, serverCpu: cpu[0] ?? Number.NaN, workerCpu: cpu[1] ?? Number.NaN, targetCpu: cpu[3] ?? Number.NaN };
}

interface Round {
  seconds: number;
  /** CPU seconds used during the round by the server, by all workers together, and by what they call (demo IVR or HTTP target). */
  serverCpu: number;
  workerCpu: number;
  targetCpu: number;
}

/** [server, all workers, demo IVR, HTTP target] CPU seconds so far. */
function cpuNow(procs: { child: ChildProcess }[]): [number, number, number, number] {
  return [
    cpuSeconds(server.child.pid),
    procs.reduce((s, p) => s + cpuSeconds(p.child.pid), 0),
    cpuSeconds(ivr.child.pid),
    cpuSeconds(target.child.pid),
  ];
}

/** CPU seconds (user + system) a child process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

const results = new Map<string, Round[]>();
const add = (k: string, r: Round) => results.set(k, [...(results.get(k) ?? []), r]);
const loads: string[] = [];
const load = () =>
  loads.push(
    loadavg()
      .map((l) => l.toFixed(2))
      .join(" "),
  );

try {
  load();
  for (let round = 0; round < ROUNDS; round++) {
    if (ONLY !== "http") for (const w of IVR_WORKERS) add(`ivr${w}`, await ivrRound(w));
    if (ONLY !== "ivr") for (const w of HTTP_WORKERS) add(`http${w}`, await httpRound(w));
    load();
    console.log(`round ${round + 1}/${ROUNDS} done`);
  }
} finally {
  // The server ends on SIGTERM (closing its database cleanly); the rest is killed.
  server.child.kill("SIGTERM");
  await Promise.race([new Promise((r) => server.child.once("exit", r)), sleep(5000)]);
  killAll();
  db.close();
  dir.cleanup();
}

function report(prefix: string, counts: number[], n: number, unit: string, title: string): void {
  const best = (k: string) =>
    (results.get(k) ?? []).reduce<Round | null>((a, b) => (a === null || b.seconds < a.seconds ? b : a), null);
  const base = n / (best(`${prefix}${counts[0]}`)?.seconds ?? Number.NaN);
  const rows = counts.map((w) => {
    const r = best(`${prefix}${w}`);
    const rate = n / (r?.seconds ?? Number.NaN);
    return [
      `${w} worker${w > 1 ? "s" : ""}`,
      (results.get(`${prefix}${w}`) ?? []).map((x) => fmt(x.seconds, 2)).join(", "),
      fmt(rate, 1),
      `${fmt(rate / base, 2)}×`,
      `${fmt(((r?.serverCpu ?? Number.NaN) * 1000) / n, 2)} / ${fmt(((r?.workerCpu ?? Number.NaN) * 1000) / n, 2)} / ${fmt(((r?.targetCpu ?? Number.NaN) * 1000) / n, 2)}`,
    ];
  });
  console.log(`\n### ${title}\n`);
  console.log(
    table(
      [
        "workers",
        "each round s",
        `${unit}/s`,
        `ratio vs ${counts[0]} worker${counts[0] === 1 ? "" : "s"}`,
        "CPU ms per item: server / workers / IVR or target",
      ],
      rows,
    ),
  );
}

if (ONLY !== "http")
  report(
    "ivr",
    IVR_WORKERS,
    IVR_EXECUTIONS,
    "executions",
    `IVR: ${IVR_EXECUTIONS} executions × ${ivrSteps.length} steps, demo IVR --delay-ms ${IVR_DELAY_MS}, --concurrency 1`,
  );
if (ONLY !== "ivr")
  report(
    "http",
    HTTP_WORKERS,
    HTTP_INSTANCES,
    "instances",
    `HTTP: ${HTTP_INSTANCES} instances × 3 steps (${HTTP_ASSERTIONS} assertions), --concurrency ${HTTP_CONCURRENCY}`,
  );
console.log(
  `\n${ROUNDS} round(s), best round reported; load average (1/5/15 min) at start and after each round: ${loads.join("; ")}`,
);
