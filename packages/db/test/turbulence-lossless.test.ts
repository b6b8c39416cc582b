/**
 * Acceptance: runs written by turbulence's own code (fixtures/turbulence, farmanp/turbulence at
 * 65b8fb9) survive import → export unchanged: every file, compared as exact JSON values (key order
 * aside; numbers by exact decimal value, so 2^53+1 and -0.0 count), the artifacts byte for byte,
 * and re-importing the export gives the very same rows.
 */
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SqldServer, sqldForTests, startSqld } from "@verdict/testing";
import { afterAll, describe, expect, it } from "vitest";
import {
  NotFoundError,
  type VerdictDb,
  exportRun,
  getRun,
  importRunFolder,
  listRuns,
  openDatabase,
  queryInstances,
  querySteps,
} from "@verdict/db";
import { parseExact, parseExactFile } from "./exact-json.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "turbulence");
const roots: string[] = [];
afterAll(() => {
  for (const d of roots) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "verdict-lossless-"));
  roots.push(d);
  return d;
}
const open = (dir: string, name: string) =>
  openDatabase({ url: `file:${join(dir, name)}`, domains: ["runs"], migrate: true });

/** Every file under dir by relative path → its bytes. */
function files(dir: string, prefix = ""): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    if (statSync(p).isDirectory()) for (const [k, v] of files(p, rel)) out.set(k, v);
    else out.set(rel, readFileSync(p));
  }
  return out;
}
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** Every row of the runs domain (the rows of one run), for comparing two imports. */
async function dump(h: VerdictDb, runId: string) {
  const out: Record<string, unknown[]> = {};
  for (const [table, key, order] of [
    ["runs", "id", "id"],
    ["instances", "run_id", "rowid"],
    ["steps", "run_id", "id"],
    ["assertions", "run_id", "id"],
    ["run_artifacts", "run_id", "path"],
  ] as const) {
    const rs = await h.client.execute({
      sql: `SELECT * FROM ${table} WHERE ${key} = ? ORDER BY ${order}`,
      args: [runId],
    });
    out[table] = rs.rows.map((r) => {
      const row: Record<string, unknown> = { ...r };
      if (row.bytes instanceof ArrayBuffer) row.bytes = sha(Buffer.from(row.bytes));
      return row;
    });
  }
  return out;
}

describe.each(["run_real_001", "run_real_bigint", "run_wt_v1"])("%s: import → export", (run) => {
  it("gives back every file: same files, same JSON values, artifacts byte-identical; re-import gives the same rows", async () => {
    const dir = tmp();
    const src = join(FIXTURES, run);
    const db1 = await open(dir, "one.db");
    const db2 = await open(dir, "two.db");
    try {
      const imported = await importRunFolder(db1, src);
      expect(imported.skipped).toEqual([]);
      const out = join(dir, "out", run);
      await exportRun(db1, run, out);

      const before = files(src);
      const after = files(out);
      expect([...after.keys()]).toEqual([...before.keys()]);
      for (const [name, bytes] of before) {
        const back = after.get(name) as Buffer;
        if (name.startsWith("artifacts/")) expect(sha(back), name).toBe(sha(bytes));
        else
          expect(parseExactFile(name, back.toString("utf8")), name).toEqual(
            parseExactFile(name, bytes.toString("utf8")),
          );
      }
      // Stronger than the acceptance asks: the files are the very same bytes.
      for (const [name, bytes] of before) expect(sha(after.get(name) as Buffer), name).toBe(sha(bytes));

      const again = await importRunFolder(db2, out);
      expect(again).toMatchObject({
        instances: imported.instances,
        steps: imported.steps,
        assertions: imported.assertions,
      });
      expect(await dump(db2, run)).toEqual(await dump(db1, run));
    } finally {
      db1.close();
      db2.close();
    }
  });
});

describe("what turbulence wrote, field by field", () => {
  it("keeps passed false of errored instances, whole entry_data, own correlation ids, every message and timestamp", async () => {
    const dir = tmp();
    const db = await open(dir, "x.db");
    try {
      await importRunFolder(db, join(FIXTURES, "run_real_001"));
      const q = async (sql: string) => (await db.client.execute(sql)).rows;
      // An instance that errored: turbulence wrote passed false with its error.
      const errored = await q("SELECT passed, status, error FROM instances WHERE error IS NOT NULL");
      expect(errored.length).toBe(8);
      for (const r of errored) expect([r.passed, r.status]).toEqual([0, "fail"]);
      // entry_data is kept whole (it holds more than seed_data.variation).
      const entries = await q("SELECT DISTINCT entry_data FROM instances ORDER BY 1");
      expect(entries.map((r) => r.entry_data)).toContain('{"seed_data":{"tier":"gold"}}');
      // Every assertion line has its message and timestamp, passed or not.
      const asserts = await q("SELECT passed, message, timestamp, correlation_id FROM assertions");
      expect(asserts.length).toBe(27);
      for (const a of asserts) {
        expect(typeof a.message).toBe("string");
        expect(String(a.timestamp)).toMatch(/^2026-12-01T/);
        expect(String(a.correlation_id)).toMatch(/^corr_/);
      }
      // Steps carry their own correlation id.
      const [mism] = await q(`SELECT count(*) AS n FROM steps s WHERE s.correlation_id IS NULL`);
      expect(Number(mism?.n)).toBe(0);
      // artifacts/ is stored in the database: a per-run file is self-contained.
      const [art] = await q(
        "SELECT count(*) AS n, min(instance_id) AS i FROM run_artifacts WHERE run_id = 'run_real_001'",
      );
      expect(Number(art?.n)).toBe(9);
      expect(String(art?.i)).toMatch(/^inst_/);
    } finally {
      db.close();
    }
  });

  it("keeps integers beyond 2^53, -0.0 and 1e-07 exactly, in the database and in the export", async () => {
    const dir = tmp();
    const db = await open(dir, "x.db");
    try {
      await importRunFolder(db, join(FIXTURES, "run_real_bigint"));
      const rs = await db.client.execute(
        `SELECT observation FROM steps WHERE run_id = 'run_real_bigint' AND instr(observation, 'big_id') > 0 LIMIT 1`,
      );
      const text = String(rs.rows[0]?.observation);
      expect(text).toContain('"big_id":9007199254740993');
      expect(text).toContain('"neg_zero":-0.0');
      expect(parseExact(text)).toMatchObject({
        body: { big_id: { $num: "9007199254740993e0" }, neg_zero: { $num: "-0" }, tiny: { $num: "1e-7" } },
      });
      // SQLite's own JSON functions see the exact integer too.
      const big = await db.client.execute(
        `SELECT CAST(json_extract(observation, '$.body.big_id') AS TEXT) AS v FROM steps WHERE instr(observation, 'big_id') > 0 LIMIT 1`,
      );
      expect(big.rows[0]?.v).toBe("9007199254740993");
      const out = join(dir, "out");
      await exportRun(db, "run_real_bigint", out);
      expect(readFileSync(join(out, "steps.jsonl"), "utf8")).toContain(
        '"big_id":9007199254740993,"tiny":1e-7,"neg_zero":-0.0',
      );
    } finally {
      db.close();
    }
  });
});

describe("an interrupted run (no summary.json, instance lines not written yet)", () => {
  /** run_real_001 as it looked mid-run: no summary.json, the last 6 instance lines missing. */
  function interrupted(): { dir: string; missing: string[] } {
    const dir = join(tmp(), "run_real_001");
    cpSync(join(FIXTURES, "run_real_001"), dir, { recursive: true });
    rmSync(join(dir, "summary.json"));
    const lines = readFileSync(join(dir, "instances.jsonl"), "utf8").trimEnd().split("\n");
    const missing = lines.slice(-6).map((l) => (JSON.parse(l) as { instance_id: string }).instance_id);
    writeFileSync(join(dir, "instances.jsonl"), `${lines.slice(0, -6).join("\n")}\n`);
    return { dir, missing };
  }

  it("imports, marked incomplete; orphan steps count under scenario 'unknown'; export gives the folder back", async () => {
    const { dir: src, missing } = interrupted();
    const steps = readFileSync(join(src, "steps.jsonl"), "utf8").trimEnd().split("\n");
    const orphanSteps = steps.filter((l) => missing.includes((JSON.parse(l) as { instance_id: string }).instance_id));
    const orphanIds = new Set(orphanSteps.map((l) => (JSON.parse(l) as { instance_id: string }).instance_id));
    expect(orphanSteps.length).toBeGreaterThan(0);
    const dir = tmp();
    const db = await open(dir, "x.db");
    try {
      const r = await importRunFolder(db, src);
      expect(r).toMatchObject({ interrupted: true, instances: 24, steps: 122, skipped: [] });
      expect(r.placeholders).toBe(orphanIds.size);
      const run = await db.client.execute(
        "SELECT interrupted, completed_at, summary_text FROM runs WHERE id = 'run_real_001'",
      );
      expect({ ...run.rows[0] }).toEqual({ interrupted: 1, completed_at: null, summary_text: null });
      // turbulence's report (report/html.py) puts a step whose instance it has not seen under "unknown".
      const unknown = await db.client.execute(
        `SELECT count(*) AS n FROM steps s JOIN instances i ON i.run_id = s.run_id AND i.id = s.instance_id
         WHERE s.run_id = 'run_real_001' AND i.scenario_id = 'unknown'`,
      );
      expect(Number(unknown.rows[0]?.n)).toBe(orphanSteps.length);
      const visible = await listRuns(db);
      expect(visible.items.map((x) => x.id)).toEqual(["run_real_001"]);

      const out = join(dir, "out", "run_real_001");
      const e = await exportRun(db, "run_real_001", out);
      expect(e).toMatchObject({ instances: 24, summary: "none" });
      const before = files(src);
      const after = files(out);
      expect([...after.keys()]).toEqual([...before.keys()]);
      for (const [name, bytes] of before) expect(sha(after.get(name) as Buffer), name).toBe(sha(bytes));
    } finally {
      db.close();
    }
  });

  it("a run still being written: its last line, cut short, is left out and listed", async () => {
    const { dir: src } = interrupted();
    const file = join(src, "steps.jsonl");
    const text = readFileSync(file, "utf8");
    const lines = text.trimEnd().split("\n");
    const last = lines[lines.length - 1] as string;
    writeFileSync(file, `${lines.slice(0, -1).join("\n")}\n${last.slice(0, 100)}`);
    const db = await open(tmp(), "x.db");
    try {
      const r = await importRunFolder(db, src);
      expect(r).toMatchObject({ interrupted: true, steps: lines.length - 1 });
      expect(r.skipped).toEqual([
        {
          file,
          line: lines.length,
          field: "(line)",
          problem: "last line cut short (the run was still writing it); left out",
        },
      ]);
    } finally {
      db.close();
    }
    // The same cut in a line that is not the last is an error, as is any bad line of a complete run.
    writeFileSync(file, `${last.slice(0, 100)}\n${lines.join("\n")}\n`);
    const db2 = await open(tmp(), "y.db");
    try {
      await expect(importRunFolder(db2, src)).rejects.toThrow(`${file}:1: (json): not valid JSON`);
    } finally {
      db2.close();
    }
  });

  it("a complete run (it has summary.json) still refuses a step of an unknown instance", async () => {
    const { dir: src } = interrupted();
    writeFileSync(join(src, "summary.json"), readFileSync(join(FIXTURES, "run_real_001", "summary.json")));
    const db = await open(tmp(), "x.db");
    try {
      await expect(importRunFolder(db, src)).rejects.toThrow(/steps\.jsonl:\d+: instance_id: no instance 'inst_/);
      expect((await listRuns(db)).items).toEqual([]);
    } finally {
      db.close();
    }
  });
});

describe("a run being imported", () => {
  it("is invisible to every query until its last chunk marks it complete", async () => {
    const db = await open(tmp(), "x.db");
    try {
      await importRunFolder(db, join(FIXTURES, "run_real_bigint"));
      const look = async () => ({
        list: (await listRuns(db)).items.length,
        run: await getRun(db, "run_real_bigint").then(
          () => "found",
          (e: unknown) => (e instanceof NotFoundError ? "not found" : String(e)),
        ),
        instances: (await queryInstances(db, { run_id: "run_real_bigint", with_total: true })).total,
        steps: (await querySteps(db, { run_id: "run_real_bigint" })).items.length,
      });
      expect(await look()).toEqual({ list: 1, run: "found", instances: 4, steps: 24 });
      await db.client.execute("UPDATE runs SET state = 'importing' WHERE id = 'run_real_bigint'");
      expect(await look()).toEqual({ list: 0, run: "not found", instances: 0, steps: 0 });
    } finally {
      db.close();
    }
  });
});

const sqld = sqldForTests("packages/db turbulence import into a libSQL server (turbulence-lossless.test.ts)");

describe.skipIf(!sqld.available)("into a libSQL server (sqld), in many small chunks", () => {
  let server: SqldServer | null = null;
  afterAll(async () => {
    await server?.stop();
  });

  it("imports run_real_001 through the client's transactions and exports the same bytes, artifacts included", async () => {
    server = await startSqld();
    const h = await openDatabase({ url: server.url, domains: ["runs"], migrate: true });
    try {
      // chunkMs 0: a commit after every batch, so chunking itself is what is tested.
      const r = await importRunFolder(h, join(FIXTURES, "run_real_001"), {
        batchSize: 7,
        chunks: { chunkMs: 0, gapMs: 0 },
      });
      expect(r).toMatchObject({ instances: 30, steps: 122, assertions: 27, artifacts: 9 });
      const out = join(tmp(), "run_real_001");
      await exportRun(h, "run_real_001", out);
      const before = files(join(FIXTURES, "run_real_001"));
      const after = files(out);
      expect([...after.keys()]).toEqual([...before.keys()]);
      for (const [name, bytes] of before) expect(sha(after.get(name) as Buffer), name).toBe(sha(bytes));
    } finally {
      h.close();
    }
  }, 60_000);
});
