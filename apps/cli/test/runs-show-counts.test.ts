/**
 * `verdict runs show` and `verdict runs flaky` count instances as `verdict runs summary` does (the
 * built CLI on a real libSQL file): `passed: null` is neither a pass nor a failure, placeholders of
 * an interrupted run's orphan steps are no instances. On turbulence's own runs and on generated runs
 * holding nulls and failures, with and without the run's stored statistics.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, ensureCliBuilt, runCli, tempDir } from "@verdict/testing";
import { openDatabase } from "@verdict/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { currentRun, writeRunFolder } from "../../../packages/db/test/turbulence-fixtures.js";

const FIXTURES = join(REPO_ROOT, "packages/db/test/fixtures/turbulence");
const dir = tempDir("verdict-cli-show-counts-");
const db = `file:${dir.file("runs.db")}`;
const cli = (args: string[]) => runCli(["--db", db, ...args], { timeoutMs: 60_000 });
const json = async (args: string[]) => {
  const r = await cli(["--json", ...args]);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

beforeAll(async () => {
  ensureCliBuilt();
  const runs = join(dir.path, "runs");
  writeRunFolder(
    join(runs, "gen-1"),
    currentRun(
      "gen-1",
      [
        { scenario: "checkout", passed: true },
        { scenario: "checkout", passed: false },
        { scenario: "browse", passed: null, error: "timeout after 120ms" },
        { scenario: "browse", passed: false },
      ],
      { sut: "bank", startSec: 0 },
    ),
  );
  writeRunFolder(
    join(runs, "gen-2"),
    currentRun(
      "gen-2",
      [
        { scenario: "checkout", passed: true },
        { scenario: "browse", passed: true },
        { scenario: "browse", passed: null },
      ],
      { sut: "bank", startSec: 3600 },
    ),
  );
  // interrupted: no summary.json, the last instance line not written yet (its steps are orphans)
  const cut = writeRunFolder(
    join(runs, "gen-cut"),
    currentRun(
      "gen-cut",
      [
        { scenario: "checkout", passed: true },
        { scenario: "browse", passed: null },
        { scenario: "browse", passed: true },
      ],
      { sut: "other", startSec: 7200, summary: false },
    ),
  );
  const file = join(cut, "instances.jsonl");
  writeFileSync(file, `${readFileSync(file, "utf8").trimEnd().split("\n").slice(0, -1).join("\n")}\n`);
  for (const path of [
    runs,
    ...["run_real_001", "run_real_bigint", "run_wt_v1", "run_real_sqlite"].map((r) => join(FIXTURES, r)),
  ]) {
    const r = await cli(["runs", "import", path]);
    expect(r.status, r.stderr).toBe(0);
  }
}, 180_000);
afterAll(() => dir.cleanup());

async function showEqualsSummary(only?: (id: string) => boolean): Promise<string[]> {
  const all = (await json(["runs", "list", "--limit", "100"])).items.map((r: { id: string }) => r.id) as string[];
  const ids = only ? all.filter(only) : all;
  for (const id of ids) {
    const show = await json(["runs", "show", id]);
    const { instances } = await json(["runs", "summary", id]);
    expect(
      {
        instances: show.instances,
        pass: show.passed,
        fail: show.failed,
        undecided: show.undecided,
        error: show.errors,
        pass_rate: show.pass_rate,
      },
      id,
    ).toEqual({
      instances: instances.instances,
      pass: instances.pass,
      fail: instances.fail,
      undecided: instances.undecided,
      error: instances.error,
      pass_rate: instances.pass_rate,
    });
  }
  return ids;
}

describe("runs show and runs flaky count as runs summary", () => {
  it("show's counts are the summary's on every run, from stored statistics and from the rows", async () => {
    const ids = await showEqualsSummary();
    expect(ids).toHaveLength(7);
    // the generated runs hold what this is about
    expect(await json(["runs", "show", "gen-1"])).toMatchObject({ instances: 4, passed: 1, failed: 2, undecided: 1 });
    expect(await json(["runs", "show", "gen-cut"])).toMatchObject({ instances: 2, passed: 1, failed: 0, undecided: 1 });
    // an older database: no stored statistics, the same answers
    const h = await openDatabase({ url: db, domains: ["runs"] });
    try {
      await h.client.execute("DELETE FROM run_stats");
    } finally {
      h.close();
    }
    await showEqualsSummary((id) => id.startsWith("gen-"));
  }, 300_000);

  it("flaky: a scenario fails in a run when an instance failed, passes when none failed and one passed", async () => {
    const fl = await json(["runs", "flaky", "--sut", "bank"]);
    const per = await Promise.all(
      fl.runs.map(async (r: { id: string }) => (await json(["runs", "summary", r.id])).by_scenario),
    );
    type Counts = { scenario_id: string; instances: number; pass: number; fail: number };
    const expected = (id: string) => {
      const rows = per.map((p: Counts[]) => p.find((x) => x.scenario_id === id)).filter((x): x is Counts => !!x);
      const ran = rows.filter((x) => x.pass + x.fail > 0);
      const fail = rows.reduce((a, x) => a + x.fail, 0);
      const inst = rows.reduce((a, x) => a + x.instances, 0);
      return {
        scenario_id: id,
        history: ran.map((x) => (x.fail > 0 ? "F" : "P")).join(""),
        instance_fail_rate: (100 * fail) / inst,
      };
    };
    // browse: gen-1 has a failure (F); gen-2 a pass and a `passed: null` (P: null is no failure)
    expect(fl.scenarios.map((x: { scenario_id: string }) => x.scenario_id)).toEqual(["browse", "checkout"]);
    for (const x of fl.scenarios) expect(x).toMatchObject(expected(x.scenario_id));
    expect(fl.scenarios[0]).toMatchObject({ history: "FP", runs: 2, passed_runs: 1, failed_runs: 1, flips: 1 });
  }, 120_000);
});
