import { createHash } from "node:crypto";
import { copyFileSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import {
  type BenchmarkRunInput,
  SCALAR_METRICS,
  readGaoCsvFolder,
  readGaoJson,
  toGaoCsvFiles,
  toGaoJsonArray,
} from "@verdict/schema";
import { tempDir } from "@verdict/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConflictError,
  type VerdictDb,
  exportBenchmarkRuns,
  importBenchmarkRuns,
  listBenchmarkRuns,
  openDatabase,
  readGaoMetricsDb,
} from "@verdict/db";
import { rejection } from "./helpers.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "gao-dev");
const text = (name: string) => readFileSync(join(FIXTURES, name), "utf8");
const csvFolder = (dir: string) =>
  Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), "utf8")]));

function runsOf(result: { runs: BenchmarkRunInput[]; issues: unknown[] }): BenchmarkRunInput[] {
  expect(result.issues).toEqual([]);
  return result.runs;
}

/** Every stored column of the given tables, run by run, without Verdict's own created_at. */
async function rows(h: VerdictDb, scalarsOnly = false) {
  const out: Record<string, unknown[]> = {};
  for (const t of [
    "benchmark_runs",
    "performance_metrics",
    "autonomy_metrics",
    "quality_metrics",
    "workflow_metrics",
  ]) {
    const rs = await h.client.execute(`SELECT * FROM ${t} ORDER BY run_id`);
    out[t] = rs.rows.map((r) => {
      const o: Record<string, unknown> = { ...r };
      delete o.created_at;
      if (scalarsOnly)
        for (const k of Object.keys(o))
          if (
            !(k in SCALAR_METRICS) &&
            !["run_id", "timestamp", "project_name", "benchmark_name", "version"].includes(k)
          )
            delete o[k];
      return o;
    });
  }
  return out;
}

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** A metrics.db in gao-dev's schema (gao_dev/sandbox/metrics/database.py) holding `runs`, written as its storage writes them. */
async function makeGaoDb(file: string, runs: Record<string, unknown>[]) {
  const c = createClient({ url: `file:${file}` });
  await c.executeMultiple(`
    CREATE TABLE benchmark_runs (run_id TEXT PRIMARY KEY, timestamp TEXT NOT NULL, project_name TEXT NOT NULL,
      benchmark_name TEXT NOT NULL, version TEXT NOT NULL DEFAULT '1.0.0', metadata TEXT, created_at TEXT DEFAULT CURRENT_TIMESTAMP);
    CREATE TABLE performance_metrics (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, total_time_seconds REAL NOT NULL,
      phase_times TEXT, token_usage_total INTEGER NOT NULL, token_usage_by_agent TEXT, api_calls_count INTEGER NOT NULL,
      api_calls_cost REAL NOT NULL, FOREIGN KEY (run_id) REFERENCES benchmark_runs(run_id) ON DELETE CASCADE);
    CREATE TABLE autonomy_metrics (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, manual_interventions_count INTEGER NOT NULL,
      manual_interventions_types TEXT, prompts_needed_initial INTEGER NOT NULL, prompts_needed_followup INTEGER NOT NULL,
      one_shot_success_rate REAL NOT NULL, error_recovery_rate REAL NOT NULL, agent_handoffs_successful INTEGER NOT NULL,
      agent_handoffs_failed INTEGER NOT NULL, FOREIGN KEY (run_id) REFERENCES benchmark_runs(run_id) ON DELETE CASCADE);
    CREATE TABLE quality_metrics (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, tests_written INTEGER NOT NULL,
      tests_passing INTEGER NOT NULL, code_coverage_percentage REAL NOT NULL, linting_errors_count INTEGER NOT NULL,
      linting_errors_by_severity TEXT, type_errors_count INTEGER NOT NULL, security_vulnerabilities_count INTEGER NOT NULL,
      security_vulnerabilities_by_severity TEXT, functional_completeness_percentage REAL NOT NULL,
      FOREIGN KEY (run_id) REFERENCES benchmark_runs(run_id) ON DELETE CASCADE);
    CREATE TABLE workflow_metrics (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, stories_created INTEGER NOT NULL,
      stories_completed INTEGER NOT NULL, avg_cycle_time_seconds REAL NOT NULL, phase_distribution TEXT, rework_count INTEGER NOT NULL,
      FOREIGN KEY (run_id) REFERENCES benchmark_runs(run_id) ON DELETE CASCADE);
    CREATE INDEX idx_runs_timestamp ON benchmark_runs(timestamp);
  `);
  const j = (v: unknown) => JSON.stringify(v);
  for (const r of runs) {
    const g = r as Record<string, Record<string, unknown>> & Record<string, unknown>;
    const p = g.performance as Record<string, unknown>;
    const a = g.autonomy as Record<string, unknown>;
    const q = g.quality as Record<string, unknown>;
    const w = g.workflow as Record<string, unknown>;
    await c.batch(
      [
        {
          sql: "INSERT INTO benchmark_runs (run_id, timestamp, project_name, benchmark_name, version, metadata) VALUES (?, ?, ?, ?, ?, ?)",
          args: [g.run_id, g.timestamp, g.project_name, g.benchmark_name, g.version, j(g.metadata)] as string[],
        },
        {
          sql: "INSERT INTO performance_metrics (run_id, total_time_seconds, phase_times, token_usage_total, token_usage_by_agent, api_calls_count, api_calls_cost) VALUES (?, ?, ?, ?, ?, ?, ?)",
          args: [
            g.run_id,
            p.total_time_seconds,
            j(p.phase_times),
            p.token_usage_total,
            j(p.token_usage_by_agent),
            p.api_calls_count,
            p.api_calls_cost,
          ] as number[],
        },
        {
          sql: "INSERT INTO autonomy_metrics (run_id, manual_interventions_count, manual_interventions_types, prompts_needed_initial, prompts_needed_followup, one_shot_success_rate, error_recovery_rate, agent_handoffs_successful, agent_handoffs_failed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
          args: [
            g.run_id,
            a.manual_interventions_count,
            j(a.manual_interventions_types),
            a.prompts_needed_initial,
            a.prompts_needed_followup,
            a.one_shot_success_rate,
            a.error_recovery_rate,
            a.agent_handoffs_successful,
            a.agent_handoffs_failed,
          ] as number[],
        },
        {
          sql: "INSERT INTO quality_metrics (run_id, tests_written, tests_passing, code_coverage_percentage, linting_errors_count, linting_errors_by_severity, type_errors_count, security_vulnerabilities_count, security_vulnerabilities_by_severity, functional_completeness_percentage) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          args: [
            g.run_id,
            q.tests_written,
            q.tests_passing,
            q.code_coverage_percentage,
            q.linting_errors_count,
            j(q.linting_errors_by_severity),
            q.type_errors_count,
            q.security_vulnerabilities_count,
            j(q.security_vulnerabilities_by_severity),
            q.functional_completeness_percentage,
          ] as number[],
        },
        {
          sql: "INSERT INTO workflow_metrics (run_id, stories_created, stories_completed, avg_cycle_time_seconds, phase_distribution, rework_count) VALUES (?, ?, ?, ?, ?, ?)",
          args: [
            g.run_id,
            w.stories_created,
            w.stories_completed,
            w.avg_cycle_time_seconds,
            j(w.phase_distribution),
            w.rework_count,
          ] as number[],
        },
      ],
      "write",
    );
  }
  c.close();
}

describe("gao-dev files import", () => {
  let h: VerdictDb;
  let other: VerdictDb;
  beforeEach(async () => {
    h = await openDatabase({ url: ":memory:", migrate: true, domains: ["metrics"] });
    other = await openDatabase({ url: ":memory:", migrate: true, domains: ["metrics"] });
  });
  afterEach(() => {
    h.close();
    other.close();
  });

  it("a to_json() file, its compact twin and the export array of the same run give identical rows", async () => {
    const fromToJson = runsOf(readGaoJson(text("run1.to_json.json")));
    const fromArray = runsOf(readGaoJson(text("export_run1.json")));
    expect(readGaoJson(text("export_run1.json")).kind).toBe("json_array");
    await importBenchmarkRuns(h, { runs: fromToJson });
    await importBenchmarkRuns(other, { runs: fromArray });
    expect(await rows(h)).toEqual(await rows(other));
    const [stored] = (await listBenchmarkRuns(h)).items;
    // Every field of gao-dev's file is stored; the timestamp in Verdict's UTC form.
    const original = JSON.parse(text("run1.to_json.json"));
    expect(stored?.timestamp).toBe("2025-10-20T09:15:03.412877Z");
    expect(stored?.performance).toEqual(original.performance);
    expect(stored?.metadata).toEqual(original.metadata);
    expect(stored?.commit).toBe(original.metadata.git_sha);
    expect(runsOf(readGaoJson(text("run2.compact.json")))).toHaveLength(1);
  });

  it("the CSV folder imports to the same rows as the JSON files of the same runs (scalar columns: all the CSV holds)", async () => {
    const csv = readGaoCsvFolder(csvFolder(join(FIXTURES, "csv")));
    expect(csv.partial).toBe(true);
    const fromCsv = runsOf(csv);
    expect(fromCsv).toHaveLength(5);
    const json = ["run1.to_json.json", "run2.compact.json", "run3.to_json.json"].flatMap((f) =>
      runsOf(readGaoJson(text(f))),
    );
    await importBenchmarkRuns(h, { runs: json });
    await importBenchmarkRuns(other, {
      runs: fromCsv.filter((r) => json.some((j) => j.run_id === r.run_id)),
      partial: true,
    });
    const a = await rows(h, true);
    const b = await rows(other, true);
    expect(b.benchmark_runs).toHaveLength(3);
    expect(b).toEqual(a);
    // The same CSV over the JSON-imported runs: same content on every column the CSV has, so skipped.
    const again = await importBenchmarkRuns(h, { runs: fromCsv, partial: true });
    expect(again.skipped).toHaveLength(3);
    expect(again.inserted).toHaveLength(2);
  });

  it("export → import → export is identical in both gao-dev shapes", async () => {
    const json = ["run1.to_json.json", "run2.compact.json", "run3.to_json.json"].flatMap((f) =>
      runsOf(readGaoJson(text(f))),
    );
    await importBenchmarkRuns(h, { runs: json });
    const exported = await exportBenchmarkRuns(h);
    const arrayText = toGaoJsonArray(exported);
    // The export of run 1 has gao-dev's own shape: the same object as gao-dev's export_run1.json.
    expect(JSON.parse(arrayText)[0]).toEqual(JSON.parse(text("export_run1.json"))[0]);
    await importBenchmarkRuns(other, { runs: runsOf(readGaoJson(arrayText)) });
    expect(await rows(other)).toEqual(await rows(h));
    expect(toGaoJsonArray(await exportBenchmarkRuns(other))).toBe(arrayText);

    const csvFiles = toGaoCsvFiles(exported);
    const third = await openDatabase({ url: ":memory:", migrate: true, domains: ["metrics"] });
    try {
      await importBenchmarkRuns(third, { runs: runsOf(readGaoCsvFolder(csvFiles)), partial: true });
      expect(await rows(third, true)).toEqual(await rows(h, true));
      expect(toGaoCsvFiles(await exportBenchmarkRuns(third))).toEqual(csvFiles);
    } finally {
      third.close();
    }
    // gao-dev's own CSV of those runs has the same rows as ours (values, not float spelling: 80.0 vs 80);
    // ours adds a commit column (taken from metadata.git_sha), which gao-dev's CSV has not.
    const theirs = readGaoCsvFolder(csvFolder(join(FIXTURES, "csv")));
    const ours = readGaoCsvFolder(csvFiles).runs.map(({ commit: _c, ...r }) => r);
    expect(theirs.runs.filter((r) => ours.some((o) => o.run_id === r.run_id))).toEqual(ours);
  });

  it("the same run with the same content is skipped, with other content is a conflict unless replace", async () => {
    const [run] = runsOf(readGaoJson(text("run1.to_json.json")));
    if (!run) throw new Error("no run");
    expect((await importBenchmarkRuns(h, { runs: [run] })).inserted).toEqual([run.run_id]);
    expect((await importBenchmarkRuns(h, { runs: [run] })).skipped).toEqual([run.run_id]);
    const changed = { ...run, performance: { ...(run.performance as object), total_time_seconds: 1 } };
    const [other3] = runsOf(readGaoJson(text("run3.to_json.json")));
    const err = await rejection(importBenchmarkRuns(h, { runs: [other3 as BenchmarkRunInput, changed] }));
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toContain(String(run.run_id));
    // All or nothing: the new run of the refused file is not there either.
    expect((await listBenchmarkRuns(h)).items).toHaveLength(1);
    const replaced = await importBenchmarkRuns(h, { runs: [changed], replace: true });
    expect(replaced.replaced).toEqual([run.run_id]);
    expect((await listBenchmarkRuns(h)).items[0]?.performance.total_time_seconds).toBe(1);
  });

  it("a gao-dev metrics.db imports read-only: same rows as the JSON files, sha256 unchanged", async () => {
    const dir = tempDir("gao-db-");
    const file = dir.file("metrics.db");
    const originals = ["run1.to_json.json", "run2.compact.json", "run3.to_json.json"].map((f) => JSON.parse(text(f)));
    await makeGaoDb(file, originals);
    const before = sha256(file);
    const copy = dir.file("copy.db");
    copyFileSync(file, copy);
    const read = readGaoMetricsDb(file);
    expect(read.map((r) => r.run_id)).toEqual(originals.map((o) => o.run_id));
    const runs = read.map((r) => {
      const result = readGaoJson(JSON.stringify(r.raw));
      return runsOf(result)[0] as BenchmarkRunInput;
    });
    await importBenchmarkRuns(h, { runs });
    await importBenchmarkRuns(other, { runs: originals.flatMap((o) => runsOf(readGaoJson(JSON.stringify(o)))) });
    expect(await rows(h)).toEqual(await rows(other));
    expect(sha256(file)).toBe(before);
    expect(readdirSync(dir.path).sort()).toEqual(["copy.db", "metrics.db"]);
  });
});
