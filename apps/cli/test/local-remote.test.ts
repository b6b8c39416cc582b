import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { ensureCliBuilt, runCli, spawnListening, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const dir = tempDir("verdict-cli-modes-");
const dbUrl = `file:${dir.file("modes.db")}`;
let server: ChildProcess;
let url = "";
let token = "";

const local = (args: string[]) => runCli(["--db", dbUrl, ...args]);
const remote = (args: string[]) => runCli(["--server", url, "--token", token, ...args]);

beforeAll(async () => {
  const cli = ensureCliBuilt();
  expect((await local(["init", "--seed"])).status).toBe(0);
  token = (
    JSON.parse((await local(["--json", "tokens", "create", "--name", "cli-admin", "--scope", "admin"])).stdout) as {
      token: string;
    }
  ).token;
  ({ child: server, url } = await spawnListening([cli, "--db", dbUrl, "serve", "--port", "0"], {
    name: "verdict serve",
  }));
}, 120_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  }
  dir.cleanup();
});

const READS: string[][] = [
  ["scenarios", "list"],
  ["scenarios", "show", "bank-balance"],
  ["executions", "list"],
  ["executions", "list", "--status", "failed"],
  ["executions", "show", "1"],
  ["training", "list", "--intent", "check_balance"],
  ["metrics", "list", "--project", "todo-app"],
  ["metrics", "show", "seed-bench-1"],
  ["metrics", "compare", "seed-bench-1", "seed-bench-2"],
  ["metrics", "trend", "total_time_seconds", "--project", "todo-app"],
  ["runs", "list"],
  ["runs", "show", "seed-run-001"],
  ["runs", "instances", "seed-run-001", "--status", "fail"],
  ["runs", "steps", "seed-run-001", "--service", "auth", "--limit", "5"],
  ["tokens", "list"],
  ["runs", "summary", "seed-run-001"],
  ["runs", "failures", "seed-run-001", "--top", "3"],
  ["runs", "assertions", "seed-run-001", "--failed"],
  ["runs", "compare", "seed-run-001", "seed-run-001"],
  ["runs", "flaky", "--sut", "shop-api"],
];

describe("local and remote mode give the same --json output", () => {
  it.each(READS.map((args) => [args.join(" "), args] as const))("verdict %s", async (_name, args) => {
    const [l, r] = await Promise.all([local(["--json", ...args]), remote(["--json", ...args])]);
    expect(l.stderr).toBe("");
    expect(l.status).toBe(0);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(l.stdout));
  });

  it("errors are the same one line with exit 1 in both modes", async () => {
    const [l, r] = await Promise.all([local(["scenarios", "show", "nope"]), remote(["scenarios", "show", "nope"])]);
    expect(l.status).toBe(1);
    expect(r.status).toBe(1);
    expect(l.stderr).toBe("error: scenario 'nope' not found\n");
    expect(r.stderr).toBe(l.stderr);
  });
});

describe("writes through the server are seen locally", () => {
  it("scenarios add (YAML) remotely, show locally, rm", async () => {
    const file = dir.file("scenario.yaml");
    writeFileSync(
      file,
      [
        "scenario_id: cli-yaml",
        "name: From YAML",
        "target_phone: '+15550199'",
        "steps:",
        "  - type: prompt",
        "    expected_text: Welcome",
        "  - type: dtmf",
        "    digits: '3#'",
        "",
      ].join("\n"),
    );
    const added = await remote(["--json", "scenarios", "add", file]);
    expect(added.status).toBe(0);
    const shown = JSON.parse((await local(["--json", "scenarios", "show", "cli-yaml"])).stdout) as { steps: unknown[] };
    expect(shown.steps).toEqual([
      { type: "prompt", expected_text: "Welcome", match: "contains" },
      { type: "dtmf", digits: "3#" },
    ]);
    expect((await remote(["scenarios", "rm", "cli-yaml"])).status).toBe(0);
    expect((await local(["scenarios", "show", "cli-yaml"])).status).toBe(1);
  });

  it("a bad scenario file names file, line and field; nothing is written", async () => {
    const file = dir.file("bad.json");
    writeFileSync(
      file,
      JSON.stringify(
        {
          scenario_id: "cli-bad",
          name: "Bad",
          target_phone: "1",
          steps: [{ type: "prompt" }, { type: "dtmf", digits: "12X" }],
        },
        null,
        2,
      ),
    );
    const r = await remote(["scenarios", "add", file]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(
      new RegExp(
        `^error: ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:\\d+:\\d+: steps\\.1\\.digits: DTMF digits must match`,
      ),
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect((await local(["scenarios", "show", "cli-bad"])).status).toBe(1);
  });

  it("training import is all or nothing and names the bad line", async () => {
    const good = dir.file("good.csv");
    writeFileSync(
      good,
      'text,intent,threshold,source\n"hello, I need my balance",check_balance,0.8,recorded\nsend cash,transfer_funds\n',
    );
    const ok = await remote(["--json", "training", "import", good]);
    expect(JSON.parse(ok.stdout)).toMatchObject({ inserted: 2 });
    const bad = dir.file("bad.jsonl");
    writeFileSync(bad, '{"text":"fine","intent":"a"}\n{"text":"x","intent":"b","threshold":7}\n');
    const r = await local(["training", "import", bad]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`error: ${bad}:2:38: threshold: Too big: expected number to be <=1\n`);
    const listed = JSON.parse((await local(["--json", "training", "list", "--intent", "a"])).stdout) as {
      items: unknown[];
    };
    expect(listed.items).toHaveLength(0);
    const out = dir.file("export.jsonl");
    expect((await remote(["training", "export", "--status", "pending", "--out", out])).status).toBe(0);
  });

  it("runs gate exits 2 on a violation in both modes; import/export refuse --server", async () => {
    const gate = ["runs", "gate", "seed-run-001", "--fail-on", "pass_rate>=99", "--fail-on", "fail_count<=5"];
    const [l, r] = await Promise.all([local(gate), remote(gate)]);
    expect(l.status).toBe(2);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe(l.stdout);
    expect(l.stdout).toMatch(/FAIL pass_rate>=99/);
    const imp = await remote(["runs", "import", dir.path]);
    expect(imp.status).toBe(64);
    expect(imp.stderr).toMatch(/point --db at the database/);
  });

  it("usage mistakes exit 64", async () => {
    const r = await local(["executions", "list", "--status", "sideways"]);
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/--status: expected one of queued, running, completed, failed, timeout/);
    expect((await local(["metrics", "trend", "nonsense"])).status).toBe(64);
  });

  it("backup copies a database that a server is using", async () => {
    const out = dir.file("backup.db");
    const r = await local(["backup", out]);
    expect(r.status).toBe(0);
    const listed = await runCli(["--db", `file:${out}`, "--json", "scenarios", "list"]);
    expect(listed.status).toBe(0);
    expect((JSON.parse(listed.stdout) as { items: unknown[] }).items.length).toBeGreaterThanOrEqual(3);
  });

  it("serve refuses a database that needs migrating unless --migrate", async () => {
    // No database file at all: serve (a reader) does not create one without --migrate.
    const missing = await runCli(["--db", `file:${dir.file("missing.db")}`, "serve", "--port", "0"]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^error: no database at .*missing\.db: create one with `verdict init`/);
    // An empty database file: refused until migrated.
    writeFileSync(dir.file("fresh.db"), "");
    const fresh = `file:${dir.file("fresh.db")}`;
    const r = await runCli(["--db", fresh, "serve", "--port", "0"], { timeoutMs: 15_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/refusing to serve: .*verdict migrate up, or verdict serve --migrate/);
    const noAuth = await runCli(["--db", dbUrl, "serve", "--host", "0.0.0.0", "--no-auth"]);
    expect(noAuth.status).toBe(64);
    expect(noAuth.stderr).toMatch(/--no-auth is only allowed when bound to a loopback address/);
  });
});
