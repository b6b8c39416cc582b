/**
 * `verdict runs export --format junit`: a stored run as JUnit XML.
 * - A run imported from JUnit XML comes back as it was read: its files, suites (attributes,
 *   properties, output) and testcases (attributes, results, output), so reading the output gives the
 *   same report as reading the source (render.ts). A run from several files (a Surefire reports
 *   folder) is written as a folder of the same files.
 * - Any other run (turbulence, worker runs) becomes one `testsuites` document: a testsuite per
 *   scenario, a testcase per instance (classname = scenario, name = instance id, time in seconds),
 *   a `failure` for a failed instance (its error as message; its failed assertions in the text), a
 *   `skipped` for an instance that neither passed nor failed (passed null), its variations as
 *   properties; the counts are counted as every other summary of Verdict counts them.
 * Output goes through the safe output: nothing existing is replaced without `force`, the database
 * never, and several files land together or not at all.
 */
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Row } from "@libsql/client";
import type { VerdictDb } from "../open.js";
import { getRun } from "../queries/runs.js";
import { PendingOutput, commitOutputs, databaseFiles } from "../safe-output.js";
import { JUNIT_CONFIG_KEY, JUNIT_SOURCE_FORMAT } from "./import.js";
import type { Attrs, JunitCase, JunitFile, JunitProperty, JunitReport, JunitSuite } from "./model.js";
import { renderJunit } from "./render.js";

export interface JunitExportResult {
  run_id: string;
  /** 'kept': the imported JUnit files; 'built': made from the run's rows. */
  mode: "kept" | "built";
  files: string[];
  testcases: number;
}

const PAGE = 5000;

async function* instanceRows(h: VerdictDb, runId: string): AsyncGenerator<Row> {
  let after = -1;
  for (;;) {
    const rs = await h.client.execute({
      sql: `SELECT rowid AS rid, id, scenario_id, status, passed, duration_ms, variations, error, entry_data, source
            FROM instances WHERE run_id = ? AND rowid > ? ORDER BY rowid LIMIT ?`,
      args: [runId, after, PAGE],
    });
    for (const r of rs.rows) yield r;
    if (rs.rows.length < PAGE) return;
    after = Number(rs.rows[rs.rows.length - 1]?.rid);
  }
}

async function keptReport(
  h: VerdictDb,
  runId: string,
  kept: { files: JunitFile[]; suites: JunitSuite[] },
): Promise<JunitReport> {
  const cases: JunitCase[] = [];
  for await (const r of instanceRows(h, runId)) {
    const data = JSON.parse(String(r.entry_data ?? "{}")) as { junit?: JunitCase };
    if (data.junit) cases.push(data.junit);
  }
  return { files: kept.files, suites: kept.suites, cases };
}

const seconds = (ms: number | null): string | undefined => (ms === null ? undefined : String(ms / 1000));

async function failedAssertions(h: VerdictDb, runId: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const rs = await h.client.execute({
    sql: "SELECT instance_id, assertion_name, error FROM assertions WHERE run_id = ? AND passed = 0 ORDER BY id",
    args: [runId],
  });
  for (const r of rs.rows) {
    const id = String(r.instance_id);
    const line = `${String(r.assertion_name)}${r.error === null ? "" : `: ${String(r.error)}`}`;
    out.set(id, [...(out.get(id) ?? []), line]);
  }
  return out;
}

function propertiesOf(variations: unknown): JunitProperty[] | null {
  if (variations === null || variations === undefined) return null;
  const v = JSON.parse(String(variations)) as unknown;
  if (typeof v !== "object" || v === null || Array.isArray(v))
    return [{ attrs: { name: "variations", value: JSON.stringify(v) }, text: null }];
  return Object.entries(v).map(([name, value]) => ({
    attrs: { name, value: typeof value === "string" ? value : JSON.stringify(value) },
    text: null,
  }));
}

async function builtReport(
  h: VerdictDb,
  runId: string,
  sut: string,
  startedAt: string,
  fileName: string,
  imported: boolean,
): Promise<JunitReport> {
  const failures = await failedAssertions(h, runId);
  const suites: JunitSuite[] = [];
  const suiteOf = new Map<string, number>();
  const cases: JunitCase[] = [];
  const tally: { tests: number; failures: number; skipped: number; ms: number }[] = [];
  for await (const r of instanceRows(h, runId)) {
    // Placeholders (orphan steps of an interrupted run) are no instances, as in every count.
    if (r.source === "") continue;
    const scenario = String(r.scenario_id);
    let s = suiteOf.get(scenario);
    if (s === undefined) {
      s = suites.length;
      suiteOf.set(scenario, s);
      suites.push({ parent: null, file: 0, attrs: {}, properties: null, system_out: [], system_err: [], other: {} });
      tally.push({ tests: 0, failures: 0, skipped: 0, ms: 0 });
    }
    const t = tally[s] as (typeof tally)[number];
    const ms = r.duration_ms === null ? null : Number(r.duration_ms);
    // Counted as `runs summary` counts: an imported run by `passed` (null: neither), others by status.
    const neither = imported && r.status === "fail" && r.passed === null;
    const failed = r.status === "fail" && !neither;
    const attrs: Attrs = { name: String(r.id), classname: scenario };
    const time = seconds(ms);
    if (time !== undefined) attrs.time = time;
    const c: JunitCase = {
      suite: s,
      attrs,
      properties: propertiesOf(r.variations),
      results: [],
      system_out: [],
      system_err: [],
      other: {},
    };
    if (failed) {
      const lines = failures.get(String(r.id)) ?? [];
      c.results.push({
        kind: "failure",
        attrs: { message: r.error === null ? (lines[0] ?? "failed") : String(r.error), type: "failure" },
        text: lines.length > 0 ? lines.join("\n") : null,
        children: [],
      });
      t.failures++;
    } else if (neither) {
      c.results.push({
        kind: "skipped",
        attrs: { message: "passed: null (neither passed nor failed)" },
        text: null,
        children: [],
      });
      t.skipped++;
    }
    t.tests++;
    t.ms += ms ?? 0;
    cases.push(c);
  }
  let total = { tests: 0, failures: 0, skipped: 0, ms: 0 };
  for (const [scenario, i] of suiteOf) {
    const t = tally[i] as (typeof tally)[number];
    (suites[i] as JunitSuite).attrs = {
      name: scenario,
      timestamp: startedAt,
      tests: String(t.tests),
      failures: String(t.failures),
      errors: "0",
      skipped: String(t.skipped),
      time: String(t.ms / 1000),
    };
    total = {
      tests: total.tests + t.tests,
      failures: total.failures + t.failures,
      skipped: total.skipped + t.skipped,
      ms: total.ms + t.ms,
    };
  }
  const root: JunitFile = {
    name: fileName,
    root: "testsuites",
    attrs: {
      name: `${sut} ${runId}`,
      tests: String(total.tests),
      failures: String(total.failures),
      errors: "0",
      skipped: String(total.skipped),
      time: String(total.ms / 1000),
    },
  };
  return { files: [root], suites, cases };
}

/** The run as a JunitReport (see the file comment for the two cases). */
export async function junitReportOf(
  h: VerdictDb,
  runId: string,
): Promise<{ report: JunitReport; mode: "kept" | "built" }> {
  const run = await getRun(h, runId);
  const src = await h.client.execute({ sql: "SELECT source_format FROM runs WHERE id = ?", args: [runId] });
  const kept = run.config[JUNIT_CONFIG_KEY] as { files?: JunitFile[]; suites?: JunitSuite[] } | undefined;
  if (src.rows[0]?.source_format === JUNIT_SOURCE_FORMAT && kept?.files && kept.suites)
    return { report: await keptReport(h, runId, { files: kept.files, suites: kept.suites }), mode: "kept" };
  const imported = src.rows[0]?.source_format !== null && src.rows[0]?.source_format !== undefined;
  return { report: await builtReport(h, runId, run.sut_name, run.started_at, `${runId}.xml`, imported), mode: "built" };
}

/**
 * Writes the run to `out`: the file itself when the run is one file; a folder holding the files
 * (by their original names) when it came from several.
 */
export async function exportJunit(
  h: VerdictDb,
  runId: string,
  out: string,
  opts: { force?: boolean } = {},
): Promise<JunitExportResult> {
  const { report, mode } = await junitReportOf(h, runId);
  const docs = renderJunit(report);
  const protect = databaseFiles(h.url);
  const intoFolder = docs.length > 1 || (existsSync(out) && statSync(out).isDirectory());
  const pending = docs.map(([name, text]) => {
    const p = PendingOutput.create(intoFolder ? join(out, name) : out, { force: Boolean(opts.force), protect });
    return { p, text };
  });
  try {
    for (const { p, text } of pending) writeFileSync(p.tmp, text);
    commitOutputs(pending.map((x) => x.p));
  } catch (e) {
    for (const { p } of pending) p.discard();
    throw e;
  }
  return { run_id: runId, mode, files: pending.map((x) => x.p.target), testcases: report.cases.length };
}
