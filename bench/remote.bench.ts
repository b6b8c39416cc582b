/**
 * Remote libSQL costs: the same synthetic run imported, and the same failed-instances page queried,
 * on a local file (the baseline) and on a real sqld over Hrana-over-HTTP (plus WebSockets for
 * reference), all in this one script run. Imports alternate between targets round by round.
 *
 * Import = createRun + insertInstances/insertSteps in batches of 1000 rows inside one
 * client.transaction("write"), then commit. Query = queryInstances(status = fail), first page of 50.
 * Target: remote import rows/s >= 25% of the local file's.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import {
  type InstanceTuple,
  type StepTuple,
  type VerdictDb,
  createRun,
  insertInstances,
  insertSteps,
  openDatabase,
  queryInstances,
} from "@verdict/db";
import { REPO_ROOT, findSqldBinary, sqldVersion, startSqld, tempDir } from "@verdict/testing";
import { fmt, table, timeIt } from "./lib/measure.js";

const INSTANCES = Number(process.env.BENCH_REMOTE_INSTANCES ?? 20_000);
const STEPS_PER_INSTANCE = 5;
const BATCH = 1000;
const ROUNDS = Number(process.env.BENCH_REMOTE_ROUNDS ?? 3);
const QUERIES = Number(process.env.BENCH_REMOTE_QUERIES ?? 300);
const TARGET_RATIO = 0.25;

let sqld = findSqldBinary();
if (!sqld.available) {
  // Same pinned, checksum-verified binary the tests use.
  execFileSync("bash", [join(REPO_ROOT, "scripts", "install-sqld.sh")], { stdio: ["ignore", "ignore", "inherit"] });
  sqld = findSqldBinary();
}
if (!sqld.available) {
  console.error(`remote.bench.ts cannot run: ${sqld.reason}`);
  process.exit(1);
}

function syntheticRun(runId: string): { instances: InstanceTuple[]; steps: StepTuple[] } {
  const instances: InstanceTuple[] = [];
  const steps: StepTuple[] = [];
  const base = Date.parse("2026-11-21T10:00:00.000Z");
  for (let i = 0; i < INSTANCES; i++) {
    const id = `i${i}`;
    const failed = i % 20 === 7;
    const start = new Date(base + i * 5).toISOString();
    instances.push([
      runId,
      id,
      `scenario-${i % 8}`,
      `corr-${i}`,
      failed ? "fail" : "pass",
      start,
      new Date(base + i * 5 + 250).toISOString(),
      250,
      JSON.stringify({ tier: i % 3 }),
      failed ? "status_code expected 200 got 503" : null,
    ]);
    for (let k = 0; k < STEPS_PER_INSTANCE; k++) {
      const bad = failed && k === STEPS_PER_INSTANCE - 1;
      steps.push([
        runId,
        id,
        k,
        `action-${k}`,
        "http",
        `svc-${k % 3}`,
        start,
        bad ? 2400 : 20 + ((i + k) % 90),
        bad ? 503 : 200,
        bad ? 0 : 1,
        JSON.stringify({ ok: !bad, status_code: bad ? 503 : 200, headers: { "content-type": "application/json" } }),
      ]);
    }
  }
  return { instances, steps };
}

const ROWS = INSTANCES * (1 + STEPS_PER_INSTANCE);

/** One whole import in one write transaction; returns seconds. */
async function importRun(h: VerdictDb, runId: string): Promise<number> {
  const data = syntheticRun(runId);
  const t = performance.now();
  const tx = await h.client.transaction("write");
  try {
    await createRun(h, { id: runId, started_at: "2026-11-21T10:00:00.000Z", sut_name: "bench" }, tx);
    for (let i = 0; i < data.instances.length; i += BATCH)
      await insertInstances(tx, data.instances.slice(i, i + BATCH));
    for (let i = 0; i < data.steps.length; i += BATCH) await insertSteps(tx, data.steps.slice(i, i + BATCH));
    await tx.commit();
  } finally {
    tx.close();
  }
  return (performance.now() - t) / 1000;
}

const dir = tempDir("verdict-bench-remote-");
// One sqld per transport, so each target's database grows exactly like the local file does.
const httpServer = await startSqld();
const wsServer = await startSqld();
try {
  const targets: { name: string; h: VerdictDb }[] = [
    { name: "local file (baseline)", h: await openDatabase({ url: `file:${dir.file("local.db")}`, migrate: true }) },
    { name: "sqld over http://", h: await openDatabase({ url: httpServer.url, migrate: true }) },
    { name: "sqld over ws://", h: await openDatabase({ url: wsServer.wsUrl, migrate: true }) },
  ];
  const seconds = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order each round so slow drift on a shared machine hits every target alike.
    for (let k = 0; k < targets.length; k++) {
      const index = (round + k) % targets.length;
      const t = targets[index];
      if (!t) continue;
      const s = await importRun(t.h, `run-${round}-${index}`);
      seconds.get(t.name)?.push(s);
    }
  }
  const rowsPerSecond = (name: string) => {
    const all = [...(seconds.get(name) ?? [])].sort((a, b) => a - b);
    const median = all[Math.floor(all.length / 2)] ?? Number.NaN;
    return ROWS / median;
  };
  const localRate = rowsPerSecond("local file (baseline)");

  console.log(`\nsqld: ${sqldVersion(sqld.path)}; node ${process.version}`);
  console.log(
    `\n### Import of one run: ${INSTANCES} instances + ${INSTANCES * STEPS_PER_INSTANCE} steps = ${ROWS} rows, batches of ${BATCH}, one transaction; median of ${ROUNDS}\n`,
  );
  console.log(
    table(
      ["target", "median s", "each round s", "rows/s", "ratio vs local file", "target >= 25%"],
      targets.map((t) => {
        const rate = rowsPerSecond(t.name);
        const all = [...(seconds.get(t.name) ?? [])].sort((a, b) => a - b);
        const ratio = rate / localRate;
        return [
          t.name,
          fmt(all[Math.floor(all.length / 2)] ?? Number.NaN, 2),
          (seconds.get(t.name) ?? []).map((x) => fmt(x, 2)).join(", "),
          fmt(rate, 0),
          `${fmt(ratio * 100, 0)}%`,
          t.name.startsWith("local") ? "-" : ratio >= TARGET_RATIO ? "met" : "MISSED",
        ];
      }),
    ),
  );

  // Every target holds ROUNDS runs; query the failed instances of the last one.
  const timings = [];
  for (const t of targets) {
    const runId = `run-${ROUNDS - 1}-${targets.indexOf(t)}`;
    const page = await queryInstances(t.h, { run_id: runId, status: "fail", limit: 50 });
    if (page.items.length !== 50 || page.items.some((i) => i.status !== "fail")) {
      throw new Error(`${t.name}: the failed-instances page is wrong (${page.items.length} rows)`);
    }
    timings.push({
      name: t.name,
      timing: await timeIt(() => queryInstances(t.h, { run_id: runId, status: "fail", limit: 50 }), QUERIES),
    });
  }
  const localQuery = timings[0]?.timing.p50 ?? Number.NaN;
  console.log(`\n### queryInstances(status = fail), first page of 50, ${QUERIES} calls after warm-up\n`);
  console.log(
    table(
      ["target", "p50 ms", "p95 ms", "p99 ms", "p50 ratio vs local file"],
      timings.map(({ name, timing }) => [
        name,
        fmt(timing.p50),
        fmt(timing.p95),
        fmt(timing.p99),
        `${fmt(timing.p50 / localQuery, 1)}×`,
      ]),
    ),
  );
  for (const t of targets) t.h.close();
} finally {
  await httpServer.stop();
  await wsServer.stop();
  dir.cleanup();
}
