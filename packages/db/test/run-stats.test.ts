/**
 * Stored run statistics (migration runs/0004, queries/run-analytics/store.ts): every answer read
 * from them equals the answer computed from the run's rows, to the last bit, on turbulence's own
 * runs (JSONL folders and turbulence.db) and on generated runs with failures, errors, `passed: null`
 * instances and orphan steps; after import, after `--replace`, and after a delete (they go with the run).
 * The computed answers are taken by removing the run's statistics rows, so they come from the
 * fallback path every old database takes.
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type PercentileMethod,
  type VerdictDb,
  countInstancesByStatus,
  countsByScenario,
  deleteRun,
  errorCategories,
  flakyScenarios,
  gateMetrics,
  importRunFolder,
  openDatabase,
  runReport,
  runSummary,
  runTotals,
  scenarioActions,
  serviceStats,
  storeRunStats,
} from "@verdict/db";
import { tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { currentRun, writeRunFolder } from "./turbulence-fixtures.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "turbulence");
const REAL = ["run_real_001", "run_real_bigint", "run_wt_v1", "run_real_sqlite"];
const METHODS: PercentileMethod[] = ["linear", "nearest"];
const STAT_TABLES = ["run_stats", "run_stat_groups", "run_error_categories", "run_report_groups"];

const dir = tempDir("verdict-run-stats-");
let h: VerdictDb;

/** A run with passes, failures (some with errors), `passed: null` instances and missing latencies. */
function mixedRun(runId: string, sut: string, seed: number, n = 60) {
  const plans = Array.from({ length: n }, (_, i) => {
    const k = (i * 7 + seed) % 10;
    return {
      scenario: ["checkout", "browse", "search"][i % 3] as string,
      passed: k < 6 ? true : k < 9 ? false : null,
      error: k === 7 ? "HTTP 503: service unavailable" : k === 8 ? "timeout after 3000ms" : null,
      latencies: [(i * 37) % 101, ((i * 13) % 7) + 0.25, 250 - i],
      durationMs: 100 + ((i * 31) % 53) + 0.5,
    };
  });
  return currentRun(runId, plans, { sut, startSec: seed * 1000 });
}

/** An interrupted run: no summary.json and the last instance lines never written (orphan steps). */
function interruptedRun(runId: string): string {
  const d = writeRunFolder(dir.file(runId), { ...mixedRun(runId, "shop", 3), summary: undefined });
  const file = join(d, "instances.jsonl");
  const lines = readFileSync(file, "utf8").trimEnd().split("\n");
  writeFileSync(file, `${lines.slice(0, -4).join("\n")}\n`);
  return d;
}

/** Every answer stored statistics give: summary (both methods, with and without per-scenario step latency), totals, gate, the report (per scenario × action, per service), counts, error categories. */
async function answers(runId: string) {
  const out: Record<string, unknown> = {};
  for (const m of METHODS) {
    out[`summary.${m}`] = await runSummary(h, runId, { percentiles: m });
    out[`summary.steps.${m}`] = await runSummary(h, runId, { percentiles: m, stepLatencyByScenario: true });
    out[`totals.${m}`] = await runTotals(h, runId, m);
    out[`gate.${m}`] = await gateMetrics(h, runId, m);
    out[`report.${m}`] = await runReport(h, runId, { percentiles: m });
    out[`actions.${m}`] = await scenarioActions(h, runId, { percentiles: m });
    out[`services.${m}`] = await serviceStats(h, runId, { percentiles: m });
  }
  out.counts = await countInstancesByStatus(h, runId);
  out.byScenario = await countsByScenario(h.client, runId);
  for (const examples of [0, 1, 3, 5, 8]) out[`errors.${examples}`] = await errorCategories(h, runId, { examples });
  return out;
}

async function statRows(runId: string): Promise<number> {
  let n = 0;
  for (const t of STAT_TABLES) {
    const rs = await h.client.execute({ sql: `SELECT count(*) AS n FROM ${t} WHERE run_id = ?`, args: [runId] });
    n += Number(rs.rows[0]?.n);
  }
  return n;
}

async function dropStats(runId: string): Promise<void> {
  for (const t of STAT_TABLES) await h.client.execute({ sql: `DELETE FROM ${t} WHERE run_id = ?`, args: [runId] });
}

/** Stored answers, then the same answers computed from the rows; the statistics are put back after. */
async function storedAndComputed(runId: string) {
  const rs = await h.client.execute({ sql: "SELECT version FROM run_stats WHERE run_id = ?", args: [runId] });
  expect(rs.rows, `${runId} has stored statistics`).toHaveLength(1);
  const stored = await answers(runId);
  await dropStats(runId);
  const computed = await answers(runId);
  await storeRunStats(h, runId);
  return { stored, computed };
}

beforeAll(async () => {
  h = await openDatabase({ url: `file:${dir.file("verdict.db")}`, domains: ["runs"], migrate: true });
  for (const name of REAL) await importRunFolder(h, join(FIXTURES, name));
  await importRunFolder(h, writeRunFolder(dir.file("mixed-a"), mixedRun("mixed-a", "shop", 1)));
  await importRunFolder(h, writeRunFolder(dir.file("mixed-b"), mixedRun("mixed-b", "shop", 2)));
  // A later run of the same SUT where "browse" has only passes and `passed: null` (neither): it passed
  // there, so "browse" flips (counting null as a failure, as show and flaky did, it would not).
  const flaky = currentRun(
    "flaky-c",
    [
      { scenario: "checkout", passed: true },
      { scenario: "browse", passed: true },
      { scenario: "browse", passed: null },
      { scenario: "search", passed: null },
    ],
    { sut: "shop", startSec: 9000 },
  );
  await importRunFolder(h, writeRunFolder(dir.file("flaky-c"), flaky));
  const r = await importRunFolder(h, interruptedRun("interrupted"));
  expect(r.placeholders).toBeGreaterThan(0);
}, 60_000);

afterAll(() => {
  h?.close();
  dir.cleanup();
});

describe("stored run statistics equal the statistics computed from the rows", () => {
  const runIds = async () => (await h.client.execute("SELECT id FROM runs ORDER BY id")).rows.map((r) => String(r.id));

  it("after import: turbulence's own runs, generated runs with failures, errors and nulls, an interrupted run", async () => {
    const ids = await runIds();
    expect(ids).toHaveLength(REAL.length + 4);
    for (const id of ids) {
      const { stored, computed } = await storedAndComputed(id);
      expect(stored, id).toEqual(computed);
    }
    // the summary is read from the stored rows when they are there
    await h.client.execute(
      "UPDATE run_stat_groups SET p95 = -1 WHERE run_id = 'mixed-b' AND dimension = 'run' AND measure = 'latency_ms'",
    );
    expect((await runSummary(h, "mixed-b")).steps.latency_ms.p95).toBe(-1);
    await storeRunStats(h, "mixed-b");
    expect((await runSummary(h, "mixed-b")).steps.latency_ms.p95).not.toBe(-1);
    // and so is the report (per scenario × action, per service)
    await h.client.execute(
      "UPDATE run_report_groups SET p95 = -1 WHERE run_id = 'mixed-b' AND kind IN ('scenario_action', 'service')",
    );
    const tampered = await runReport(h, "mixed-b");
    expect(tampered.scenarios.flatMap((x) => x.actions.map((a) => a.p95_latency_ms))).toContain(-1);
    expect(tampered.services.map((v) => v.p95_latency_ms)).toContain(-1);
    await storeRunStats(h, "mixed-b");
    expect(
      (await runReport(h, "mixed-b")).scenarios.flatMap((x) => x.actions.map((a) => a.p95_latency_ms)),
    ).not.toContain(-1);
    // the generated runs hold what this test is about
    const s = await runSummary(h, "mixed-a");
    expect(s.instances.fail).toBeGreaterThan(0);
    expect(s.instances.undecided).toBeGreaterThan(0);
    expect(s.instances.error).toBeGreaterThan(0);
    expect((await errorCategories(h, "mixed-a")).length).toBeGreaterThan(1);
    expect((await runSummary(h, "interrupted")).instances.instances).toBe(56);
  });

  it("after --replace with different rows: the statistics are the new run's", async () => {
    const before = await runSummary(h, "mixed-a");
    const d = writeRunFolder(dir.file("mixed-a-v2"), mixedRun("mixed-a", "shop", 5, 47));
    const r = await importRunFolder(h, d, { replace: true });
    expect(r.replaced).toBe(true);
    const { stored, computed } = await storedAndComputed("mixed-a");
    expect(stored).toEqual(computed);
    expect((stored["summary.linear"] as typeof before).instances).not.toEqual(before.instances);
  });

  it("after a failed --replace nothing changes, and the statistics still match", async () => {
    const d = dir.file("mixed-b-broken");
    cpSync(dir.file("mixed-b"), d, { recursive: true });
    writeFileSync(join(d, "steps.jsonl"), "{not json\n");
    await expect(importRunFolder(h, d, { replace: true })).rejects.toThrow();
    const { stored, computed } = await storedAndComputed("mixed-b");
    expect(stored).toEqual(computed);
  });

  it("after delete: the run's statistics go with it, the others stay", async () => {
    const others = await statRows("mixed-b");
    expect(await statRows("interrupted")).toBeGreaterThan(0);
    await deleteRun(h, "interrupted");
    expect(await statRows("interrupted")).toBe(0);
    expect(await statRows("mixed-b")).toBe(others);
  });

  it("a database without the statistics tables (before runs/0004) answers from the rows", async () => {
    const url = `file:${dir.file("old.db")}`;
    let o = await openDatabase({ url, domains: ["runs"], migrate: true });
    let withStats: Awaited<ReturnType<typeof runSummary>>;
    try {
      await importRunFolder(o, join(FIXTURES, "run_real_001"));
      withStats = await runSummary(o, "run_real_001");
      for (const t of STAT_TABLES) await o.client.execute(`DROP TABLE ${t}`);
    } finally {
      o.close();
    }
    // reopened, as a handle is after a migration
    o = await openDatabase({ url, domains: ["runs"], skipSchemaCheck: true });
    try {
      expect(await runSummary(o, "run_real_001")).toEqual(withStats);
      await storeRunStats(o, "run_real_001"); // leaves a database without the tables alone
      expect(await runSummary(o, "run_real_001")).toEqual(withStats);
    } finally {
      o.close();
    }
  });
});

describe("runs show and runs flaky count as runs summary counts", () => {
  it("show's counts (runs.counts) are the summary's instance counts on every run", async () => {
    for (const id of (await h.client.execute("SELECT id FROM runs")).rows.map((r) => String(r.id))) {
      const s = await runSummary(h, id);
      const { duration_ms: _d, ...counts } = s.instances;
      expect(await countInstancesByStatus(h, id), id).toEqual(counts);
    }
  });

  it("flaky's per-run outcome and failure rate come from the summary's per-scenario counts", async () => {
    const r = await flakyScenarios(h, "shop", { last: 10 });
    const runs = r.runs.map((x) => x.id);
    expect([...runs].sort()).toEqual(["flaky-c", "mixed-a", "mixed-b"]);
    expect(r.scenarios.find((s) => s.scenario_id === "browse")?.history).toMatch(/^F+P$/);
    const per = await Promise.all(runs.map(async (id) => (await runSummary(h, id)).by_scenario));
    const scenarios = [...new Set(per.flat().map((s) => s.scenario_id))];
    for (const id of scenarios) {
      const rows = per.map((p) => p.find((s) => s.scenario_id === id)).filter((s) => s !== undefined);
      const history = rows.filter((s) => s.pass + s.fail > 0).map((s) => (s.fail > 0 ? "F" : "P"));
      const inst = rows.reduce((a, s) => a + s.instances, 0);
      const failed = rows.reduce((a, s) => a + s.fail, 0);
      const got = r.scenarios.find((s) => s.scenario_id === id);
      if (history.includes("P") && history.includes("F")) {
        expect(got, id).toMatchObject({ history: history.join(""), instance_fail_rate: (100 * failed) / inst });
      } else expect(got, id).toBeUndefined();
    }
  });
});
