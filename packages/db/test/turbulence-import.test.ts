/**
 * Importing turbulence run folders (both shapes) into real libSQL files: where each field lands,
 * atomicity on bad lines / conflicts / abort, --skip-invalid, --replace, and untouched sources.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConflictError,
  ImportInterruptedError,
  type ImportProgress,
  RunFileError,
  type VerdictDb,
  importRunFolder,
  importRuns,
  openDatabase,
} from "@verdict/db";
import { currentRun, hashTree, legacyRun, replaceLine, writeRunFolder } from "./turbulence-fixtures.js";

const roots: string[] = [];
afterAll(() => {
  for (const d of roots) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "verdict-turb-"));
  roots.push(d);
  return d;
}

async function rows(h: VerdictDb, sql: string, args: (string | number)[] = []) {
  return (await h.client.execute({ sql, args })).rows.map((r) => ({ ...r }));
}
async function counts(h: VerdictDb) {
  const one = async (t: string) => Number((await rows(h, `SELECT count(*) AS n FROM ${t}`))[0]?.n);
  return {
    runs: await one("runs"),
    instances: await one("instances"),
    steps: await one("steps"),
    assertions: await one("assertions"),
  };
}

let dir: string;
let h: VerdictDb;
beforeEach(async () => {
  dir = tmp();
  h = await openDatabase({ url: `file:${join(dir, "verdict.db")}`, domains: ["runs"], migrate: true });
});
afterEach(() => h.close());

const PLANS = [
  { scenario: "checkout", passed: true, variation: { cart: 3, coupon: "X1" }, latencies: [12.5, 40] },
  { scenario: "checkout", passed: false, variation: { cart: 0 }, latencies: [15, 300.25] },
  { scenario: "browse", passed: null, error: "socket hang up", latencies: [7] },
];

describe("current shape", () => {
  it("puts every field where described", async () => {
    const spec = currentRun("run-cur-1", PLANS);
    const src = writeRunFolder(join(dir, "runs", "run-cur-1"), spec);
    const r = await importRunFolder(h, src);
    expect(r).toMatchObject({ run_id: "run-cur-1", shape: "current", instances: 3, steps: 5, assertions: 3 });
    expect(r.skipped).toEqual([]);

    const [run] = await rows(h, "SELECT * FROM runs");
    expect(run?.id).toBe("run-cur-1");
    expect(run?.started_at).toBe(spec.manifest.timestamp);
    expect(run?.completed_at).toBe(spec.summary?.completed_at);
    expect(run?.sut_name).toBe("shop");
    expect(JSON.parse(String(run?.scenario_ids))).toEqual(["checkout", "browse"]);
    expect(run?.seed).toBe(42);
    expect(JSON.parse(String(run?.config))).toEqual({
      concurrency: 4,
      target: "http://localhost:8080",
      nested: { a: [1, 2] },
      _turbulence: { manifest: { turbulence_version: "0.9.1", operator: "ci" }, summary: spec.summary },
    });

    const inst = await rows(h, "SELECT * FROM instances ORDER BY id");
    expect(inst).toHaveLength(3);
    const src0 = spec.instances[0] as Record<string, unknown>;
    expect(inst[0]).toMatchObject({
      run_id: "run-cur-1",
      id: "inst-0000",
      scenario_id: "checkout",
      correlation_id: "corr-run-cur-1-0",
      status: "pass",
      started_at: src0.started_at,
      completed_at: src0.completed_at,
      duration_ms: 52.5,
      error: null,
    });
    expect(JSON.parse(String(inst[0]?.variations))).toEqual({ cart: 3, coupon: "X1" });
    expect(inst[1]).toMatchObject({ status: "fail", error: null, duration_ms: 315.25 });
    // passed: null → fail, with the instance's error kept; no variation → NULL
    expect(inst[2]).toMatchObject({ status: "fail", error: "socket hang up", variations: null });

    const steps = await rows(h, "SELECT * FROM steps ORDER BY id");
    expect(steps).toHaveLength(5);
    const s1 = spec.steps[1] as { observation: Record<string, unknown>; timestamp: string };
    expect(steps[1]).toMatchObject({
      run_id: "run-cur-1",
      instance_id: "inst-0000",
      step_index: 1,
      action_name: "step_1",
      action_type: "http",
      service: "payments",
      started_at: s1.timestamp,
      latency_ms: 40,
      status_code: 200,
      ok: 1,
    });
    expect(JSON.parse(String(steps[1]?.observation))).toEqual(s1.observation);
    expect(steps[3]).toMatchObject({ instance_id: "inst-0001", status_code: 500, ok: 0, latency_ms: 300.25 });

    const asserts = await rows(h, "SELECT * FROM assertions ORDER BY id");
    expect(asserts[0]).toMatchObject({ assertion_name: "status_is_200", passed: 1, error: null, step_index: 0 });
    expect(asserts[1]).toMatchObject({ passed: 0, error: "expected 200, got 500" });
    expect(JSON.parse(String(asserts[1]?.expected))).toBe(200);
    expect(JSON.parse(String(asserts[1]?.actual))).toBe(500);
  });

  it("takes variations from artifacts/<instance_id>/variation.json when entry_data has none", async () => {
    const spec = currentRun("run-art", [
      { scenario: "s", passed: true },
      { scenario: "s", passed: true, variation: { from: "entry" } },
    ]);
    spec.variationFiles = { "inst-0000": { from: "artifact", amount: 9.99 }, "inst-0001": { ignored: true } };
    await importRunFolder(h, writeRunFolder(join(dir, "run-art"), spec));
    const inst = await rows(h, "SELECT id, variations FROM instances ORDER BY id");
    expect(JSON.parse(String(inst[0]?.variations))).toEqual({ from: "artifact", amount: 9.99 });
    expect(JSON.parse(String(inst[1]?.variations))).toEqual({ from: "entry" });
  });

  it("accepts the aliases (action_name/action_type/started_at/entry) in a current folder", async () => {
    const spec = currentRun("run-alias", [{ scenario: "s", passed: true, latencies: [3] }]);
    const step = spec.steps[0] as Record<string, unknown>;
    step.action_name = step.step_name;
    step.action_type = step.step_type;
    step.started_at = step.timestamp;
    delete step.step_name;
    delete step.step_type;
    delete step.timestamp;
    const inst = spec.instances[0] as Record<string, unknown>;
    inst.entry = { seed_data: { variation: { v: 1 } } };
    delete inst.entry_data;
    await importRunFolder(h, writeRunFolder(join(dir, "run-alias"), spec));
    expect((await rows(h, "SELECT action_name, action_type, started_at FROM steps"))[0]).toEqual({
      action_name: "create_order",
      action_type: "http",
      started_at: step.started_at,
    });
    expect((await rows(h, "SELECT variations FROM instances"))[0]?.variations).toBe('{"v":1}');
  });
});

describe("legacy shape", () => {
  it("uses the folder name, the manifest times and the order of steps within each instance", async () => {
    const spec = legacyRun([
      { scenario: "login", passed: true, variation: { user: "a" } },
      { scenario: "login", passed: false, error: "bad password" },
      { scenario: "pay", passed: null, latencies: [1, 2] },
    ]);
    const src = writeRunFolder(join(dir, "runs", "legacy-2024-06-01"), spec);
    const r = await importRunFolder(h, src);
    expect(r).toMatchObject({ run_id: "legacy-2024-06-01", shape: "legacy", instances: 3, steps: 8, assertions: 0 });
    const [run] = await rows(h, "SELECT * FROM runs");
    expect(run).toMatchObject({
      id: "legacy-2024-06-01",
      sut_name: "legacy-sut",
      started_at: "2024-06-01T08:00:00.000001Z",
      completed_at: "2024-06-01T08:05:00.000002Z",
      seed: null,
    });
    expect(JSON.parse(String(run?.scenario_ids))).toEqual(["login", "pay"]);
    expect(JSON.parse(String(run?.config))).toEqual({
      _turbulence: { manifest: { completed_at: "2024-06-01T08:05:00.000002Z", tool: "turbulence-legacy" } },
    });
    const inst = await rows(
      h,
      "SELECT id, status, duration_ms, error, variations, started_at FROM instances ORDER BY id",
    );
    expect(inst).toEqual([
      { id: "L0", status: "pass", duration_ms: 100, error: null, variations: '{"user":"a"}', started_at: null },
      { id: "L1", status: "fail", duration_ms: 101, error: "bad password", variations: null, started_at: null },
      { id: "L2", status: "fail", duration_ms: 102, error: null, variations: null, started_at: null },
    ]);
    // Steps were written interleaved across instances; each instance's own order gives step_index.
    const steps = await rows(
      h,
      "SELECT instance_id, step_index, action_name, action_type, latency_ms, status_code FROM steps ORDER BY id",
    );
    expect(steps.filter((s) => s.instance_id === "L0").map((s) => [s.step_index, s.action_name])).toEqual([
      [0, "legacy_action_0"],
      [1, "legacy_action_1"],
      [2, "legacy_action_2"],
    ]);
    expect(steps.filter((s) => s.instance_id === "L2").map((s) => [s.step_index, s.latency_ms])).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(steps.find((s) => s.instance_id === "L1" && s.step_index === 1)).toMatchObject({
      action_type: "wait",
      status_code: null,
    });
  });
});

describe("bad input", () => {
  it("a corrupted line names file and line, and leaves zero rows", async () => {
    const src = writeRunFolder(join(dir, "r"), currentRun("run-bad", PLANS));
    replaceLine(join(src, "steps.jsonl"), 4, '{"instance_id": "inst-0001", "run_id": "run-bad", "step_in');
    const before = hashTree(src);
    const err = await importRunFolder(h, src).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunFileError);
    expect((err as Error).message).toMatch(new RegExp(`^${join(src, "steps.jsonl")}:4: \\(json\\): not valid JSON`));
    expect(await counts(h)).toEqual({ runs: 0, instances: 0, steps: 0, assertions: 0 });
    expect(hashTree(src)).toEqual(before);
  });

  it("a wrong field names the field, a missing one says required", async () => {
    const src = writeRunFolder(join(dir, "r"), currentRun("run-bad2", PLANS));
    const lineOf = (o: unknown) => JSON.stringify(o);
    const spec = currentRun("run-bad2", PLANS);
    const s = spec.steps[2] as { observation: Record<string, unknown> };
    s.observation.latency_ms = -5;
    replaceLine(join(src, "steps.jsonl"), 3, lineOf(s));
    await expect(importRunFolder(h, src)).rejects.toThrow(
      `${join(src, "steps.jsonl")}:3: observation.latency_ms: Too small: expected number to be >=0`,
    );
    const i = spec.instances[1] as Record<string, unknown>;
    delete i.scenario_id;
    writeRunFolder(join(dir, "r"), currentRun("run-bad2", PLANS));
    replaceLine(join(src, "instances.jsonl"), 2, lineOf(i));
    await expect(importRunFolder(h, src)).rejects.toThrow(`${join(src, "instances.jsonl")}:2: scenario_id: required`);
    expect(await counts(h)).toEqual({ runs: 0, instances: 0, steps: 0, assertions: 0 });
  });

  it("a line of another run, a step of an unknown instance and a bad manifest are refused", async () => {
    const spec = currentRun("run-x", PLANS);
    (spec.instances[2] as Record<string, unknown>).run_id = "other-run";
    let src = writeRunFolder(join(dir, "a"), spec);
    await expect(importRunFolder(h, src)).rejects.toThrow(
      `${join(src, "instances.jsonl")}:3: run_id: 'other-run' is not this run ('run-x')`,
    );
    const spec2 = currentRun("run-y", PLANS);
    (spec2.steps[4] as Record<string, unknown>).instance_id = "ghost";
    src = writeRunFolder(join(dir, "b"), spec2);
    await expect(importRunFolder(h, src)).rejects.toThrow(
      `${join(src, "steps.jsonl")}:5: instance_id: no instance 'ghost' in instances.jsonl`,
    );
    const spec3 = currentRun("run-z", PLANS);
    spec3.manifest.seed = "forty-two";
    src = writeRunFolder(join(dir, "c"), spec3);
    await expect(importRunFolder(h, src)).rejects.toThrow(
      `${join(src, "manifest.json")}:9: seed: Invalid input: expected number, received string`,
    );
    expect(await counts(h)).toEqual({ runs: 0, instances: 0, steps: 0, assertions: 0 });
  });

  it("skipInvalid imports the rest and reports every skipped line", async () => {
    const src = writeRunFolder(join(dir, "r"), currentRun("run-skip", PLANS));
    replaceLine(join(src, "instances.jsonl"), 2, "not json at all");
    replaceLine(join(src, "assertions.jsonl"), 3, '{"instance_id":"inst-0002","assertion_name":"x","passed":"yes"}');
    const r = await importRunFolder(h, src, { skipInvalid: true });
    const steps = join(src, "steps.jsonl");
    expect(r.skipped).toEqual([
      expect.objectContaining({ file: join(src, "instances.jsonl"), line: 2, field: "(json)" }),
      { file: steps, line: 3, field: "instance_id", problem: "no instance 'inst-0001' in instances.jsonl" },
      { file: steps, line: 4, field: "instance_id", problem: "no instance 'inst-0001' in instances.jsonl" },
      {
        file: join(src, "assertions.jsonl"),
        line: 2,
        field: "instance_id",
        problem: "no instance 'inst-0001' in instances.jsonl",
      },
      {
        file: join(src, "assertions.jsonl"),
        line: 3,
        field: "passed",
        problem: "Invalid input: expected boolean, received string",
      },
    ]);
    expect(r).toMatchObject({ instances: 2, steps: 3, assertions: 1 });
    expect(await counts(h)).toEqual({ runs: 1, instances: 2, steps: 3, assertions: 1 });
  });
});

describe("existing runs", () => {
  it("refuses a run that exists, naming it and --replace; replace swaps it atomically", async () => {
    const src = writeRunFolder(join(dir, "r"), currentRun("run-dup", PLANS));
    await importRunFolder(h, src);
    const err = await importRunFolder(h, src).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toContain("run 'run-dup' already exists");
    expect((err as Error).message).toContain("--replace");

    const smaller = writeRunFolder(join(dir, "r2"), currentRun("run-dup", [{ scenario: "only", passed: true }]));
    // A replace that fails half-way keeps the old run intact.
    replaceLine(join(smaller, "steps.jsonl"), 2, "{oops");
    await expect(importRunFolder(h, smaller, { replace: true })).rejects.toThrow(RunFileError);
    expect(await counts(h)).toEqual({ runs: 1, instances: 3, steps: 5, assertions: 3 });

    writeRunFolder(smaller, currentRun("run-dup", [{ scenario: "only", passed: true }]));
    const r = await importRunFolder(h, smaller, { replace: true });
    expect(r.replaced).toBe(true);
    expect(await counts(h)).toEqual({ runs: 1, instances: 1, steps: 2, assertions: 1 });
    expect((await rows(h, "SELECT scenario_id FROM instances"))[0]?.scenario_id).toBe("only");
  });

  it("checks every folder of a folder of runs before writing any", async () => {
    const parent = join(dir, "runs");
    writeRunFolder(join(parent, "a-run"), currentRun("a-run", PLANS));
    writeRunFolder(join(parent, "b-run"), currentRun("b-run", PLANS, { startSec: 100 }));
    const pre = writeRunFolder(join(dir, "pre", "b-run"), currentRun("b-run", PLANS));
    await importRunFolder(h, pre);
    await expect(importRuns(h, [parent])).rejects.toThrow("run 'b-run' already exists");
    expect((await counts(h)).runs).toBe(1);
    const done = await importRuns(h, [parent], { replace: true });
    expect(done.map((d) => d.run_id)).toEqual(["a-run", "b-run"]);
    expect(await counts(h)).toEqual({ runs: 2, instances: 6, steps: 10, assertions: 6 });
  });
});

describe("progress, abort, per-run file", () => {
  function bigRun(n: number) {
    return currentRun(
      "run-big",
      Array.from({ length: n }, (_, i) => ({ scenario: `s${i % 4}`, passed: i % 10 !== 0, latencies: [i % 50, 3, 4] })),
    );
  }

  it("reports progress and leaves sources untouched", async () => {
    const src = writeRunFolder(join(dir, "big"), bigRun(3000));
    const before = hashTree(src);
    const seen: ImportProgress[] = [];
    const r = await importRunFolder(h, src, { onProgress: (p) => seen.push(p), progressIntervalMs: 0, batchSize: 500 });
    expect(r.rows).toBe(3000 + 9000 + 3000);
    expect(seen.length).toBeGreaterThan(5);
    const last = seen[seen.length - 1];
    expect(last).toMatchObject({ run_id: "run-big", rows: 15000, bytes: r.bytes, totalBytes: r.bytes, etaSec: 0 });
    for (let i = 1; i < seen.length; i++) expect(seen[i]?.rows).toBeGreaterThanOrEqual(seen[i - 1]?.rows ?? 0);
    expect(seen.every((p) => p.rowsPerSec > 0)).toBe(true);
    expect(hashTree(src)).toEqual(before);
  });

  it("an abort (Ctrl-C) mid-import rolls everything back", async () => {
    const src = writeRunFolder(join(dir, "big"), bigRun(3000));
    const ac = new AbortController();
    const err = await importRunFolder(h, src, {
      signal: ac.signal,
      batchSize: 200,
      progressIntervalMs: 0,
      onProgress: (p) => {
        if (p.rows >= 4000) ac.abort();
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportInterruptedError);
    expect(await counts(h)).toEqual({ runs: 0, instances: 0, steps: 0, assertions: 0 });
  });

  it("imports into a per-run database file holding only the runs domain", async () => {
    const src = writeRunFolder(join(dir, "runs", "run-own"), currentRun("run-own", PLANS));
    const before = hashTree(src);
    const own = await openDatabase({ url: `file:${join(src, "turbulence.db")}`, domains: ["runs"], migrate: true });
    try {
      await importRunFolder(own, src);
      expect(await counts(own)).toEqual({ runs: 1, instances: 3, steps: 5, assertions: 3 });
      const tables = await rows(
        own,
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      );
      expect(tables.map((t) => t.name)).toEqual([
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
      // Only the database file (and its WAL companions) is new in the folder; the source files are unchanged.
      const after = hashTree(src);
      for (const [k, v] of Object.entries(before)) expect(after[k]).toBe(v);
    } finally {
      own.close();
    }
  });
});

describe("indexes and the two write paths", () => {
  const indexSql = async (db: VerdictDb) =>
    rows(db, "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name");

  it("an import into empty tables rebuilds the indexes it dropped, byte-identical; a failed one restores them", async () => {
    const before = await indexSql(h);
    expect(before.length).toBeGreaterThan(10);
    const bad = writeRunFolder(join(dir, "bad"), currentRun("run-idx-bad", PLANS));
    replaceLine(join(bad, "assertions.jsonl"), 2, "{broken");
    await expect(importRunFolder(h, bad)).rejects.toThrow(RunFileError);
    expect(await indexSql(h)).toEqual(before);
    await importRunFolder(h, writeRunFolder(join(dir, "good"), currentRun("run-idx", PLANS)));
    expect(await indexSql(h)).toEqual(before);
    // The planner uses them again: a by-status page is an index range scan.
    const plan = await rows(h, "EXPLAIN QUERY PLAN SELECT * FROM instances WHERE run_id = ? AND status = ?", [
      "run-idx",
      "fail",
    ]);
    expect(plan.map((p) => String(p.detail)).join(" ")).toContain("instances_run_status_idx");
    // A second run goes into non-empty tables (indexes kept, maintained row by row).
    await importRunFolder(h, writeRunFolder(join(dir, "second"), currentRun("run-idx-2", PLANS, { startSec: 50 })));
    expect(await indexSql(h)).toEqual(before);
    expect(await counts(h)).toEqual({ runs: 2, instances: 6, steps: 10, assertions: 6 });
  });

  it("a :memory: database goes through the client transaction: import, refusal, skip-invalid and abort", async () => {
    const mem = await openDatabase({ url: ":memory:", domains: ["runs"], migrate: true });
    try {
      const src = writeRunFolder(join(dir, "mem"), currentRun("run-mem", PLANS));
      const r = await importRunFolder(mem, src);
      expect(r).toMatchObject({ instances: 3, steps: 5, assertions: 3 });
      await expect(importRunFolder(mem, src)).rejects.toThrow(ConflictError);
      const bad = writeRunFolder(join(dir, "mem-bad"), currentRun("run-mem-bad", PLANS));
      replaceLine(join(bad, "steps.jsonl"), 2, "nope");
      await expect(importRunFolder(mem, bad)).rejects.toThrow(`${join(bad, "steps.jsonl")}:2: (json)`);
      const skipped = await importRunFolder(mem, bad, { skipInvalid: true });
      expect(skipped.skipped).toHaveLength(1);
      const ac = new AbortController();
      ac.abort();
      await expect(
        importRunFolder(mem, writeRunFolder(join(dir, "mem-x"), currentRun("run-mem-x", PLANS)), { signal: ac.signal }),
      ).rejects.toThrow(ImportInterruptedError);
      expect(await counts(mem)).toEqual({ runs: 2, instances: 6, steps: 9, assertions: 6 });
    } finally {
      mem.close();
    }
  });
});
