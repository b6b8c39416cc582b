/**
 * The built CLI on runs written by turbulence itself (packages/db/test/fixtures/turbulence-analytics):
 * `verdict --json runs summary` holds every number of the run's summary.json under `totals`, and
 * `runs gate` exits as turbulence's `--fail-on` does (0 all hold, 2 a violation; a rule it cannot read
 * is a usage error, where turbulence exits 1).
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, ensureCliBuilt, runCli, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectOneLineError } from "./helpers.js";

/** The CLI's usage-error exit code on this branch (the new exit-code table makes it 64). */
const USAGE_EXIT = 64;

const FIXTURES = join(REPO_ROOT, "packages", "db", "test", "fixtures", "turbulence-analytics");
const RUNS = readdirSync(FIXTURES).sort();
const dir = tempDir("verdict-cli-turb-");
const db = `file:${dir.file("runs.db")}`;
const cli = (args: string[]) => runCli(["--db", db, ...args], { timeoutMs: 60_000 });

beforeAll(async () => {
  ensureCliBuilt();
  const r = await cli(["runs", "import", ...RUNS.map((run) => join(FIXTURES, run))]);
  expect(r.status, r.stderr).toBe(0);
}, 180_000);
afterAll(() => dir.cleanup());

describe("verdict runs summary --json on turbulence's own runs", () => {
  it.each(RUNS)("%s: totals equal summary.json", async (run) => {
    const expected = JSON.parse(readFileSync(join(FIXTURES, run, "summary.json"), "utf8")) as Record<string, unknown>;
    const r = await cli(["--json", "runs", "summary", run]);
    expect(r.status, r.stderr).toBe(0);
    const totals = JSON.parse(r.stdout).totals as Record<string, unknown>;
    const numbers = Object.entries(expected).filter(([, v]) => typeof v === "number");
    expect(numbers.length).toBeGreaterThanOrEqual(10);
    for (const [k, v] of numbers) expect([k, totals[k]]).toEqual([k, v]);
  });

  it("--percentiles nearest gives nearest-rank values; an unknown method is a usage error", async () => {
    const r = JSON.parse((await cli(["--json", "runs", "summary", "run_wt_v1", "--percentiles", "nearest"])).stdout);
    expect(r.percentiles).toBe("nearest");
    expect(r.totals.p95_latency_ms).toBe(303.81054999998014);
    const bad = await cli(["runs", "summary", "run_wt_v1", "--percentiles", "median"]);
    expect(bad.status).toBe(USAGE_EXIT);
  });
});

describe("verdict runs gate on turbulence's own runs", () => {
  it("exit 0 when every rule holds, 2 on a violation (pass_rate as a ratio, linear p95)", async () => {
    const ok = await cli([
      "runs",
      "gate",
      "run_real_001",
      "--fail-on",
      "pass_rate>=0.3",
      "--fail-on",
      "p95_latency_ms<311",
    ]);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    const bad = await cli(["--json", "runs", "gate", "run_real_001", "--fail-on", "p95_latency_ms<303.7"]);
    expect(bad.status).toBe(2);
    expect(JSON.parse(bad.stdout).violations).toEqual([
      expect.objectContaining({ metric: "p95_latency_ms", actual: 310.93572379995743 }),
    ]);
  });

  it("a rule turbulence cannot read is a one-line usage error, nothing asked", async () => {
    expect(
      expectOneLineError(await cli(["runs", "gate", "run_real_001", "--fail-on", "Pass_rate>=0.5"]), USAGE_EXIT),
    ).toContain("--fail-on: unknown metric 'Pass_rate'");
  });
});

describe("verdict runs report", () => {
  it("--json answers turbulence's report questions; text prints every section", async () => {
    const r = await cli(["--json", "runs", "report", "run_real_001", "--top", "2"]);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    // turbulence's report on this run: Timeout 13, Connection Error 13, Other Error 8, 4xx Client Error 7
    expect(j.error_categories.map((c: { category: string; count: number }) => [c.category, c.count])).toEqual([
      ["Connection Error", 13],
      ["Timeout", 13],
      ["Other Error", 8],
      ["4xx Client Error", 7],
    ]);
    expect(j.failures_by_service).toEqual([
      { service: "deadsvc", fail_count: 13 },
      { service: "slowsvc", fail_count: 13 },
      { service: "api", fail_count: 7 },
    ]);
    expect(j.slowest_instances).toHaveLength(2);
    const text = await cli(["runs", "report", "run_wt_v1"]);
    expect(text.status, text.stderr).toBe(0);
    for (const h of [
      "by scenario × action",
      "by service",
      "failures by service",
      "error categories",
      "failing assertions",
      "slowest instances",
    ])
      expect(text.stdout).toContain(h);
    expect(text.stdout).toMatch(/payment_captured\s+6/);
  });
});

describe("verdict runs instance and step filters", () => {
  it("prints one instance's steps in order; --json gives observations; unknown instance is one line", async () => {
    const j = JSON.parse((await cli(["--json", "runs", "instance", "run_real_001", "inst_1e36a1ccfddc"])).stdout);
    expect(j.steps.map((s: { action_name: string }) => s.action_name)).toEqual([
      "list_products",
      "premium_branch",
      "standard_missing",
      "skipped_when_not_premium",
      "slow_call",
      "dead_call",
    ]);
    expect(j.steps[4].observation.errors).toEqual([expect.stringContaining("timeout")]);
    const text = await cli(["runs", "instance", "run_real_001", "inst_1e36a1ccfddc"]);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/slow_call\s+http\s+slowsvc/);
    expect(expectOneLineError(await cli(["runs", "instance", "run_real_001", "inst_nope"]), 1)).toBe(
      "error: instance 'inst_nope' not found",
    );
  });

  it("runs steps filters by instance, step name and status code; runs instances --has-error", async () => {
    const s = JSON.parse(
      (
        await cli([
          "--json",
          "runs",
          "steps",
          "run_real_001",
          "--step-name",
          "standard_missing",
          "--status-code",
          "404",
        ])
      ).stdout,
    );
    expect(s.items.length).toBe(7);
    const one = JSON.parse(
      (await cli(["--json", "runs", "steps", "run_real_001", "--instance", "inst_1e36a1ccfddc"])).stdout,
    );
    expect(one.items).toHaveLength(6);
    const e = JSON.parse((await cli(["--json", "runs", "instances", "run_real_001", "--has-error"])).stdout);
    expect(e.total).toBe(8);
  });
});
