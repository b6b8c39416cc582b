/**
 * import → export → import gives identical rows (JSON columns compared as parsed values), for both
 * shapes, and a second export of the re-imported run is byte-identical to the first.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ConflictError,
  NotFoundError,
  type VerdictDb,
  createRun,
  exportRun,
  importRunFolder,
  insertInstances,
  insertSteps,
  openDatabase,
} from "@verdict/db";
import { currentRun, hashTree, legacyRun, writeRunFolder } from "./turbulence-fixtures.js";

const roots: string[] = [];
afterAll(() => {
  for (const d of roots) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "verdict-turb-exp-"));
  roots.push(d);
  return d;
}
const open = (dir: string, name: string) =>
  openDatabase({ url: `file:${join(dir, name)}`, domains: ["runs"], migrate: true });

const JSON_COLUMNS: Record<string, string[]> = {
  runs: ["scenario_ids", "config"],
  instances: ["variations"],
  steps: ["observation"],
  assertions: ["expected", "actual"],
};
const ORDER: Record<string, string> = {
  runs: "id",
  instances: "run_id, id",
  steps: "id",
  assertions: "id",
};

/** Every row of the runs domain, JSON text columns replaced by their parsed values. */
async function dump(h: VerdictDb) {
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const table of Object.keys(ORDER)) {
    const rs = await h.client.execute(`SELECT * FROM ${table} ORDER BY ${ORDER[table]}`);
    out[table] = rs.rows.map((r) => {
      const row: Record<string, unknown> = { ...r };
      for (const c of JSON_COLUMNS[table] ?? []) row[c] = row[c] === null ? null : JSON.parse(String(row[c]));
      return row;
    });
  }
  return out;
}

describe("export round trip", () => {
  it.each([
    [
      "current shape with summary and artifacts",
      () => {
        const spec = currentRun("rt-current", [
          { scenario: "checkout", passed: true, variation: { cart: 3, coupon: "X1", deep: { a: [1, { b: null }] } } },
          { scenario: "checkout", passed: false, variation: { cart: 0 }, latencies: [1.5, 2.25, 1e-7] },
          { scenario: "browse", passed: null, error: "socket hang up" },
          { scenario: "browse", passed: true, latencies: [] },
        ]);
        spec.variationFiles = { "inst-0002": { from: "artifact", emoji: "ü ☃" } };
        return spec;
      },
    ],
    [
      "legacy shape without summary",
      () =>
        legacyRun([
          { scenario: "login", passed: true, variation: { user: "a" } },
          { scenario: "login", passed: false, error: "bad password" },
          { scenario: "pay", passed: null, latencies: [1, 2] },
          { scenario: "pay", passed: false },
        ]),
    ],
  ])("%s: rows and JSON values are identical", async (_label, make) => {
    const dir = tmp();
    const src = writeRunFolder(join(dir, "src", "rt-run"), make());
    const before = hashTree(src);
    const db1 = await open(dir, "one.db");
    const db2 = await open(dir, "two.db");
    try {
      const first = await importRunFolder(db1, src);
      // A legacy manifest names no run: the folder's name is its id, so the export folder carries it.
      const out1 = join(dir, "out1", first.run_id);
      const exp = await exportRun(db1, first.run_id, out1);
      expect(exp).toMatchObject({
        run_id: first.run_id,
        instances: first.instances,
        steps: first.steps,
        assertions: first.assertions,
      });
      const second = await importRunFolder(db2, out1);
      // The export is the source itself (legacy lines stay legacy), so the second import reads the same shape.
      expect(second).toMatchObject({ run_id: first.run_id, shape: first.shape, rows: first.rows, skipped: [] });
      expect(await dump(db2)).toEqual(await dump(db1));

      // And the re-imported run exports to the very same bytes.
      const out2 = join(dir, "out2", first.run_id);
      await exportRun(db2, first.run_id, out2);
      for (const f of exp.files) expect(readFileSync(join(out2, basename(f)), "utf8")).toBe(readFileSync(f, "utf8"));
      // ... and to the bytes of the source files.
      for (const f of exp.files) expect(readFileSync(f, "utf8")).toBe(readFileSync(join(src, basename(f)), "utf8"));
      expect(hashTree(src)).toEqual(before);
    } finally {
      db1.close();
      db2.close();
    }
  });

  it("writes the current shape back, with the manifest's extra keys and the kept summary", async () => {
    const dir = tmp();
    const spec = currentRun("rt-shape", [
      { scenario: "s", passed: true, variation: { v: 1 } },
      { scenario: "s", passed: null, error: "boom" },
    ]);
    const src = writeRunFolder(join(dir, "src"), spec);
    const db = await open(dir, "x.db");
    try {
      await importRunFolder(db, src);
      const out = join(dir, "out");
      const r = await exportRun(db, "rt-shape", out, { pageSize: 1 });
      expect(r.summary).toBe("kept");
      const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
      expect(manifest).toEqual(spec.manifest);
      expect(JSON.parse(readFileSync(join(out, "summary.json"), "utf8"))).toEqual(spec.summary);
      const lines = (f: string) =>
        readFileSync(join(out, f), "utf8")
          .trimEnd()
          .split("\n")
          .map((l) => JSON.parse(l));
      // Every line comes back whole: passed as written (null here), entry_data, messages of passed
      // assertions, timestamps and correlation ids.
      expect(lines("instances.jsonl")).toEqual(spec.instances);
      expect(lines("steps.jsonl")).toEqual(spec.steps);
      expect(lines("assertions.jsonl")).toEqual(spec.assertions);

      await expect(exportRun(db, "rt-shape", out)).rejects.toThrow(ConflictError);
      await expect(exportRun(db, "no-such-run", join(dir, "other"))).rejects.toThrow(NotFoundError);
    } finally {
      db.close();
    }
  });

  it("writes no summary.json when the source had none; a run written through the API gets a computed one", async () => {
    const dir = tmp();
    const src = writeRunFolder(
      join(dir, "src", "legacy-x"),
      legacyRun([
        { scenario: "a", passed: true, latencies: [10, 20, 30] },
        { scenario: "b", passed: null, error: "crash", latencies: [50] },
      ]),
    );
    const db = await open(dir, "x.db");
    try {
      await importRunFolder(db, src);
      const r = await exportRun(db, "legacy-x", join(dir, "out"));
      expect(r.summary).toBe("none");
      expect(existsSync(join(dir, "out", "summary.json"))).toBe(false);

      await createRun(db, { id: "api-run", started_at: "2024-06-01T08:00:00Z", sut_name: "s", scenario_ids: ["a"] });
      await insertInstances(db.client, [
        ["api-run", "i1", "a", "c1", "pass", null, null, 5, null, null],
        ["api-run", "i2", "a", "c2", "fail", null, null, 7, null, null],
        ["api-run", "i3", "a", "c3", "fail", null, null, 9, null, "boom"],
      ]);
      await insertSteps(db.client, [["api-run", "i1", 0, "get", "http", "api", null, 10, 200, 1, "{}"]]);
      const c = await exportRun(db, "api-run", join(dir, "api"));
      expect(c.summary).toBe("computed");
      // Counted as turbulence counts: an errored instance is also a failed one.
      expect(JSON.parse(readFileSync(join(dir, "api", "summary.json"), "utf8"))).toMatchObject({
        run_id: "api-run",
        completed_at: "2024-06-01T08:00:00Z",
        total_instances: 3,
        pass_count: 1,
        fail_count: 2,
        error_count: 1,
        pass_rate: (1 / 3) * 100, // turbulence: (pass_count / total_instances) * 100
        duration_ms: 0,
        total_steps: 1,
      });
      // Lines of API-written rows are valid for turbulence's models: string correlation ids, entry_data a dict.
      const inst = readFileSync(join(dir, "api", "instances.jsonl"), "utf8")
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(inst.map((i) => [i.passed, i.entry_data, i.correlation_id])).toEqual([
        [true, {}, "c1"],
        [false, {}, "c2"],
        [false, {}, "c3"],
      ]);
      const step = JSON.parse(readFileSync(join(dir, "api", "steps.jsonl"), "utf8"));
      expect(step.correlation_id).toBe("c1");
    } finally {
      db.close();
    }
  });
});
