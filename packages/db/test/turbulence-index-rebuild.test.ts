/**
 * A one-transaction import into run tables that already hold a run of a similar size drops the
 * secondary indexes and builds them again after the load (dropIndexesForLoad): the schema ends up
 * identical, every index holds every row (integrity_check compares each index with its table), and a
 * failed import (a --replace, same path) leaves the indexes and rows as they were.
 */
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type VerdictDb, importRunFolder, openDatabase } from "@verdict/db";
import { tempDir } from "@verdict/testing";

const FIXTURES = join(import.meta.dirname, "fixtures", "turbulence");
const dir = tempDir("verdict-index-rebuild-");
let h: VerdictDb;
beforeAll(async () => {
  h = await openDatabase({ url: `file:${dir.file("runs.db")}`, domains: ["runs"], migrate: true });
  await importRunFolder(h, join(FIXTURES, "run_real_001"));
});
afterAll(() => {
  h.close();
  dir.cleanup();
});

const indexes = async () =>
  (await h.client.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name")).rows.map(
    (r) => ({ ...r }),
  );
const check = async () => String((await h.client.execute("PRAGMA integrity_check")).rows[0]?.integrity_check);

describe("one-transaction import into tables holding a run", () => {
  it("rebuilds the indexes: same schema, every row indexed, both runs answered", async () => {
    const before = await indexes();
    const r = await importRunFolder(h, join(FIXTURES, "run_wt_v1"), { oneTransaction: true });
    expect(r.rows).toBeGreaterThan(0);
    expect(await indexes()).toEqual(before);
    expect(await check()).toBe("ok");
    for (const run of ["run_real_001", r.run_id]) {
      const viaIndex = await h.client.execute({
        sql: "SELECT count(*) AS n FROM steps INDEXED BY steps_run_instance_idx WHERE run_id = ?",
        args: [run],
      });
      const viaTable = await h.client.execute({
        sql: "SELECT count(*) AS n FROM steps NOT INDEXED WHERE run_id = ?",
        args: [run],
      });
      expect(Number(viaIndex.rows[0]?.n)).toBeGreaterThan(0);
      expect(viaIndex.rows[0]?.n).toBe(viaTable.rows[0]?.n);
    }
  });

  it("a failed import leaves the indexes and rows as they were", async () => {
    const before = await indexes();
    const steps = (await h.client.execute("SELECT count(*) AS n FROM steps")).rows[0]?.n;
    const src = join(dir.path, "broken");
    cpSync(join(FIXTURES, "run_real_001"), src, { recursive: true });
    writeFileSync(join(src, "steps.jsonl"), "{not json\n", { flag: "a" });
    // --replace: the old run is deleted and the indexes dropped in the same transaction, then it fails.
    await expect(importRunFolder(h, src, { replace: true })).rejects.toThrow(/steps\.jsonl:\d+: \(json\)/);
    expect(await indexes()).toEqual(before);
    expect((await h.client.execute("SELECT count(*) AS n FROM steps")).rows[0]?.n).toBe(steps);
    expect(await check()).toBe("ok");
  });
});
