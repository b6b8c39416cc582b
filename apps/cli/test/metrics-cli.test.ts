import { createHash } from "node:crypto";
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { REPO_ROOT, ensureCliBuilt, runCli, spawnListening, tempDir } from "@verdict/testing";
import { beforeAll, describe, expect, it, vi } from "vitest";

// Each test runs the built CLI a dozen times; on a shared 2-core machine that takes more than the default 30 s.
vi.setConfig({ testTimeout: 180_000 });

const FIXTURES = join(import.meta.dirname, "fixtures", "gao-dev");
const fx = (name: string) => join(FIXTURES, name);

/** A usage error: 2 today, 64 once the exit-code switch lands (helper "safety-integrity"). */
const USAGE = [2, 64];

function database() {
  const dir = tempDir("verdict-metrics-cli-");
  const url = `file:${dir.file("v.db")}`;
  const cli = (args: string[]) => runCli(["--db", url, ...args]);
  return { dir, cli };
}

interface ListedRun {
  run_id: string;
  timestamp: string;
  branch: string | null;
  commit: string | null;
  metadata: Record<string, unknown>;
}

async function listed(cli: ReturnType<typeof database>["cli"], args: string[] = []): Promise<ListedRun[]> {
  const r = await cli(["--json", "metrics", "list", "--limit", "100", ...args]);
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { items: ListedRun[] }).items;
}

beforeAll(() => {
  ensureCliBuilt();
}, 180_000);

describe("verdict metrics import / export", () => {
  it("imports every gao-dev shape in one command; the same content again is unchanged", async () => {
    const { cli } = database();
    expect((await cli(["init"])).status).toBe(0);
    const paths = [fx("run1.to_json.json"), fx("run2.compact.json"), fx("export_run1.json"), fx("csv")];
    const first = await cli(["--json", "metrics", "import", ...paths]);
    expect(first.status, first.stderr).toBe(0);
    const files = (JSON.parse(first.stdout) as { files: { inserted: number; skipped: number }[] }).files;
    expect(files.map((f) => [f.inserted, f.skipped])).toEqual([
      [1, 0],
      [1, 0],
      [0, 1],
      [3, 2],
    ]);
    expect(await listed(cli)).toHaveLength(5);
    const again = await cli(["metrics", "import", ...paths]);
    expect(again.status).toBe(0);
    expect(again.stderr).toContain("0 new, 0 replaced, 5 unchanged");
  });

  it("gao-dev's own metrics.db imports read-only (sha256 unchanged) to the same runs as its JSON files", async () => {
    const work = tempDir("verdict-gao-db-");
    const file = work.file("metrics.db");
    copyFileSync(fx("metrics.db"), file);
    const sha = () => createHash("sha256").update(readFileSync(file)).digest("hex");
    const before = sha();
    const a = database();
    await a.cli(["init"]);
    const r = await a.cli(["metrics", "import", file]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("(metrics_db): 3 new");
    expect(sha()).toBe(before);
    expect(readdirSync(work.path)).toEqual(["metrics.db"]);
    const b = database();
    await b.cli(["init"]);
    await b.cli(["metrics", "import", fx("run1.to_json.json"), fx("run2.compact.json"), fx("run3.to_json.json")]);
    const out = tempDir("verdict-gao-db-out-");
    await a.cli(["metrics", "export", "--format", "json", "--out", out.file("a.json")]);
    await b.cli(["metrics", "export", "--format", "json", "--out", out.file("b.json")]);
    expect(readFileSync(out.file("a.json"), "utf8")).toBe(readFileSync(out.file("b.json"), "utf8"));
  });

  it("a file whose run is stored with other content is a conflict unless --replace, and is all or nothing", async () => {
    const { dir, cli } = database();
    await cli(["init"]);
    expect((await cli(["metrics", "import", fx("run1.to_json.json")])).status).toBe(0);
    const changed = JSON.parse(readFileSync(fx("export_run1.json"), "utf8")) as Record<string, unknown>[];
    (changed[0]?.performance as Record<string, number>).total_time_seconds = 1;
    changed.push({ ...JSON.parse(readFileSync(fx("run3.to_json.json"), "utf8")) });
    const file = dir.file("changed.json");
    writeFileSync(file, JSON.stringify(changed, null, 2));
    const refused = await cli(["metrics", "import", file]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/already stored with different content.*--replace/);
    expect(await listed(cli)).toHaveLength(1);
    expect((await cli(["metrics", "import", "--replace", file])).status).toBe(0);
    expect(await listed(cli)).toHaveLength(2);
  });

  it("every problem of a file is reported at once, one line each, and nothing is written", async () => {
    const { dir, cli } = database();
    await cli(["init"]);
    const file = dir.file("bad.json");
    writeFileSync(
      file,
      [
        "{",
        '  "run_id": "bad-1",',
        '  "timestamp": "2025-10-20T09:15:03",',
        '  "project_name": "p",',
        '  "benchmark_name": "b",',
        '  "performance": {',
        '    "total_time_secs": 12,',
        '    "api_calls_cost": NaN,',
        '    "phase_times": { "planning": -3 }',
        "  },",
        '  "workflow": { "avg_cycle_time_seconds": Infinity }',
        "}",
      ].join("\n"),
    );
    const r = await cli(["metrics", "import", file]);
    expect(r.status).toBe(1);
    expect(r.stderr.trimEnd().split("\n")).toEqual([
      `error: ${file}:7: performance.total_time_secs: unknown key (did you mean 'total_time_seconds'?)`,
      `error: ${file}:8: performance.api_calls_cost: NaN is not a number`,
      `error: ${file}:11: workflow.avg_cycle_time_seconds: Infinity is not a number`,
      `error: ${file}:9: performance.phase_times.planning: must not be negative`,
    ]);
    expect(await listed(cli)).toHaveLength(0);

    // --keep-unknown keeps the unknown key under metadata instead (the other problems fixed).
    const fixed = readFileSync(file, "utf8").replace("NaN", "1").replace("Infinity", "2").replace("-3", "3");
    writeFileSync(file, fixed);
    expect((await cli(["metrics", "import", "--keep-unknown", file])).status).toBe(0);
    const [run] = await listed(cli);
    expect(run?.metadata).toEqual({ unknown_fields: { "performance.total_time_secs": 12 } });
  });

  it("export → import → export gives the same JSON array and CSV folder; an existing --out is refused without --force", async () => {
    const a = database();
    await a.cli(["init"]);
    await a.cli(["metrics", "import", fx("run1.to_json.json"), fx("run2.compact.json"), fx("run3.to_json.json")]);
    const out = tempDir("verdict-metrics-out-");
    const json = out.file("runs.json");
    const csv = out.file("csv");
    expect((await a.cli(["metrics", "export", "--format", "json", "--out", json])).status).toBe(0);
    expect((await a.cli(["metrics", "export", "--format", "csv", "--out", csv])).status).toBe(0);
    expect(readdirSync(csv).sort()).toEqual([
      "autonomy.csv",
      "performance.csv",
      "quality.csv",
      "runs.csv",
      "workflow.csv",
    ]);
    const before = readFileSync(json, "utf8");
    const refused = await a.cli(["metrics", "export", "--format", "json", "--out", json, "--project", "nothing"]);
    expect(refused.status).toBe(1); // a refused target is a failure (exit 1), as for every file-writing command
    expect(refused.stderr).toContain("already exists");
    expect(readFileSync(json, "utf8")).toBe(before);

    const b = database();
    await b.cli(["init"]);
    expect((await b.cli(["metrics", "import", json])).status).toBe(0);
    const json2 = out.file("again.json");
    expect((await b.cli(["metrics", "export", "--format", "json", "--out", json2])).status).toBe(0);
    expect(readFileSync(json2, "utf8")).toBe(before);

    const c = database();
    await c.cli(["init"]);
    expect((await c.cli(["metrics", "import", csv])).status).toBe(0);
    const csv2 = out.file("csv2");
    expect((await c.cli(["metrics", "export", "--format", "csv", "--out", csv2])).status).toBe(0);
    for (const f of readdirSync(csv))
      expect(readFileSync(join(csv2, f), "utf8"), f).toBe(readFileSync(join(csv, f), "utf8"));

    // --force replaces the file; the export filters apply.
    expect(
      (await a.cli(["metrics", "export", "--format", "json", "--out", json, "--force", "--until", "2025-10-21"]))
        .status,
    ).toBe(0);
    expect((JSON.parse(readFileSync(json, "utf8")) as unknown[]).length).toBe(2);
  });
});

describe("timestamps in three zones", () => {
  it("naive timestamps read with --tz are stored in UTC; order and --since/--until follow the instants", async () => {
    const { dir, cli } = database();
    await cli(["init"]);
    const base = JSON.parse(readFileSync(fx("run1.to_json.json"), "utf8")) as Record<string, unknown>;
    const write = (id: string, ts: string) => {
      const file = dir.file(`${id}.json`);
      writeFileSync(file, JSON.stringify({ ...base, run_id: id, timestamp: ts }));
      return file;
    };
    // Wall clocks: New York's is the earliest date, Tokyo's the latest hour; the instants are the other way round.
    const tokyo = write("tokyo", "2025-10-20T09:00:00"); // 00:00Z
    const paris = write("paris", "2025-10-20T02:15:00"); // 00:15Z (CEST, +02:00)
    const newYork = write("new-york", "2025-10-19T20:30:00"); // 00:30Z (EDT, −04:00)
    expect((await cli(["metrics", "import", "--tz", "Asia/Tokyo", tokyo])).status).toBe(0);
    expect((await cli(["metrics", "import", "--tz", "Europe/Paris", paris])).status).toBe(0);
    expect((await cli(["metrics", "import", "--tz", "America/New_York", newYork])).status).toBe(0);

    const all = await listed(cli);
    expect(all.map((r) => [r.run_id, r.timestamp])).toEqual([
      ["new-york", "2025-10-20T00:30:00.000000Z"],
      ["paris", "2025-10-20T00:15:00.000000Z"],
      ["tokyo", "2025-10-20T00:00:00.000000Z"],
    ]);
    const ids = async (args: string[]) => (await listed(cli, args)).map((r) => r.run_id);
    expect(await ids(["--since", "2025-10-20T02:10:00+02:00"])).toEqual(["new-york", "paris"]);
    expect(await ids(["--since", "2025-10-20T09:10:00", "--tz", "Asia/Tokyo"])).toEqual(["new-york", "paris"]);
    // --until DATE includes that whole day, in the zone given.
    expect(await ids(["--until", "2025-10-19"])).toEqual([]);
    expect(await ids(["--until", "2025-10-19", "--tz", "America/New_York"])).toEqual(["new-york", "paris", "tokyo"]);
    expect(await ids(["--until", "2025-10-20"])).toHaveLength(3);
    expect(await ids(["--since", "2025-10-20", "--until", "2025-10-20", "--tz", "Europe/Paris"])).toHaveLength(3);

    const badZone = await cli(["metrics", "list", "--tz", "Mars/Olympus"]);
    expect(USAGE).toContain(badZone.status);
    expect(badZone.stderr).toContain("unknown time zone");
  });
});

describe("dimensions", () => {
  it("record and import take branch/testbed/commit from the file, flags or --git, and every list filters by them", async () => {
    const { dir, cli } = database();
    await cli(["init"]);
    const base = JSON.parse(readFileSync(fx("run1.to_json.json"), "utf8")) as Record<string, unknown>;
    const file = dir.file("r.json");
    writeFileSync(file, JSON.stringify({ ...base, run_id: "from-file", branch: "feature-x", testbed: "ci-large" }));
    expect((await cli(["metrics", "import", file])).status).toBe(0);
    writeFileSync(file, JSON.stringify({ ...base, run_id: "by-flags", timestamp: "2025-10-20T11:15:03" }));
    const recorded = await cli([
      "--json",
      "metrics",
      "record",
      file,
      "--tz",
      "Europe/Paris",
      "--branch",
      "main",
      "--testbed",
      "ci-small",
    ]);
    expect(recorded.status, recorded.stderr).toBe(0);
    expect(JSON.parse(recorded.stdout)).toMatchObject({
      timestamp: "2025-10-20T09:15:03.000000Z",
      branch: "main",
      testbed: "ci-small",
      commit: "a1b2c30",
    });
    writeFileSync(file, JSON.stringify({ ...base, run_id: "by-git" }));
    expect((await cli(["metrics", "import", "--git", file])).status).toBe(0);
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8" }).trim();
    const ids = async (args: string[]) => (await listed(cli, args)).map((r) => r.run_id).sort();
    expect(await ids(["--commit", head])).toEqual(["by-git"]);
    expect(await ids(["--branch", "feature-x"])).toEqual(["from-file"]);
    expect(await ids(["--testbed", "ci-small"])).toEqual(["by-flags"]);
    expect(await ids(["--commit", "a1b2c30"])).toEqual(["by-flags", "from-file"]);
  });
});

describe("verdict metrics check / alerts", () => {
  it("exit 2 on a regression, 0 otherwise; the regressions are listed by metrics alerts", async () => {
    const { dir, cli } = database();
    await cli(["init"]);
    const noise = [100, 102, 98, 101, 99, 100.5, 99.5, 101.5, 98.5, 100];
    const run = (id: string, day: number, time: number) => ({
      run_id: id,
      timestamp: `2026-01-${String(day).padStart(2, "0")}T09:00:00Z`,
      project_name: "todo-app",
      benchmark_name: "full-stack",
      performance: { total_time_seconds: time },
      branch: "main",
    });
    const file = dir.file("series.json");
    writeFileSync(
      file,
      JSON.stringify([...noise.map((t, i) => run(`b${i}`, i + 1, t)), run("ok", 20, 101), run("slow", 21, 106)]),
    );
    expect((await cli(["metrics", "import", file])).status).toBe(0);

    const fine = await cli(["metrics", "check", "ok", "--metric", "total_time_seconds", "--test", "zscore"]);
    expect(fine.status, fine.stderr).toBe(0);
    expect(fine.stderr).toContain("0 regression(s) in ok against 10 baseline run(s) on branch main");

    const thresholds = dir.file("thresholds.yaml");
    writeFileSync(thresholds, "window: 10\nmetrics:\n  total_time_seconds:\n    test: ttest\n    alpha: 0.01\n");
    const slow = await cli([
      "--json",
      "metrics",
      "check",
      "slow",
      "--thresholds",
      thresholds,
      "--metric",
      "total_time_seconds",
    ]);
    expect(slow.status, slow.stderr).toBe(2);
    const report = JSON.parse(slow.stdout) as { regressions: number; results: { test: string; status: string }[] };
    // The flag rule (zscore, the --test default) replaces the file's rule for the same metric.
    expect(report.results).toEqual([expect.objectContaining({ test: "zscore", status: "regression" })]);
    const byFile = await cli(["metrics", "check", "slow", "--thresholds", thresholds]);
    expect(byFile.status).toBe(2);

    const alerts = await cli(["--json", "metrics", "alerts", "--branch", "main"]);
    expect(alerts.status).toBe(0);
    const items = (JSON.parse(alerts.stdout) as { items: { run_id: string; test: string }[] }).items;
    expect(items.map((a) => [a.run_id, a.test])).toEqual([["slow", "ttest"]]);

    // compare: direction and significance; exit 2 only with --fail-on-regression.
    expect((await cli(["metrics", "compare", "b9", "slow"])).status).toBe(0);
    const gate = await cli(["--json", "metrics", "compare", "b9", "slow", "--fail-on-regression"]);
    expect(gate.status).toBe(2);
    const cmp = JSON.parse(gate.stdout) as { metrics: { metric: string; direction: string; significant: boolean }[] };
    expect(cmp.metrics.find((m) => m.metric === "total_time_seconds")).toMatchObject({
      direction: "regressed",
      significant: true,
    });

    const strict = dir.file("typo.yaml");
    writeFileSync(strict, "metrics:\n  total_time_seconds:\n    test: zscore\n    max_zz: 2\n");
    const typo = await cli(["metrics", "check", "slow", "--thresholds", strict]);
    expect(typo.status).toBe(1);
    expect(typo.stderr).toMatch(/typo\.yaml:\d+(:\d+)?: .*max_zz/);
    expect(USAGE).toContain((await cli(["metrics", "check", "slow"])).status);
  });

  it("delete and average", async () => {
    const { cli } = database();
    await cli(["init"]);
    await cli(["metrics", "import", fx("run1.to_json.json"), fx("run2.compact.json")]);
    const avg = await cli(["--json", "metrics", "average", "--project", "todo-app"]);
    const body = JSON.parse(avg.stdout) as { runs: number; averages: { total_time_seconds: number } };
    expect(body.runs).toBe(2);
    expect(body.averages.total_time_seconds).toBeCloseTo((1843.2 + 1702.9) / 2, 9);
    expect((await cli(["metrics", "delete", "12345678-9abc-4def-8000-000000000000"])).status).toBe(0);
    expect(await listed(cli)).toHaveLength(1);
    expect((await cli(["metrics", "delete", "12345678-9abc-4def-8000-000000000000"])).status).toBe(1);
  });
});

describe("through a server", () => {
  it("import, check and alerts work with --server like with --db", async () => {
    const { dir, cli } = database();
    await cli(["init"]);
    const token = (
      JSON.parse((await cli(["--json", "tokens", "create", "--name", "metrics", "--scope", "write"])).stdout) as {
        token: string;
      }
    ).token;
    const started = await spawnListening(
      [ensureCliBuilt(), "--db", `file:${dir.file("v.db")}`, "serve", "--port", "0"],
      { name: "verdict serve" },
    );
    const server: ChildProcess = started.child;
    try {
      const remote = (args: string[]) => runCli(["--server", started.url, "--token", token, ...args]);
      const imported = await remote(["metrics", "import", fx("run1.to_json.json"), fx("csv")]);
      expect(imported.status, imported.stderr).toBe(0);
      expect(imported.stderr).toContain("(csv_folder): 4 new, 0 replaced, 1 unchanged");
      const check = await remote([
        "metrics",
        "check",
        "d5330e81-543b-473c-bbeb-787ba09c1aa7",
        "--metric",
        "code_coverage_percentage",
        "--test",
        "static",
        "--min",
        "90",
      ]);
      expect(check.status).toBe(2);
      const alerts = await remote(["--json", "metrics", "alerts"]);
      expect((JSON.parse(alerts.stdout) as { items: unknown[] }).items).toHaveLength(1);
    } finally {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      server.kill("SIGTERM");
      await exited;
    }
  });
});
