/**
 * Worker throughput. IVR executions of a 10-step DTMF scenario run end to end by 1, 2 and 4
 * `verdict-worker` processes (concurrency 1 each) against the demo IVR, through a `verdict serve`
 * process on a libSQL file: claim, 10 webhook turns, step reports, complete. Baseline, measured in
 * the same script on the same file: recording the same executions and steps in-process with the
 * @verdict/db helpers (startExecution + recordStepExecutions + finishExecution). Reference: the
 * same 10 IVR turns sent straight to the demo IVR, without Verdict.
 *
 * Built binaries are required (`pnpm bench` builds first). Env: BENCH_WORKER_EXECUTIONS (60),
 * BENCH_WORKER_ROUNDS (3; the best round of each configuration is reported).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import {
  type VerdictDb,
  createScenario,
  createToken,
  enqueueExecutions,
  finishExecution,
  openDatabase,
  recordStepExecutions,
  startExecution,
} from "@verdict/db";
import { type StepDefinitionInput, type StepExecutionInput, recordedStepType } from "@verdict/schema";
import { listeningUrl, tempDir } from "@verdict/testing";
import { fmt, table } from "./lib/measure.js";

const EXECUTIONS = Number(process.env.BENCH_WORKER_EXECUTIONS ?? 60);
const ROUNDS = Number(process.env.BENCH_WORKER_ROUNDS ?? 3);
const WORKER_COUNTS = [1, 2, 4];

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
const steps: StepDefinitionInput[] = [
  { type: "prompt", expected_text: "Welcome to Acme Bank" },
  ...DIGITS.map((digits): StepDefinitionInput => ({ type: "dtmf", digits })),
];
const STEPS = steps.length;

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
    err += d.toString();
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
  steps,
});
const token = (await createToken(db, "bench-workers", "write")).token;

const ivr = start([DEMO_IVR, "--port", "0", "--quiet"]);
const server = start([CLI, "--db", dbUrl, "serve", "--host", "127.0.0.1", "--port", "0"]);
const [ivrUrl, serverUrl] = await Promise.all([listening(ivr, "the demo IVR"), listening(server, "verdict serve")]);

interface Round {
  seconds: number;
  steps: number;
  /** Median ms from "claimed" to "completed" per item, and from one "completed" to the next "claimed" (workers only). */
  workMs?: number;
  claimGapMs?: number;
}

/** Seconds for `workers` worker processes to run EXECUTIONS queued executions (workers already up and polling). */
async function workerRound(workers: number): Promise<Round> {
  const procs = Array.from({ length: workers }, (_, i) =>
    start([
      WORKER,
      "--server",
      serverUrl,
      "--token",
      token,
      "--id",
      `bench-${workers}-${i}`,
      "--kinds",
      "ivr",
      "--ivr-webhook",
      ivrUrl,
      "--poll-ms",
      "20",
    ]),
  );
  await waitFor(() => procs.every((p) => /"msg":"worker started"/.test(p.err())), "the workers to start");
  await sleep(300); // let them settle into polling
  const t0 = performance.now();
  const { execution_ids: ids } = await enqueueExecutions(db, { scenario_id: scenario.scenario_id, repeat: EXECUTIONS });
  const list = JSON.stringify(ids);
  for (;;) {
    const rs = await db.client.execute({
      sql: `SELECT count(*) AS n FROM test_executions WHERE execution_id IN (SELECT value FROM json_each(?))
            AND status NOT IN ('queued', 'running')`,
      args: [list],
    });
    if (Number(rs.rows[0]?.n) === EXECUTIONS) break;
    await sleep(25); // polling costs CPU the workers need: not too often
  }
  const seconds = (performance.now() - t0) / 1000;
  const check = await db.client.execute({
    sql: `SELECT count(*) AS steps,
            (SELECT count(*) FROM test_executions WHERE execution_id IN (SELECT value FROM json_each(?1)) AND final_result = 'pass') AS passed
          FROM step_executions WHERE execution_id IN (SELECT value FROM json_each(?1))`,
    args: [list],
  });
  const recorded = Number(check.rows[0]?.steps);
  const passed = Number(check.rows[0]?.passed);
  if (recorded !== EXECUTIONS * STEPS || passed !== EXECUTIONS) {
    throw new Error(`round with ${workers} worker(s): ${passed}/${EXECUTIONS} passed, ${recorded} step rows`);
  }
  for (const p of procs) p.child.kill("SIGTERM");
  await Promise.all(
    procs.map((p) => new Promise((r) => (p.child.exitCode !== null ? r(null) : p.child.once("exit", r)))),
  );
  // Where a worker's time goes, from its own logs (ms resolution): from "claimed" to "completed"
  // (the IVR conversation, step reports and the completion call), and from "completed" to the next
  // "claimed" (the claim call).
  const work: number[] = [];
  const claimGap: number[] = [];
  for (const p of procs) {
    let last = 0;
    for (const line of p.err().split("\n")) {
      if (!line.startsWith("{")) continue;
      const entry = JSON.parse(line) as { msg?: string; time?: string };
      const t = Date.parse(entry.time ?? "");
      if (entry.msg === "claimed") {
        if (last) claimGap.push(t - last);
        last = t;
      } else if (entry.msg === "completed") {
        work.push(t - last);
        last = t;
      }
    }
  }
  return { seconds, steps: recorded, workMs: median(work), claimGapMs: median(claimGap) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[Math.floor(s.length / 2)] ?? Number.NaN);
}

/** Seconds to record the same executions and steps in-process (the server is idle meanwhile). */
async function baselineRound(): Promise<{ seconds: number; steps: number }> {
  const t0 = performance.now();
  for (let i = 0; i < EXECUTIONS; i++) {
    const exe = await startExecution(db, { scenario_id: scenario.scenario_id });
    const now = new Date().toISOString();
    const rows: StepExecutionInput[] = steps.map((s, n) => ({
      execution_id: exe.execution_id,
      step_number: n,
      step_type: recordedStepType(s.type),
      status: "pass",
      started_at: now,
      ended_at: now,
      latency_ms: 1,
      ...(s.type === "dtmf" ? { dtmf_sent: s.digits } : { transcript: "Welcome to Acme Bank." }),
    }));
    await recordStepExecutions(db, rows);
    await finishExecution(db, { execution_id: exe.execution_id, status: "completed", final_result: "pass" });
  }
  return { seconds: (performance.now() - t0) / 1000, steps: EXECUTIONS * STEPS };
}

/** Seconds for the same conversations straight against the demo IVR, one at a time, without Verdict. */
async function ivrOnlyRound(): Promise<{ seconds: number; steps: number }> {
  const post = async (call_id: string, input: Record<string, unknown>) => {
    const res = await fetch(new URL("/webhook", ivrUrl), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ call_id, input }),
    });
    if (!res.ok) throw new Error(`demo IVR answered ${res.status}`);
    await res.json();
  };
  const t0 = performance.now();
  for (let i = 0; i < EXECUTIONS; i++) {
    const call = `bench-${i}-${Date.now()}`;
    await post(call, { type: "start" });
    for (const digits of DIGITS) await post(call, { type: "dtmf", digits });
    await post(call, { type: "hangup" });
  }
  return { seconds: (performance.now() - t0) / 1000, steps: EXECUTIONS * STEPS };
}

const best = (rs: Round[]) => rs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
const results = new Map<string, Round[]>();
const add = (k: string, r: Round) => results.set(k, [...(results.get(k) ?? []), r]);

try {
  for (let round = 0; round < ROUNDS; round++) {
    add("baseline", await baselineRound());
    add("ivr", await ivrOnlyRound());
    for (const w of WORKER_COUNTS) add(`w${w}`, await workerRound(w));
    console.log(`round ${round + 1}/${ROUNDS} done`);
  }
} finally {
  killAll();
  db.close();
  dir.cleanup();
}

const base = best(results.get("baseline") ?? []);
const baseRate = EXECUTIONS / base.seconds;
const rows: (string | number)[][] = [];
const row = (label: string, key: string) => {
  const r = best(results.get(key) ?? []);
  const all = (results.get(key) ?? []).map((x) => fmt(x.seconds, 2)).join(", ");
  rows.push([
    label,
    all,
    fmt(EXECUTIONS / r.seconds, 1),
    fmt(r.steps / r.seconds, 0),
    `${fmt(EXECUTIONS / r.seconds / baseRate, 3)}×`,
    r.workMs === undefined ? "-" : `${r.workMs} / ${r.claimGapMs}`,
  ]);
};
row("in-process recording (baseline)", "baseline");
for (const w of WORKER_COUNTS) row(`${w} worker process${w > 1 ? "es" : ""}`, `w${w}`);
row("demo IVR conversations only (reference, no Verdict)", "ivr");

console.log(`\n### ${EXECUTIONS} executions × ${STEPS} steps per round, ${ROUNDS} round(s), best round reported\n`);
console.log(
  table(
    [
      "path",
      "each round s",
      "executions/s",
      "step reports/s",
      "ratio vs baseline",
      "median ms per item: claimed→completed / completed→next claimed",
    ],
    rows,
  ),
);
