/**
 * `verdict runs import` of JUnit XML and `verdict runs export --format junit` as the built CLI:
 * real reporter files (packages/db/test/fixtures/junit), exit codes, one-line errors, no overwrite.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, ensureCliBuilt, runCli, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectOneLineError } from "./helpers.js";

const FIXTURES = join(REPO_ROOT, "packages", "db", "test", "fixtures", "junit");
const dir = tempDir("verdict-cli-junit-");
const db = `file:${dir.file("v.db")}`;
const cli = (args: string[]) => runCli(["--db", db, ...args], { timeoutMs: 60_000 });

beforeAll(() => {
  ensureCliBuilt();
}, 180_000);
afterAll(() => dir.cleanup());

describe("verdict runs import/export with JUnit XML", () => {
  it("imports a pytest file and a Surefire folder, summarises and exports them", async () => {
    const a = await cli(["--json", "runs", "import", join(FIXTURES, "pytest-xunit2.xml"), "--sut", "ivr-bank"]);
    expect(a.status, a.stderr).toBe(0);
    const imported = JSON.parse(a.stdout) as { runs: { run_id: string; instances: number; skipped: number }[] };
    expect(imported.runs[0]).toMatchObject({ run_id: "pytest-xunit2", instances: 8, skipped: 2 });

    const b = await cli(["runs", "import", join(FIXTURES, "surefire"), "--run-id", "nightly-42"]);
    expect(b.status, b.stderr).toBe(0);
    expect(b.stderr).toMatch(/imported nightly-42 from JUnit XML \(4 file\(s\)/);

    const s = await cli(["--json", "runs", "summary", "pytest-xunit2"]);
    expect(s.status, s.stderr).toBe(0);
    const summary = JSON.parse(s.stdout) as { run: { sut_name: string }; instances: { pass: number; fail: number } };
    expect(summary.run.sut_name).toBe("ivr-bank");
    expect(summary.instances).toMatchObject({ pass: 3, fail: 3 });

    const out = dir.file("pytest.xml");
    const e = await cli(["runs", "export", "pytest-xunit2", "--format", "junit", "--out", out]);
    expect(e.status, e.stderr).toBe(0);
    expect(readFileSync(out, "utf8")).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="pytest tests">/,
    );

    // Not replaced without --force; replaced with it.
    const again = await cli(["runs", "export", "pytest-xunit2", "--format", "junit", "--out", out]);
    expect(expectOneLineError(again, 1)).toMatch(/already exists/);
    const forced = await cli(["runs", "export", "pytest-xunit2", "--format", "junit", "--out", out, "--force"]);
    expect(forced.status, forced.stderr).toBe(0);
  });

  it("bad XML: one line with file and line, exit 1, no run", async () => {
    const bad = dir.file("broken.xml");
    writeFileSync(bad, '<testsuites>\n<testsuite name="x">\n<testcase name="a">\n</testsuites>\n');
    expect(expectOneLineError(await cli(["runs", "import", bad]), 1)).toMatch(/broken\.xml:\d+: xml: /);
    const list = await cli(["--json", "runs", "list"]);
    expect(list.stdout).not.toMatch(/"broken"/);
  });

  it("usage mistakes exit 64", async () => {
    const two = await cli([
      "runs",
      "import",
      join(FIXTURES, "vitest-junit.xml"),
      join(FIXTURES, "pytest-xunit1.xml"),
      "--run-id",
      "x",
    ]);
    expect(two.status).toBe(64);
    expect(two.stderr).toMatch(/^error: --run-id names one run/);
    const format = await cli(["runs", "export", "pytest-xunit2", "--format", "csv", "--out", dir.file("x")]);
    expect(format.status).toBe(64);
    expect(format.stderr).toMatch(/^error: option '--format <format>' argument 'csv' is invalid/);
  });
});
