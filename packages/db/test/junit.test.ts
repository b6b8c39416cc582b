/**
 * JUnit XML in and out, on files written by the real tools (fixtures/junit/README.md): pytest 9
 * (xunit1 and xunit2), vitest 4 and Maven Surefire. Import → export → read again gives the same
 * report; the counts equal the totals each tool wrote into its own file; a turbulence run exports as
 * JUnit counted like `runs summary`; broken input is refused with file:line and leaves nothing.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type JunitReport,
  RunFileError,
  type VerdictDb,
  caseOutcome,
  countInstancesByStatus,
  emptyReport,
  exportJunit,
  importJunit,
  importRunFolder,
  openDatabase,
  parseJunitText,
  queryInstances,
  readJunit,
  renderJunit,
  runReport,
  runSummary,
} from "@verdict/db";
import { rejection } from "./helpers.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "junit");
const FILES = ["pytest-xunit2.xml", "pytest-xunit1.xml", "vitest-junit.xml"];
const SUREFIRE = join(FIXTURES, "surefire");

let root: string;
let h: VerdictDb;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "verdict-junit-"));
  h = await openDatabase({ url: `file:${join(root, "verdict.db")}`, domains: ["runs"], migrate: true });
});
afterAll(() => h?.close());

function readBack(path: string): JunitReport {
  return readJunit(path).report;
}

/** The report with its file names left out (an export may be written under another name). */
function content(r: JunitReport): JunitReport {
  return { ...r, files: r.files.map((f) => ({ ...f, name: "" })) };
}

/** The totals a tool wrote on its suites: tests, failures, errors, skipped (absent → 0). */
function declaredTotals(r: JunitReport) {
  const n = (v: string | undefined) => (v === undefined ? 0 : Number(v));
  const top = r.suites.filter((s) => s.parent === null);
  return {
    tests: top.reduce((a, s) => a + n(s.attrs.tests), 0),
    failures: top.reduce((a, s) => a + n(s.attrs.failures) + n(s.attrs.errors), 0),
    skipped: top.reduce((a, s) => a + n(s.attrs.skipped), 0),
  };
}

describe("JUnit XML round trip", () => {
  for (const name of FILES) {
    it(`${name}: import, export and read again gives the same report`, async () => {
      const src = join(FIXTURES, name);
      const r = await importJunit(h, src, { runId: `rt-${basename(name, ".xml")}` });
      const out = join(root, `out-${name}`);
      const e = await exportJunit(h, r.run_id, out);
      expect(e.mode).toBe("kept");
      expect(content(readBack(out))).toEqual(content(readBack(src)));
    });
  }

  it("a Surefire reports folder is one run and comes back as the same files", async () => {
    const r = await importJunit(h, SUREFIRE, { runId: "rt-surefire" });
    expect(r.files).toBe(readdirSync(SUREFIRE).filter((n) => n.endsWith(".xml")).length);
    const out = join(root, "surefire-out");
    const e = await exportJunit(h, r.run_id, out);
    expect(e.files.map((f) => basename(f)).sort()).toEqual(
      readdirSync(SUREFIRE)
        .filter((n) => n.endsWith(".xml"))
        .sort(),
    );
    for (const f of e.files) expect(readBack(f)).toEqual(readBack(join(SUREFIRE, basename(f))));
    // Surefire's reruns (flakyFailure with stackTrace and system-out) survive.
    const flaky = readBack(join(out, "TEST-org.acme.FlakyTest.xml")).cases.flatMap((c) => c.results);
    expect(flaky.filter((x) => x.kind === "flakyFailure").length).toBeGreaterThan(0);
    expect(flaky.every((x) => x.kind !== "flakyFailure" || x.children.some((c) => c.name === "stackTrace"))).toBe(true);
  });

  it("keeps texts exactly: entities, CDATA, leading and trailing whitespace", async () => {
    const src = readBack(join(FIXTURES, "vitest-junit.xml"));
    const thrown = src.cases.find((c) => c.attrs.name?.includes("<xml>"));
    expect(thrown?.results[0]?.attrs.message).toBe("IVR hung up <early> & 'quoted'");
    const out = readBack(join(root, "out-vitest-junit.xml"));
    const back = out.cases.find((c) => c.attrs.name === thrown?.attrs.name);
    expect(back?.results[0]?.text).toBe(thrown?.results[0]?.text);
    expect(back?.system_out).toEqual(thrown?.system_out);
  });
});

describe("counts as the tools wrote them", () => {
  // Not the Surefire folder: its FlakyTest file is a hand-edited test resource of Surefire's own
  // (tests="1" on a suite holding 2 testcases); the counts of those files are checked below.
  for (const name of FILES) {
    it(`${name}: pass/fail/neither equal the suites' own tests/failures+errors/skipped`, async () => {
      const path = join(FIXTURES, name);
      const { report } = readJunit(path);
      const runId = `count-${basename(name, ".xml")}`;
      const r = await importJunit(h, path, { runId });
      const c = await countInstancesByStatus(h, runId);
      const want = declaredTotals(report);
      expect(c.instances).toBe(want.tests);
      expect(c.fail).toBe(want.failures);
      expect(c.undecided).toBe(want.skipped);
      expect(c.pass).toBe(want.tests - want.failures - want.skipped);
      expect(r.passed + r.failed + r.skipped).toBe(report.cases.length);
    });
  }

  it("an instance per testcase: scenario classname::name, duration from time, properties as variations", async () => {
    const { report } = readJunit(join(FIXTURES, "pytest-xunit2.xml"));
    const page = await queryInstances(h, { run_id: "count-pytest-xunit2", limit: 100 });
    expect(page.items.length).toBe(report.cases.length);
    for (const c of report.cases) {
      const scenario = `${c.attrs.classname}::${c.attrs.name}`;
      const i = page.items.find((x) => x.scenario_id === scenario);
      expect(i, scenario).toBeDefined();
      expect(i?.duration_ms).toBeCloseTo(Number(c.attrs.time) * 1000, 9);
      const outcome = caseOutcome(c);
      expect(i?.status).toBe(outcome === "passed" ? "pass" : "fail");
      if (c.properties)
        expect(i?.variations).toEqual(Object.fromEntries(c.properties.map((p) => [p.attrs.name, p.attrs.value])));
    }
  });
});

describe("stored statistics", () => {
  it("a JUnit import stores its run's statistics, equal to those computed from the rows", async () => {
    await importJunit(h, join(FIXTURES, "pytest-xunit2.xml"), { runId: "stats-pytest" });
    const rs = await h.client.execute({
      sql: "SELECT count(*) AS n FROM run_stats WHERE run_id = ?",
      args: ["stats-pytest"],
    });
    expect(Number(rs.rows[0]?.n)).toBe(1);
    const stored = {
      summary: await runSummary(h, "stats-pytest"),
      counts: await countInstancesByStatus(h, "stats-pytest"),
      report: await runReport(h, "stats-pytest"),
    };
    for (const t of ["run_stats", "run_stat_groups", "run_error_categories", "run_report_groups"])
      await h.client.execute({ sql: `DELETE FROM ${t} WHERE run_id = ?`, args: ["stats-pytest"] });
    const computed = {
      summary: await runSummary(h, "stats-pytest"),
      counts: await countInstancesByStatus(h, "stats-pytest"),
      report: await runReport(h, "stats-pytest"),
    };
    expect(stored).toEqual(computed);
  });
});

describe("Surefire outcomes", () => {
  it("error and failure elements fail, flaky reruns of a passing test do not", async () => {
    await importJunit(h, SUREFIRE, { runId: "count-surefire" });
    const { items } = await queryInstances(h, { run_id: "count-surefire", limit: 100 });
    const flaky = items.find((i) => i.scenario_id === "org.acme.FlakyTest::testFlaky");
    expect(flaky?.status).toBe("pass");
    const { report } = readJunit(SUREFIRE);
    const failing = report.cases.filter((c) => c.results.some((r) => r.kind === "failure" || r.kind === "error"));
    const c = await countInstancesByStatus(h, "count-surefire");
    expect(c.fail).toBe(failing.length);
    expect(c.fail).toBeGreaterThan(0);
    expect(c.instances).toBe(report.cases.length);
  });
});

describe("a turbulence run as JUnit XML", () => {
  it("a testcase per instance, failures and skips counted like runs summary, readable again", async () => {
    const dir = join(root, "run_real_001");
    cpSync(join(import.meta.dirname, "fixtures", "turbulence", "run_real_001"), dir, { recursive: true });
    await importRunFolder(h, dir);
    const out = join(root, "turbulence.xml");
    const e = await exportJunit(h, "run_real_001", out);
    expect(e.mode).toBe("built");
    const back = readBack(out);
    const c = await countInstancesByStatus(h, "run_real_001");
    expect(back.cases.length).toBe(c.instances);
    expect(back.cases.filter((x) => caseOutcome(x) === "failed").length).toBe(c.fail);
    expect(back.cases.filter((x) => caseOutcome(x) === "skipped").length).toBe(c.undecided);
    expect(declaredTotals(back)).toEqual({ tests: c.instances, failures: c.fail, skipped: c.undecided });
    // …and imports as a JUnit run with the same counts.
    await importJunit(h, out, { runId: "run_real_001-junit" });
    const again = await countInstancesByStatus(h, "run_real_001-junit");
    expect({ i: again.instances, p: again.pass, f: again.fail }).toEqual({ i: c.instances, p: c.pass, f: c.fail });
  });
});

describe("bad input", () => {
  async function runCount(): Promise<number> {
    const rs = await h.client.execute("SELECT count(*) AS n FROM runs");
    return Number(rs.rows[0]?.n);
  }

  it("malformed XML: file:line, nothing written", async () => {
    const f = join(root, "broken.xml");
    writeFileSync(f, '<?xml version="1.0"?>\n<testsuite name="s">\n  <testcase name="a">\n</testsuite>\n');
    const before = await runCount();
    const e = await rejection(importJunit(h, f));
    expect(e).toBeInstanceOf(RunFileError);
    expect((e as RunFileError).message).toMatch(/^.*broken\.xml:4: xml: /);
    expect(await runCount()).toBe(before);
  });

  it("a DOCTYPE is refused (no entity expansion)", async () => {
    const f = join(root, "doctype.xml");
    writeFileSync(f, '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">]>\n<testsuite name="s"/>\n');
    const e = await rejection(importJunit(h, f));
    expect((e as RunFileError).message).toMatch(/doctype\.xml:2: DOCTYPE: /);
  });

  it("another root, a testcase without a name, an existing run", async () => {
    const other = join(root, "pom.xml");
    writeFileSync(other, "<project>\n</project>\n");
    expect(((await rejection(importJunit(h, other))) as Error).message).toMatch(
      /pom\.xml:1: root: expected <testsuites> or <testsuite>, found <project>/,
    );
    const noName = join(root, "noname.xml");
    writeFileSync(noName, '<testsuite name="s">\n<testcase classname="c"/>\n</testsuite>\n');
    expect(((await rejection(importJunit(h, noName))) as Error).message).toMatch(
      /noname\.xml:2: testcase\.name: missing/,
    );
    const again = await rejection(importJunit(h, join(FIXTURES, "vitest-junit.xml"), { runId: "count-vitest-junit" }));
    expect((again as Error).message).toMatch(/already exists/);
    const replaced = await importJunit(h, join(FIXTURES, "vitest-junit.xml"), {
      runId: "count-vitest-junit",
      replace: true,
    });
    expect(replaced.replaced).toBe(true);
  });

  it("export never replaces a file it did not write", async () => {
    const target = join(root, "exists.xml");
    writeFileSync(target, "mine");
    await rejection(exportJunit(h, "count-vitest-junit", target));
    expect(readFileSync(target, "utf8")).toBe("mine");
    await exportJunit(h, "count-vitest-junit", target, { force: true });
    expect(readBack(target).cases.length).toBeGreaterThan(0);
  });
});

describe("parser and writer alone", () => {
  it("render → parse is the identity on every fixture", () => {
    for (const name of FILES) {
      const r = emptyReport();
      parseJunitText(readFileSync(join(FIXTURES, name), "utf8"), name, name, r);
      const [[, xml]] = renderJunit(r) as [[string, string]];
      const back = emptyReport();
      parseJunitText(xml, "out", name, back);
      expect(back).toEqual(r);
    }
  });
});
