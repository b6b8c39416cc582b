/**
 * Acceptance: turbulence's own SQLite output (`turbulence run --storage sqlite`: turbulence.db +
 * summary.json + artifacts/, no manifest.json; fixtures/turbulence/run_real_sqlite was written by
 * turbulence 65b8fb9) imports from the folder or from the file; the file is opened read-only and its
 * bytes never change; its rows equal what the JSONL import of the same records gives; `--db`
 * pointing at it is refused before anything touches it.
 */
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { afterAll, describe, expect, it } from "vitest";
import {
  SchemaMismatchError,
  type VerdictDb,
  exportRun,
  findRunFolders,
  importRunFolder,
  importRuns,
  openDatabase,
} from "@verdict/db";
import { parseExact } from "./exact-json.js";

const FIXTURE = join(import.meta.dirname, "fixtures", "turbulence", "run_real_sqlite");
const roots: string[] = [];
afterAll(() => {
  for (const d of roots) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "verdict-tsqlite-"));
  roots.push(d);
  return d;
}
/** A copy of the fixture folder (writable, like a user's own run folder). */
function copyRun(): string {
  const dir = join(tmp(), "run_real_sqlite");
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}
const open = (dir: string, name: string) =>
  openDatabase({ url: `file:${join(dir, name)}`, domains: ["runs"], migrate: true });
const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** The run's rows, without the columns that name where they came from. */
async function rowsOf(h: VerdictDb, runId: string) {
  const out: Record<string, unknown[]> = {};
  for (const [table, key, order] of [
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
      if (row.bytes instanceof ArrayBuffer) row.bytes = Buffer.from(row.bytes).toString("hex");
      return row;
    });
  }
  const run = await h.client.execute({
    sql: "SELECT id, started_at, completed_at, sut_name, scenario_ids, seed, config, state, interrupted, summary_text FROM runs WHERE id = ?",
    args: [runId],
  });
  out.runs = run.rows.map((r) => ({ ...r }));
  return out;
}

describe("turbulence.db (turbulence run --storage sqlite)", () => {
  it("imports the folder and the file itself; the file's bytes never change and nothing is added next to it", async () => {
    const src = copyRun();
    const dbFile = join(src, "turbulence.db");
    const before = sha(dbFile);
    const listing = readdirSync(src).sort();
    expect(findRunFolders(src)).toEqual([src]);
    expect(findRunFolders(dbFile)).toEqual([dbFile]);

    const dir = tmp();
    const h1 = await open(dir, "a.db");
    const h2 = await open(dir, "b.db");
    try {
      const a = await importRunFolder(h1, src);
      expect(a).toMatchObject({
        run_id: "run_real_sqlite",
        source: "sqlite",
        interrupted: false,
        instances: 20,
        steps: 80,
        assertions: 20,
        artifacts: 5,
        skipped: [],
      });
      const b = (await importRuns(h2, [dbFile]))[0];
      expect(b).toMatchObject({
        run_id: "run_real_sqlite",
        source: "sqlite",
        instances: 20,
        steps: 80,
        assertions: 20,
      });
      expect(await rowsOf(h2, "run_real_sqlite")).toEqual(await rowsOf(h1, "run_real_sqlite"));
    } finally {
      h1.close();
      h2.close();
    }
    expect(sha(dbFile)).toBe(before);
    expect(readdirSync(src).sort()).toEqual(listing); // no -wal, -shm or -journal left or added
  });

  it("gives the rows a JSONL import of the same records gives", async () => {
    const src = copyRun();
    const dir = tmp();
    const fromDb = await open(dir, "from-db.db");
    const fromJsonl = await open(dir, "from-jsonl.db");
    try {
      await importRunFolder(fromDb, src);
      // The same records as turbulence's JSONL writer writes them: the export of the imported run.
      const jsonl = join(dir, "jsonl", "run_real_sqlite");
      const exp = await exportRun(fromDb, "run_real_sqlite", jsonl);
      expect(exp).toMatchObject({ instances: 20, steps: 80, assertions: 20, artifacts: 5, summary: "kept" });
      const again = await importRunFolder(fromJsonl, jsonl);
      expect(again.source).toBe("jsonl");
      expect(await rowsOf(fromJsonl, "run_real_sqlite")).toEqual(await rowsOf(fromDb, "run_real_sqlite"));

      // And those rows hold what turbulence.db holds, value for value.
      const t = new Database(`file:${join(src, "turbulence.db")}?mode=ro`);
      try {
        const steps = t.prepare("SELECT observation, timestamp, correlation_id FROM steps ORDER BY id").all([]) as {
          observation: string;
          timestamp: string;
          correlation_id: string;
        }[];
        const ours = (
          await fromDb.client.execute(
            "SELECT observation, started_at, correlation_id FROM steps WHERE run_id = 'run_real_sqlite' ORDER BY id",
          )
        ).rows;
        expect(ours.length).toBe(steps.length);
        steps.forEach((s, i) => {
          const o = ours[i];
          expect(parseExact(String(o?.observation))).toEqual(parseExact(s.observation));
          // isoformat's +00:00 is written as pydantic writes the same instant: Z.
          expect(String(o?.started_at)).toBe(s.timestamp.replace(/\+00:00$/, "Z"));
          expect(o?.correlation_id).toBe(s.correlation_id);
        });
        const inst = t.prepare("SELECT id, status, error FROM instances ORDER BY rowid").all([]) as {
          id: string;
          status: string;
          error: string | null;
        }[];
        const ourInst = (
          await fromDb.client.execute(
            "SELECT id, status, passed, error, duration_ms FROM instances WHERE run_id = 'run_real_sqlite' ORDER BY rowid",
          )
        ).rows;
        expect(ourInst.map((r) => [r.id, r.status, r.passed, r.error, r.duration_ms])).toEqual(
          // passed is status == 'pass' (turbulence's own report reads it so); turbulence.db has no duration.
          inst.map((r) => [r.id, r.status, r.status === "pass" ? 1 : 0, r.error, null]),
        );
      } finally {
        t.close();
      }
    } finally {
      fromDb.close();
      fromJsonl.close();
    }
  });

  it("--db pointing at turbulence.db is refused in one line, before anything touches the file", async () => {
    const src = copyRun();
    const dbFile = join(src, "turbulence.db");
    const before = sha(dbFile);
    for (const opts of [{ migrate: true }, { skipSchemaCheck: true }, {}]) {
      const err = await openDatabase({ url: `file:${dbFile}`, ...opts }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SchemaMismatchError);
      const message = (err as Error).message;
      expect(message.split("\n")).toHaveLength(1);
      expect(message).toContain("turbulence's own database");
      expect(message).toContain(`runs import ${dbFile}`);
    }
    expect(sha(dbFile)).toBe(before);
    expect(existsSync(`${dbFile}-wal`)).toBe(false);
  });
});
