/**
 * import → export → import gives identical rows (JSON columns compared as parsed values), for both
 * shapes, and a second export of the re-imported run is byte-identical to the first.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConflictError, NotFoundError, type VerdictDb, exportRun, importRunFolder, openDatabase } from "@verdict/db";
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
      const out1 = join(dir, "out1");
      const exp = await exportRun(db1, first.run_id, out1);
      expect(exp).toMatchObject({
        run_id: first.run_id,
        instances: first.instances,
        steps: first.steps,
        assertions: first.assertions,
      });
      const second = await importRunFolder(db2, out1);
      expect(second).toMatchObject({ run_id: first.run_id, shape: "current", rows: first.rows, skipped: [] });
      expect(await dump(db2)).toEqual(await dump(db1));

      // And the re-imported run exports to the very same bytes.
      const out2 = join(dir, "out2");
      await exportRun(db2, first.run_id, out2);
      for (const f of ["manifest.json", "instances.jsonl", "steps.jsonl", "assertions.jsonl", "summary.json"])
        expect(readFileSync(join(out2, f), "utf8")).toBe(readFileSync(join(out1, f), "utf8"));
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
      const inst = lines("instances.jsonl");
      expect(inst[0]).toEqual({ ...spec.instances[0] });
      // passed: null (errored) comes back as null with its error; no variation → no entry_data
      const { entry_data: _e, ...second } = spec.instances[1] as Record<string, unknown>;
      expect(inst[1]).toEqual(second);
      expect(lines("steps.jsonl")).toEqual(spec.steps);
      const asserts = lines("assertions.jsonl");
      expect(asserts[1]).toEqual({
        ...(spec.assertions?.[1] as Record<string, unknown>),
        timestamp: undefined,
      });
      expect(asserts[1].message).toBe("expected 200, got 500");
      // A passed assertion's message is not stored.
      expect(asserts[0].message).toBeNull();

      await expect(exportRun(db, "rt-shape", out)).rejects.toThrow(ConflictError);
      await expect(exportRun(db, "no-such-run", join(dir, "other"))).rejects.toThrow(NotFoundError);
    } finally {
      db.close();
    }
  });

  it("computes and marks a summary when the source had none; re-import does not keep it", async () => {
    const dir = tmp();
    const src = writeRunFolder(
      join(dir, "src", "legacy-x"),
      legacyRun([
        { scenario: "a", passed: true, latencies: [10, 20, 30] },
        { scenario: "a", passed: false, latencies: [40] },
        { scenario: "b", passed: null, error: "crash", latencies: [50] },
      ]),
    );
    const db = await open(dir, "x.db");
    try {
      await importRunFolder(db, src);
      const r = await exportRun(db, "legacy-x", join(dir, "out"));
      expect(r.summary).toBe("computed");
      expect(JSON.parse(readFileSync(join(dir, "out", "summary.json"), "utf8"))).toEqual({
        run_id: "legacy-x",
        completed_at: "2024-06-01T08:05:00.000002Z",
        total_instances: 3,
        pass_count: 1,
        fail_count: 1,
        error_count: 1,
        pass_rate: 100 / 3,
        duration_ms: 300000,
        total_steps: 5,
        total_assertions: 0,
        assertions_passed: 0,
        assertions_failed: 0,
        p50_latency_ms: 30,
        p95_latency_ms: 48, // linear, as turbulence computes it
        p99_latency_ms: 49.6,
        verdict_computed: true,
      });
    } finally {
      db.close();
    }
  });
});
