/**
 * (b) Questions on a 1,000,000-instance run (RUNS_BENCH_INSTANCES), in-process on a libSQL file:
 *   - first page (50) of failed instances, p50            target <= 5 ms
 *   - instance counts by status, p50                      target <= 50 ms
 *   - run summary with percentiles (runSummary), p50     target <= 1 s
 *   - run summary from the run's stored statistics, p50   target <= 5 ms (and the same answer)
 * and the failed-instance question (how many failed, and the first page of them) answered by
 * streaming instances.jsonl in this same script (readline + JSON.parse) vs the database: speedup
 * (target >= 100x).
 *
 * The run is generated and imported once into bench/.out and reused by later runs of this script
 * (delete bench/.out to start over). RUNS_BENCH_REPS scales the repetitions (default 1).
 * RUNS_BENCH_ONE_TX=1 imports it in one transaction (`--one-transaction`: indexes rebuilt after the load).
 */
import { createReadStream, existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  type VerdictDb,
  countInstancesByStatus,
  deleteRun,
  importRunFolder,
  openDatabase,
  queryInstances,
  runSummary,
  runTotals,
  storeRunStats,
} from "@verdict/db";
import { generateRun } from "./gen-turbulence.js";

const OUT = join(fileURLToPath(new URL(".", import.meta.url)), ".out");
const INSTANCES = Number(process.env.RUNS_BENCH_INSTANCES ?? 1_000_000);
const REPS = Number(process.env.RUNS_BENCH_REPS ?? 1);
const RUN_ID = `query-${INSTANCES}-run`;
const dir = join(OUT, `query-${INSTANCES}`);
const dbPath = join(OUT, `query-${INSTANCES}.db`);
const k = (n: number) => Math.round(n).toLocaleString("en-US");

async function prepare(): Promise<VerdictDb> {
  const summaryFile = join(dir, "summary.json");
  const generated =
    existsSync(summaryFile) &&
    (JSON.parse(readFileSync(summaryFile, "utf8")) as { total_instances: number }).total_instances === INSTANCES;
  if (!generated) {
    const t = performance.now();
    const g = await generateRun({ out: dir, instances: INSTANCES, seed: 21, runId: RUN_ID });
    console.log(
      `generated ${dir}: ${k(g.instances)} instances, ${k(g.steps)} steps, ${k(g.assertions)} assertions, ${(g.bytes / 1e9).toFixed(2)} GB in ${((performance.now() - t) / 1000).toFixed(0)} s`,
    );
    for (const s of ["", "-wal", "-shm"]) rmSync(`${dbPath}${s}`, { force: true });
  }
  const h = await openDatabase({ url: `file:${dbPath}`, domains: ["runs"], migrate: true });
  const have = await h.client.execute({ sql: "SELECT 1 FROM runs WHERE id = ?", args: [RUN_ID] });
  if (have.rows.length === 0) {
    const t = performance.now();
    let last = 0;
    const r = await importRunFolder(h, dir, {
      oneTransaction: process.env.RUNS_BENCH_ONE_TX === "1",
      onProgress: (p) => {
        if (performance.now() - last > 15000) {
          last = performance.now();
          console.log(`  importing: ${k(p.rows)} rows, ${k(p.rowsPerSec)} rows/s, ETA ${Math.round(p.etaSec ?? 0)} s`);
        }
      },
    });
    console.log(
      `imported ${k(r.rows)} rows in ${((performance.now() - t) / 1000).toFixed(0)} s (${k(r.rows_per_sec)} rows/s)`,
    );
  } else console.log(`reusing ${dbPath}`);
  return h;
}

async function timeIt<T>(n: number, fn: () => Promise<T>): Promise<{ p50: number; min: number; last: T }> {
  const times: number[] = [];
  let last: T | undefined;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    last = await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor((times.length - 1) / 2)] ?? 0, min: times[0] ?? 0, last: last as T };
}

const ms = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(0));

const h = await prepare();
try {
  const stats = await countInstancesByStatus(h, RUN_ID);
  const steps = await h.client.execute({ sql: "SELECT count(*) AS n FROM steps WHERE run_id = ?", args: [RUN_ID] });
  console.log(
    `(b) run ${RUN_ID}: ${k(stats.instances)} instances (${k(stats.fail)} failed), ${k(Number(steps.rows[0]?.n))} steps`,
  );

  // warm-up: bring the indexes into the page cache once, as a long-lived server or a second CLI call would have them
  await runSummary(h, RUN_ID);

  const page = await timeIt(200 * REPS, () => queryInstances(h, { run_id: RUN_ID, status: "fail", limit: 50 }));
  console.log(
    `  first page of failed instances (50 rows): p50 ${ms(page.p50)} ms, min ${ms(page.min)} ms (target <= 5 ms)`,
  );

  // Stored statistics (computed once at import or completion; a file imported before they existed
  // gets them now): the summary, the counts and the gate's totals read a few rows.
  const STATS_TABLES = ["run_stats", "run_stat_groups", "run_error_categories"];
  const hasStats = async () =>
    (await h.client.execute({ sql: "SELECT 1 FROM run_stats WHERE run_id = ?", args: [RUN_ID] })).rows.length > 0;
  if (!(await hasStats())) await storeRunStats(h, RUN_ID);
  const storedSummary = await timeIt(200 * REPS, () => runSummary(h, RUN_ID));
  const storedCounts = await timeIt(200 * REPS, () => countInstancesByStatus(h, RUN_ID));
  const storedTotals = await timeIt(200 * REPS, () => runTotals(h, RUN_ID));
  console.log(
    `  from stored statistics: run summary p50 ${ms(storedSummary.p50)} ms (min ${ms(storedSummary.min)}; target <= 5 ms), counts by status p50 ${ms(storedCounts.p50)} ms, gate totals p50 ${ms(storedTotals.p50)} ms`,
  );

  // The same questions computed from the rows (a database without stored statistics).
  for (const t of STATS_TABLES) await h.client.execute({ sql: `DELETE FROM ${t} WHERE run_id = ?`, args: [RUN_ID] });
  const counts = await timeIt(20 * REPS, () => countInstancesByStatus(h, RUN_ID));
  console.log(
    `  counts by status (pass ${k(counts.last.pass)}, fail ${k(counts.last.fail)}, error ${k(counts.last.error)}): p50 ${ms(counts.p50)} ms (target <= 50 ms)`,
  );

  const summary = await timeIt(5 * REPS, () => runSummary(h, RUN_ID));
  const s = summary.last;
  console.log(
    `  run summary (counts; step latency p50/p95/p99 overall, per ${s.by_action.length} actions, per ${s.by_service.length} services; duration percentiles per ${s.by_scenario.length} scenarios): p50 ${ms(summary.p50)} ms (target <= 1000 ms)`,
  );
  const withScenarioSteps = await timeIt(1, () => runSummary(h, RUN_ID, { stepLatencyByScenario: true }));
  console.log(
    `  run summary + step-latency percentiles per scenario (joins all steps; opt-in --scenario-steps): ${ms(withScenarioSteps.p50)} ms`,
  );
  if (JSON.stringify(summary.last) !== JSON.stringify(storedSummary.last))
    throw new Error("the summary from stored statistics differs from the one computed from the rows");
  const store = await timeIt(1, () => storeRunStats(h, RUN_ID));
  console.log(
    `  stored summary = computed summary; computing and storing the statistics (once, at the end of an import): ${ms(store.p50)} ms; stored summary ${k(summary.p50 / storedSummary.p50)}x faster than computing it`,
  );

  // The failed-instance question: how many failed, and the first 50 of them (one call, with_total).
  const db = await timeIt(50 * REPS, async () => {
    const p = await queryInstances(h, { run_id: RUN_ID, status: "fail", limit: 50, with_total: true });
    return { failed: p.total ?? 0, first: p.items.map((i) => i.id) };
  });
  const stream = await timeIt(REPS, async () => {
    let failed = 0;
    const first: string[] = [];
    const rl = createInterface({
      input: createReadStream(join(dir, "instances.jsonl")),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    for await (const line of rl) {
      if (!line) continue;
      const o = JSON.parse(line) as { instance_id: string; passed: boolean | null };
      if (o.passed !== true) {
        failed++;
        if (first.length < 50) first.push(o.instance_id);
      }
    }
    return { failed, first };
  });
  // The same counts and summary when the database holds another run too (range counts instead of
  // whole-table counts); the extra run is removed again so the next run of this script can reuse the file.
  const tiny = join(OUT, "query-extra-run");
  if (!existsSync(join(tiny, "summary.json")))
    await generateRun({ out: tiny, instances: 200, seed: 3, runId: "query-extra-run" });
  await importRunFolder(h, tiny, { replace: true });
  try {
    const c2 = await timeIt(20 * REPS, () => countInstancesByStatus(h, RUN_ID));
    const s2 = await timeIt(5 * REPS, () => runSummary(h, RUN_ID));
    console.log(
      `  with a second run in the database: counts by status p50 ${ms(c2.p50)} ms, run summary p50 ${ms(s2.p50)} ms`,
    );
  } finally {
    await deleteRun(h, "query-extra-run");
  }

  if (stream.last.failed !== db.last.failed || stream.last.first.join() !== db.last.first.join())
    throw new Error(`answers differ: stream ${stream.last.failed} vs db ${db.last.failed}`);
  console.log(
    `  failed instances (count ${k(db.last.failed)} + first page): database p50 ${ms(db.p50)} ms vs streaming instances.jsonl ${ms(stream.p50)} ms = ${k(stream.p50 / db.p50)}x faster (target >= 100x)`,
  );
} finally {
  h.close();
}
