/**
 * `runs import` into a database file that does not exist yet (importRunsIntoNewFile): built in a
 * temp file next to the target with bulk-load settings, then linked into place. The rows are the same
 * as an ordinary import's, the file is an ordinary Verdict database (WAL, current schema), a bad line
 * leaves no target and no temp file, an existing target is never touched, a refused row inside a
 * multi-row statement is undone exactly (the journal stays in memory, not OFF), and a dead import's
 * temp file is removed by the next import.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ConflictError,
  RunFileError,
  type VerdictDb,
  importRuns,
  importRunsIntoNewFile,
  newDatabaseFile,
  openDatabase,
} from "@verdict/db";
import { tempDir } from "@verdict/testing";
import { currentRun, writeRunFolder } from "./turbulence-fixtures.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "turbulence");
const dir = tempDir("verdict-new-file-");
afterAll(() => dir.cleanup());

const TABLES: Record<string, string> = {
  runs: "SELECT id, started_at, completed_at, sut_name, scenario_ids, seed, config, state, interrupted, source_format, manifest_text, summary_text, source_files FROM runs ORDER BY id",
  instances: "SELECT * FROM instances ORDER BY run_id, id",
  steps: "SELECT * FROM steps ORDER BY id",
  assertions: "SELECT * FROM assertions ORDER BY id",
  run_artifacts: "SELECT run_id, path, instance_id, hex(bytes) AS b FROM run_artifacts ORDER BY run_id, path",
  run_stats: "SELECT * FROM run_stats ORDER BY run_id",
};

async function dump(h: VerdictDb): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const [t, sql] of Object.entries(TABLES)) {
    out[t] = (await h.client.execute(sql)).rows.map((r) => {
      const o: Record<string, unknown> = { ...r };
      delete o.computed_at;
      return o;
    });
  }
  out.stat_groups = (
    await h.client.execute("SELECT * FROM run_stat_groups ORDER BY run_id, dimension, measure, ord")
  ).rows.map((r) => ({ ...r }));
  return out;
}

const leftovers = (folder: string) => readdirSync(folder).filter((n) => n.includes("verdict-tmp"));

describe("importRunsIntoNewFile", () => {
  it("gives the same rows and statistics as an ordinary import, in a WAL file with the current schema", async () => {
    const runs = ["run_real_001", "run_wt_v1"].map((r) => join(FIXTURES, r));
    const ordinary = await openDatabase({ url: `file:${dir.file("ordinary.db")}`, domains: ["runs"], migrate: true });
    const target = dir.file("fresh/runs.db");
    expect(newDatabaseFile(`file:${target}`)).toBe(target);
    try {
      await importRuns(ordinary, runs);
      const done: string[] = [];
      const results = await importRunsIntoNewFile(target, runs, { onRunDone: (r) => done.push(r.run_id) });
      expect(results.map((r) => r.run_id)).toEqual(done);
      expect(newDatabaseFile(`file:${target}`)).toBeNull();
      expect(leftovers(dir.file("fresh"))).toEqual([]);
      const fresh = await openDatabase({ url: `file:${target}`, domains: ["runs"] });
      try {
        expect((await fresh.client.execute("PRAGMA journal_mode")).rows[0]?.journal_mode).toBe("wal");
        expect((await fresh.client.execute("PRAGMA integrity_check")).rows[0]?.integrity_check).toBe("ok");
        const a = await dump(ordinary);
        const b = await dump(fresh);
        expect((a.steps ?? []).length).toBeGreaterThan(0);
        expect(b).toEqual(a);
      } finally {
        fresh.close();
      }
    } finally {
      ordinary.close();
    }
  });

  it("a bad line: the error names file:line, and neither the target nor a temp file is left", async () => {
    const src = writeRunFolder(dir.file("bad/run-bad"), currentRun("run-bad", [{ scenario: "s", passed: true }]));
    const steps = join(src, "steps.jsonl");
    const lines = readFileSync(steps, "utf8").trimEnd().split("\n");
    lines.push(lines[0]?.replace('"observation":{', '"observation":{"x":tru,') ?? "");
    writeFileSync(steps, `${lines.join("\n")}\n`);
    const target = dir.file("bad/out.db");
    const e = await importRunsIntoNewFile(target, [src]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RunFileError);
    expect((e as RunFileError).message).toContain(`${steps}:${lines.length}:`);
    expect(existsSync(target)).toBe(false);
    expect(leftovers(dir.file("bad"))).toEqual([]);
  });

  it("a duplicate instance inside a multi-row INSERT is skipped exactly: the statement's other rows are undone", async () => {
    const spec = currentRun("run-dup", [
      { scenario: "s", passed: true },
      { scenario: "s", passed: false },
      { scenario: "s", passed: true },
    ]);
    const src = writeRunFolder(dir.file("dup/run-dup"), spec);
    const file = join(src, "instances.jsonl");
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");
    writeFileSync(file, `${[...lines, lines[0]].join("\n")}\n`);
    const target = dir.file("dup/out.db");
    const [r] = await importRunsIntoNewFile(target, [src], { skipInvalid: true });
    expect(r?.skipped).toEqual([
      { file, line: lines.length + 1, field: "instance_id", problem: "duplicate instance 'inst-0000'" },
    ]);
    const h = await openDatabase({ url: `file:${target}`, domains: ["runs"] });
    try {
      const n = (await h.client.execute("SELECT count(*) AS n FROM instances")).rows[0]?.n;
      expect(Number(n)).toBe(lines.length);
    } finally {
      h.close();
    }
  });

  it("never touches an existing target, and removes the temp file a killed import left", async () => {
    const src = join(dir.file("keep"), "run_real_001");
    cpSync(join(FIXTURES, "run_real_001"), src, { recursive: true });
    const target = dir.file("keep/there.db");
    writeFileSync(target, "not mine");
    expect(newDatabaseFile(`file:${target}`)).toBeNull();
    await expect(importRunsIntoNewFile(target, [src])).rejects.toBeInstanceOf(ConflictError);
    expect(readFileSync(target, "utf8")).toBe("not mine");

    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    const target2 = dir.file("keep/new.db");
    const stale = dir.file(`keep/.new.db.verdict-tmp-${dead}-0badf00d`);
    writeFileSync(stale, "half a database");
    writeFileSync(`${stale}-journal`, "");
    await importRunsIntoNewFile(target2, [src]);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(`${stale}-journal`)).toBe(false);
    expect(existsSync(target2)).toBe(true);
  });
});
