/**
 * An HTTP run executed by worker processes stores its statistics when its last instance ends (in
 * the transaction that completes the run), the report's groups included, and they equal the statistics computed from its rows:
 * the built `verdict serve` on a libSQL file, a built worker over tRPC, a node:http target.
 */
import { createVerdictClient } from "@verdict/api";
import {
  type VerdictDb,
  countInstancesByStatus,
  createToken,
  errorCategories,
  getRun,
  openDatabase,
  runReport,
  runSummary,
  runTotals,
} from "@verdict/db";
import { httpScenario } from "@verdict/schema";
import { tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Proc,
  type Target,
  type VerdictServer,
  ensureBuilt,
  startTarget,
  startVerdict,
  startWorker,
  until,
} from "./helpers.js";

const dir = tempDir("verdict-worker-stats-");
const dbUrl = `file:${dir.file("verdict.db")}`;
let db: VerdictDb;
let server: VerdictServer;
let target: Target;
let token: string;
let worker: Proc | undefined;

beforeAll(async () => {
  ensureBuilt();
  db = await openDatabase({ url: dbUrl, migrate: true });
  token = (await createToken(db, "workers", "write")).token;
  [server, target] = await Promise.all([startVerdict(dbUrl), startTarget()]);
}, 180_000);

afterAll(async () => {
  worker?.kill("SIGKILL");
  await server?.stop();
  await target?.close();
  db?.close();
  dir.cleanup();
});

async function answers(runId: string) {
  return {
    linear: await runSummary(db, runId, { percentiles: "linear" }),
    nearest: await runSummary(db, runId, { percentiles: "nearest" }),
    totals: await runTotals(db, runId, "linear"),
    totalsNearest: await runTotals(db, runId, "nearest"),
    counts: await countInstancesByStatus(db, runId),
    errors: await errorCategories(db, runId),
    report: await runReport(db, runId, { percentiles: "linear" }),
    reportNearest: await runReport(db, runId, { percentiles: "nearest" }),
  };
}

describe("statistics of a run executed by workers", () => {
  it("are stored when the run completes and equal those computed from its rows", async () => {
    // Every instance fails on its last step (404): failed instances and not-ok steps.
    const scenario = httpScenario.parse({
      id: "shop-stats",
      sut: "shop",
      timeout_seconds: 60,
      vars: { base: target.url },
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
          assert: [{ status: 200 }],
        },
        {
          name: "missing",
          service: "cart",
          request: { url: "{{base}}/no-such-page" },
          assert: [{ status: 200 }],
        },
      ],
    });
    const api = createVerdictClient({ url: server.url, token });
    const started = await api.queue.startRun.mutate({ scenario, instances: 8 });
    const runId = started.run.id;
    worker = startWorker(server.url, token, "w-stats", ["--kinds", "http", "--concurrency", "2"]);
    await until(
      () => getRun(db, runId),
      (r) => r.completed_at !== null,
      "the run to complete",
      120_000,
    );
    const stored = await db.client.execute({ sql: "SELECT * FROM run_stats WHERE run_id = ?", args: [runId] });
    expect(stored.rows).toHaveLength(1);
    const fromStats = await answers(runId);
    expect(fromStats.counts.instances).toBe(8);
    expect(fromStats.linear.steps.total).toBe(24);
    expect(fromStats.counts.fail).toBe(8);
    const reportRows = await db.client.execute({
      sql: "SELECT kind, count(*) AS n FROM run_report_groups WHERE run_id = ? GROUP BY kind ORDER BY kind",
      args: [runId],
    });
    // one scenario, its three actions, two services (auth, cart)
    expect(reportRows.rows.map((r) => [r.kind, Number(r.n)])).toEqual([
      ["scenario", 1],
      ["scenario_action", 3],
      ["service", 2],
    ]);
    for (const t of ["run_stats", "run_stat_groups", "run_error_categories", "run_report_groups"])
      await db.client.execute({ sql: `DELETE FROM ${t} WHERE run_id = ?`, args: [runId] });
    expect(await answers(runId)).toEqual(fromStats);
  }, 180_000);
});
