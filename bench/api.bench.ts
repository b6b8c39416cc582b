/**
 * API transport costs. (1) The same runs.instances.query (50 rows) called in-process through the
 * router vs over loopback HTTP. (2) Step executions recorded per second by 4 concurrent HTTP clients
 * sending batches vs direct in-process inserts of the same batches.
 */
import { createLocalClient, createVerdictClient, startServer } from "@verdict/api";
import {
  type InstanceTuple,
  createRun,
  createToken,
  insertInstances,
  openDatabase,
  queryInstances,
  recordStepExecutions,
  startExecution,
} from "@verdict/db";
import type { StepExecutionInput } from "@verdict/schema";
import { tempDir } from "@verdict/testing";
import { fmt, table, timeIt } from "./lib/measure.js";

const INSTANCES = Number(process.env.BENCH_API_INSTANCES ?? 50_000);
const QUERIES = Number(process.env.BENCH_API_QUERIES ?? 1000);
const STEPS = Number(process.env.BENCH_API_STEPS ?? 40_000);
const BATCH = 200;

const dir = tempDir("verdict-bench-api-");
const db = await openDatabase({ url: `file:${dir.file("bench.db")}`, migrate: true });
await createRun(db, { id: "bench-run", started_at: "2026-01-01T00:00:00.000Z", sut_name: "bench" });
const rows: InstanceTuple[] = [];
for (let i = 0; i < INSTANCES; i++) {
  rows.push([
    "bench-run",
    `i${i}`,
    `s${i % 7}`,
    `c${i}`,
    i % 25 === 0 ? "fail" : "pass",
    null,
    null,
    100 + (i % 50),
    null,
    i % 25 === 0 ? "boom" : null,
  ]);
  if (rows.length === 5000) await insertInstances(db.client, rows.splice(0));
}
await insertInstances(db.client, rows.splice(0));
const token = (await createToken(db, "bench", "write")).token;
const server = await startServer({ db, port: 0, log: () => {} });
const local = createLocalClient(db);
const remote = createVerdictClient({ url: server.url, token });
const query = { run_id: "bench-run", status: "fail" as const, limit: 50 };

const direct = await timeIt(() => queryInstances(db, query), QUERIES);
const inProcess = await timeIt(() => local.runs.instances.query.query(query), QUERIES);
const overHttp = await timeIt(() => remote.runs.instances.query.query(query), QUERIES);

console.log(`\n### runs.instances.query, 50 failed instances of a ${INSTANCES}-instance run, ${QUERIES} calls each\n`);
console.log(
  table(
    ["path", "p50 ms", "p99 ms", "p50 ratio vs in-process router"],
    [
      ["db helper (no router)", fmt(direct.p50, 3), fmt(direct.p99, 3), fmt(direct.p50 / inProcess.p50)],
      ["router in-process (createCaller link)", fmt(inProcess.p50, 3), fmt(inProcess.p99, 3), "1.00"],
      ["router over loopback HTTP", fmt(overHttp.p50, 3), fmt(overHttp.p99, 3), fmt(overHttp.p50 / inProcess.p50)],
    ],
  ),
);

await db.client.execute({
  sql: "INSERT INTO test_scenarios (scenario_id, name, target_phone, steps) VALUES ('bench-s', 'bench', '1', '[]')",
  args: [],
});
const makeSteps = (executionId: number, count: number): StepExecutionInput[] =>
  Array.from({ length: count }, (_, i) => ({
    execution_id: executionId,
    step_number: i,
    step_type: "intent" as const,
    expected_intent: "check_balance",
    actual_intent: i % 10 ? "check_balance" : "transfer_funds",
    confidence: 0.9,
    transcript: "Your balance is 1,204 dollars.",
    status: i % 10 ? ("pass" as const) : ("fail" as const),
    latency_ms: 120 + (i % 30),
  }));

// Baseline: the same batches inserted in-process, one after another.
const exeDirect = await startExecution(db, { scenario_id: "bench-s" });
const directSteps = makeSteps(exeDirect.execution_id, STEPS);
let t = performance.now();
for (let i = 0; i < directSteps.length; i += BATCH) await recordStepExecutions(db, directSteps.slice(i, i + BATCH));
const directRate = STEPS / ((performance.now() - t) / 1000);

// 4 clients over HTTP, each with its own execution and its share of the batches.
const CLIENTS = 4;
const perClient = Math.floor(STEPS / CLIENTS);
const executions = await Promise.all(
  Array.from({ length: CLIENTS }, () => startExecution(db, { scenario_id: "bench-s" })),
);
t = performance.now();
await Promise.all(
  executions.map(async (exe) => {
    const client = createVerdictClient({ url: server.url, token });
    const steps = makeSteps(exe.execution_id, perClient);
    for (let i = 0; i < steps.length; i += BATCH)
      await client.ivr.steps.recordMany.mutate({ steps: steps.slice(i, i + BATCH) });
  }),
);
const httpRate = (perClient * CLIENTS) / ((performance.now() - t) / 1000);
const check = await db.client.execute("SELECT count(*) AS n FROM step_executions");

console.log(`\n### step executions recorded per second (batches of ${BATCH}, ${STEPS} steps)\n`);
console.log(
  table(
    ["path", "steps/s", "ratio vs direct"],
    [
      ["direct in-process inserts (baseline)", fmt(directRate, 0), "1.00"],
      [`${CLIENTS} concurrent HTTP clients, batched`, fmt(httpRate, 0), fmt(httpRate / directRate)],
    ],
  ),
);
console.log(`\n(rows stored: ${check.rows[0]?.n}; expected ${STEPS + perClient * CLIENTS})`);

await server.close();
dir.cleanup();
