/**
 * `verdict runs import|export|summary|failures|assertions|compare|flaky|gate` as the built CLI in a
 * subprocess, on real run folders and real libSQL files: exit codes, one-line errors naming file and
 * line, nothing half-written (bad line, SIGINT, SIGKILL), per-run database files, round trip.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { CLI_PATH, REPO_ROOT, ensureCliBuilt, runCli, tempDir } from "@verdict/testing";
import { type VerdictDb, listRuns, openDatabase } from "@verdict/db";
import { expectOneLineError } from "./helpers.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  currentRun,
  hashTree,
  legacyRun,
  replaceLine,
  writeRunFolder,
} from "../../../packages/db/test/turbulence-fixtures.js";

const dir = tempDir("verdict-cli-runs-");
let n = 0;
const freshDb = () => `file:${dir.file(`db-${++n}.db`)}`;

beforeAll(() => {
  ensureCliBuilt();
}, 180_000);
afterAll(() => dir.cleanup());

const cli = (db: string, args: string[]) => runCli(["--db", db, ...args], { timeoutMs: 60_000 });

async function withDbFile<T>(url: string, fn: (h: VerdictDb) => Promise<T>): Promise<T> {
  const h = await openDatabase({ url, skipSchemaCheck: true });
  try {
    return await fn(h);
  } finally {
    h.close();
  }
}
async function counts(url: string) {
  return withDbFile(url, async (h) => {
    const one = async (t: string) => Number((await h.client.execute(`SELECT count(*) AS n FROM ${t}`)).rows[0]?.n);
    return {
      runs: await one("runs"),
      instances: await one("instances"),
      steps: await one("steps"),
      assertions: await one("assertions"),
    };
  });
}
const ZERO = { runs: 0, instances: 0, steps: 0, assertions: 0 };
const pathOf = (url: string) => url.slice("file:".length);
/** Files a new database's import left next to it: the database itself and its temp files. */
const filesOf = (url: string) => {
  const name = pathOf(url).split("/").pop() ?? "";
  return readdirSync(dir.path).filter((f) => f === name || f.startsWith(`.${name}.verdict-tmp-`));
};

const PLANS = [
  { scenario: "checkout", passed: true, variation: { cart: 1 } },
  { scenario: "checkout", passed: false, variation: { cart: 2 } },
  { scenario: "browse", passed: null, error: "timeout after 120ms" },
];

describe("verdict runs import", () => {
  it("imports a folder of runs of both shapes and prints one line per run; --json gives the results", async () => {
    const parent = join(dir.path, "mixed");
    writeRunFolder(join(parent, "run-cur"), currentRun("run-cur", PLANS));
    writeRunFolder(join(parent, "run-legacy"), legacyRun([{ scenario: "x", passed: true }]));
    const before = hashTree(parent);
    const db = freshDb();
    const r = await cli(db, ["runs", "import", parent]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^imported run-cur: 3 instances, 6 steps, 3 assertions in [\d.]+ s \([\d,]+ rows\/s\)$/m);
    expect(r.stderr).toMatch(
      /^imported run-legacy \(an interrupted run: marked incomplete\): 1 instances, 3 steps, 0 assertions/m,
    );
    // Not a terminal: no progress bar escape codes.
    expect(r.stderr).not.toContain("\r");
    expect(await counts(db)).toEqual({ runs: 2, instances: 4, steps: 9, assertions: 3 });
    expect(hashTree(parent)).toEqual(before);

    const j = await cli(freshDb(), ["--json", "runs", "import", join(parent, "run-cur")]);
    expect(j.status, j.stderr).toBe(0);
    const out = JSON.parse(j.stdout) as { runs: { run_id: string; rows: number; skipped: unknown[] }[] };
    expect(out.runs).toEqual([expect.objectContaining({ run_id: "run-cur", rows: 12, skipped: [] })]);
  });

  it("a corrupted line: exit 1, one line naming file and line, nothing written; --skip-invalid lists it", async () => {
    const src = writeRunFolder(join(dir.path, "bad", "run-bad"), currentRun("run-bad", PLANS));
    replaceLine(join(src, "steps.jsonl"), 5, '{"instance_id":"inst-0002","run_id":"run-bad","step_index":');
    const db = freshDb();
    const r = await cli(db, ["runs", "import", src]);
    const line = expectOneLineError(r, 1);
    expect(line).toMatch(new RegExp(`^error: ${join(src, "steps.jsonl")}:5: \\(json\\): not valid JSON`));
    // A new database file is built aside and put in place only whole: nothing is left.
    expect(filesOf(db)).toEqual([]);

    const s = await cli(db, ["--json", "runs", "import", "--skip-invalid", src]);
    expect(s.status, s.stderr).toBe(0);
    const res = JSON.parse(s.stdout) as {
      runs: { skipped: { file: string; line: number; field: string }[]; steps: number }[];
    };
    expect(res.runs[0]?.skipped).toEqual([
      expect.objectContaining({ file: join(src, "steps.jsonl"), line: 5, field: "(json)" }),
    ]);
    expect(res.runs[0]?.steps).toBe(5);
    const t = await cli(freshDb(), ["runs", "import", "--skip-invalid", src]);
    expect(t.stderr).toMatch(new RegExp(`skipped ${join(src, "steps.jsonl")}:5: \\(json\\): not valid JSON`));
  });

  it("a wrong field names it; a missing folder and a non-run folder are clear errors", async () => {
    const spec = currentRun("run-field", PLANS);
    (spec.instances[1] as Record<string, unknown>).duration_ms = "slow";
    const src = writeRunFolder(join(dir.path, "field", "run-field"), spec);
    const db = freshDb();
    expect(expectOneLineError(await cli(db, ["runs", "import", src]), 1)).toBe(
      `error: ${join(src, "instances.jsonl")}:2: duration_ms: Invalid input: expected number, received string`,
    );
    expect(expectOneLineError(await cli(db, ["runs", "import", join(dir.path, "nowhere")]), 1)).toBe(
      `error: ${join(dir.path, "nowhere")}: (path): no such file or folder`,
    );
    expect(
      expectOneLineError(await cli(db, ["runs", "import", join(dir.path, "field", "run-field", "..", "..")]), 1),
    ).toContain("not a run folder (no manifest.json or turbulence.db) and holds no run folders");
    expect(filesOf(db)).toEqual([]);
  });

  it("refuses a run that exists (naming it and --replace); --replace replaces it", async () => {
    const src = writeRunFolder(join(dir.path, "dup", "run-dup"), currentRun("run-dup", PLANS));
    const db = freshDb();
    expect((await cli(db, ["runs", "import", src])).status).toBe(0);
    const line = expectOneLineError(await cli(db, ["runs", "import", src]), 1);
    expect(line).toContain("run 'run-dup' already exists");
    expect(line).toContain("--replace");
    writeRunFolder(src, currentRun("run-dup", [{ scenario: "only", passed: true }]));
    const r = await cli(db, ["runs", "import", "--replace", src]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("imported run-dup (replaced): 1 instances");
    expect(await counts(db)).toEqual({ runs: 1, instances: 1, steps: 2, assertions: 1 });
  });

  it("works with a per-run database file holding only the runs domain", async () => {
    const src = writeRunFolder(join(dir.path, "own", "runs", "run-own"), currentRun("run-own", PLANS));
    const before = hashTree(src);
    const db = `file:${join(src, "turbulence.db")}`;
    expect((await cli(db, ["runs", "import", src])).status).toBe(0);
    const tables = await withDbFile(db, async (h) =>
      (
        await h.client.execute(
          "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
      ).rows.map((r) => String(r.name)),
    );
    expect(tables).toEqual([
      "_verdict_migrations",
      "assertions",
      "instances",
      "run_artifacts",
      "run_error_categories",
      "run_report_groups",
      "run_stat_groups",
      "run_stats",
      "runs",
      "steps",
    ]);
    const s = await cli(db, ["--json", "runs", "summary", "run-own"]);
    expect(s.status, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({
      run: { id: "run-own" },
      // the instance written `passed: null` is neither a pass nor a failure (turbulence's summary)
      instances: { instances: 3, pass: 1, fail: 1, undecided: 1, error: 1 },
    });
    const after = hashTree(src);
    for (const [k, v] of Object.entries(before)) expect(after[k]).toBe(v);
  });

  it("does not migrate a database that has other domains but no runs tables", async () => {
    const db = freshDb();
    expect((await cli(db, ["init", "--domain", "ivr"])).status).toBe(0);
    const src = writeRunFolder(join(dir.path, "nomig", "run-x"), currentRun("run-x", PLANS));
    const line = expectOneLineError(await cli(db, ["runs", "import", src]), 1);
    expect(line).toContain("no runs tables yet");
    expect(line).toContain("verdict migrate up --domain runs");
  });
});

/**
 * Starts an import of a run big enough to interrupt (with --progress, so a pipe gets progress lines)
 * and waits until it reports rows written inside its transaction.
 */
async function startBigImport(db: string, src: string) {
  const child = spawn(process.execPath, [CLI_PATH, "--db", db, "runs", "import", "--progress", src], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const closed = new Promise<number | null>((resolve) =>
    child.once("close", (code, signal) => resolve(code ?? (signal ? -1 : null))),
  );
  const deadline = Date.now() + 30_000;
  while (!/^progress run-big: \d+% [1-9][\d,]* rows/m.test(stderr)) {
    if (Date.now() > deadline) throw new Error(`import never reported progress: ${stderr}`);
    if (child.exitCode !== null) throw new Error(`import finished before it could be interrupted: ${stderr}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return { child, closed, stderr: () => stderr };
}

describe("interrupting an import", () => {
  const big = () => {
    const src = join(dir.path, "big", "run-big");
    if (!existsSync(src))
      writeRunFolder(
        src,
        currentRun(
          "run-big",
          Array.from({ length: 40_000 }, (_, i) => ({
            scenario: `s${i % 5}`,
            passed: i % 9 !== 0,
            latencies: [i % 300, 5, 7],
          })),
        ),
      );
    return src;
  };

  it("Ctrl-C (SIGINT) rolls the run back: exit 130, zero rows", async () => {
    const db = freshDb();
    const run = await startBigImport(db, big());
    run.child.kill("SIGINT");
    expect(await run.closed).toBe(130);
    expect(run.stderr()).toContain("interrupted: import of run 'run-big' interrupted; nothing was written");
    expect(filesOf(db)).toEqual([]);
  }, 60_000);

  it("a crash (SIGKILL) while importing into a new file leaves only its temp file, which the next import removes", async () => {
    const db = freshDb();
    const run = await startBigImport(db, big());
    run.child.kill("SIGKILL");
    await run.closed;
    const left = filesOf(db);
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((f) => f.includes(".verdict-tmp-"))).toBe(true);
    const small = writeRunFolder(
      join(dir.path, "after-crash-new", "run-small"),
      currentRun("run-small", [{ scenario: "s", passed: true, latencies: [] }]),
    );
    const r = await cli(db, ["runs", "import", small]);
    expect(r.status, r.stderr).toBe(0);
    expect(filesOf(db)).toEqual([pathOf(db).split("/").pop()]);
    expect(await counts(db)).toMatchObject({ runs: 1, instances: 1, steps: 0 });
  }, 60_000);

  it("a crash (SIGKILL) mid-import shows no run, and the next open removes what it left", async () => {
    const db = freshDb();
    // An existing database: the import writes in chunks there (a new file is built aside instead).
    (await openDatabase({ url: db, domains: ["runs"], migrate: true })).close();
    const run = await startBigImport(db, big());
    run.child.kill("SIGKILL");
    await run.closed;
    // Whatever chunks were committed belong to a run still marked 'importing': no query shows it.
    const visible = await withDbFile(db, async (h) => (await listRuns(h)).items);
    expect(visible).toEqual([]);
    // The next open of the file (any command, the server) removes it: its importer is gone.
    (await openDatabase({ url: db, domains: ["runs"] })).close();
    expect(await counts(db)).toEqual(ZERO);
    // And the next import removes anything left before writing its own run.
    const small = writeRunFolder(
      join(dir.path, "after-crash", "run-small"),
      currentRun("run-small", [{ scenario: "s", passed: true, latencies: [] }]),
    );
    expect((await cli(db, ["runs", "import", small])).status).toBe(0);
    expect(await counts(db)).toMatchObject({ runs: 1, instances: 1, steps: 0 });
  }, 60_000);
});

describe("export and analysis commands", () => {
  const db = freshDb();
  beforeAll(async () => {
    const v = (k: number) => ({ user: `u${k}` });
    const runs = join(dir.path, "analysis");
    writeRunFolder(
      join(runs, "base"),
      currentRun(
        "base",
        [
          { scenario: "s1", passed: true, variation: v(1), durationMs: 100 },
          { scenario: "s1", passed: true, variation: v(2), durationMs: 200 },
          { scenario: "s2", passed: false, variation: v(1), durationMs: 300 },
        ],
        { sut: "bank" },
      ),
    );
    writeRunFolder(
      join(runs, "next"),
      currentRun(
        "next",
        [
          { scenario: "s1", passed: true, variation: v(1), durationMs: 150 },
          { scenario: "s1", passed: null, variation: v(2), error: "timeout after 3000ms", durationMs: 3000 },
          { scenario: "s2", passed: true, variation: v(1), durationMs: 250 },
        ],
        { sut: "bank", startSec: 3600 },
      ),
    );
    writeRunFolder(
      join(runs, "third"),
      currentRun(
        "third",
        [
          { scenario: "s1", passed: true, variation: v(1) },
          { scenario: "s1", passed: true, variation: v(2) },
          { scenario: "s2", passed: true, variation: v(1) },
        ],
        { sut: "bank", startSec: 7200 },
      ),
    );
    const r = await cli(db, ["runs", "import", runs]);
    expect(r.status, r.stderr).toBe(0);
  }, 60_000);

  it("export → import into another database gives the same summary and rows", async () => {
    const out = join(dir.path, "exported", "next");
    const e = await cli(db, ["runs", "export", "next", "--out", out]);
    expect(e.status, e.stderr).toBe(0);
    expect(e.stderr).toContain(
      `exported next to ${out}: 3 instances, 6 steps, 3 assertions, 0 artifact file(s) (summary kept)`,
    );
    expectOneLineError(await cli(db, ["runs", "export", "next", "--out", out]), 1);
    const other = freshDb();
    expect((await cli(other, ["runs", "import", out])).status).toBe(0);
    const a = JSON.parse((await cli(db, ["--json", "runs", "summary", "next", "--scenario-steps"])).stdout);
    const b = JSON.parse((await cli(other, ["--json", "runs", "summary", "next", "--scenario-steps"])).stdout);
    expect(b).toEqual(a);
    const rowsOf = (url: string) =>
      withDbFile(url, async (h) => {
        const out: unknown[] = [];
        for (const t of ["runs", "instances", "steps", "assertions"])
          out.push(
            (
              await h.client.execute(
                `SELECT * FROM ${t} WHERE ${t === "runs" ? "id" : "run_id"} = 'next' ORDER BY rowid`,
              )
            ).rows.map((r) => {
              const o: Record<string, unknown> = { ...r };
              delete o.id;
              for (const c of ["config", "scenario_ids", "variations", "observation", "expected", "actual"])
                if (typeof o[c] === "string") o[c] = JSON.parse(o[c] as string);
              if (t === "instances" || t === "runs") o.id = r.id;
              return o;
            }),
          );
        return out;
      });
    expect(await rowsOf(other)).toEqual(await rowsOf(db));
  });

  it("summary, failures and assertions answer in text and JSON; unknown runs are one-line errors", async () => {
    const s = await cli(db, ["runs", "summary", "next"]);
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/pass_rate\s+66\.67%/);
    expect(s.stdout).toContain("by scenario");
    const f = JSON.parse((await cli(db, ["--json", "runs", "failures", "next", "--top", "2"])).stdout);
    expect(f).toHaveLength(2);
    expect(f).toContainEqual(
      expect.objectContaining({
        kind: "error",
        pattern: "timeout after <n>ms",
        count: 1,
        example_instance_id: "inst-0001",
      }),
    );
    const a = JSON.parse((await cli(db, ["--json", "runs", "assertions", "next", "--failed"])).stdout);
    expect(a.items.map((x: { instance_id: string; passed: boolean }) => [x.instance_id, x.passed])).toEqual([
      ["inst-0001", false],
    ]);
    const named = JSON.parse((await cli(db, ["--json", "runs", "assertions", "next", "--name", "nope"])).stdout);
    expect(named.items).toEqual([]);
    expect(expectOneLineError(await cli(db, ["runs", "summary", "ghost"]), 1)).toBe("error: run 'ghost' not found");
    expect(expectOneLineError(await cli(db, ["runs", "failures", "next", "--top", "0"]), 64)).toContain("--top");
  });

  it("compare reports the regression and the fix; flaky finds the scenarios that flipped", async () => {
    const c = JSON.parse((await cli(db, ["--json", "runs", "compare", "base", "next"])).stdout);
    expect(c.paired).toMatchObject({ regressions: 1, fixes: 1 });
    expect(c.paired.regression_examples).toEqual([
      {
        scenario_id: "s1",
        variation: { user: "u2" },
        a_instance_id: "inst-0001",
        b_instance_id: "inst-0001",
        b_error: "timeout after 3000ms",
      },
    ]);
    // durations s1: base [100, 200], next [150, 3000]; linear percentiles (turbulence's)
    const s1 = c.scenarios.find((s: { key: string }) => s.key === "s1");
    expect(s1.p50_delta_ms).toBe(1425);
    expect(s1.p95_delta_ms).toBeCloseTo(2662.5, 9);
    // two instances a side cannot make a significant change
    expect(c.regressions).toEqual([]);
    const text = await cli(db, ["runs", "compare", "base", "next"]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain("no significant change");
    expect(text.stdout).toContain("by action");
    const alias = JSON.parse(
      (await cli(db, ["--json", "runs", "compare", "previous", "latest", "--sut", "bank"])).stdout,
    );
    expect(alias.b).toBe("third");
    expectOneLineError(await cli(db, ["runs", "compare", "base", "next", "--alpha", "2"]), 64);

    const fl = JSON.parse((await cli(db, ["--json", "runs", "flaky", "--sut", "bank", "--last", "3"])).stdout);
    // s1 in "next": one pass and one `passed: null`, which is no failure (as `runs summary` counts it): PPP
    expect(fl.scenarios).toEqual([expect.objectContaining({ scenario_id: "s2", history: "FPP", flips: 1 })]);
    expect(
      JSON.parse((await cli(db, ["--json", "runs", "flaky", "--sut", "bank", "--last", "1"])).stdout).scenarios,
    ).toEqual([]);
    expectOneLineError(await cli(db, ["runs", "flaky", "--sut", "nobody"]), 1);
  });

  it("gate: exit 2 listing each violation, exit 0 when all hold, exit 64 with one line for a bad rule", async () => {
    const bad = await cli(db, [
      "runs",
      "gate",
      "next",
      "--fail-on",
      "pass_rate>=99",
      "--fail-on",
      "error_count==0",
      "--fail-on",
      "p99_latency_ms<100000",
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stdout).toContain("FAIL pass_rate>=99: pass_rate is 66.67, required >= 99");
    expect(bad.stdout).toContain("FAIL error_count==0: error_count is 1, required == 0");
    expect(bad.stdout).toMatch(/ok\s+p99_latency_ms<100000/);
    expect(bad.stderr).toContain("gate failed for next: 2 of 3 requirement(s) not met");
    const j = await cli(db, ["--json", "runs", "gate", "next", "--fail-on", "pass_rate>=99"]);
    expect(j.status).toBe(2);
    expect(JSON.parse(j.stdout).violations).toEqual([
      expect.objectContaining({ metric: "pass_rate", op: ">=", threshold: 99 }),
    ]);
    const good = await cli(db, ["runs", "gate", "third", "--fail-on", "pass_rate>=99", "--fail-on", "fail_count==0"]);
    expect(good.status, good.stdout + good.stderr).toBe(0);
    expect(good.stderr).toContain("gate passed for third");
    expect(expectOneLineError(await cli(db, ["runs", "gate", "third", "--fail-on", "pass_rate=>99"]), 64)).toContain(
      "--fail-on: cannot read 'pass_rate=>99'",
    );
  });
});
