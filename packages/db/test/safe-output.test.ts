/**
 * Safe output (nothing overwritten that the command was not told to replace, never the open
 * database, complete or not at all) and bounded input (regular files only, 64 MiB file and line
 * limits), on real files and real libSQL databases.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import {
  InputFileLimitError,
  MAX_INPUT_FILE_BYTES,
  OutputRefusedError,
  PendingOutput,
  type VerdictDb,
  backupDatabase,
  commitOutputs,
  databaseFiles,
  exportRun,
  importRunFolder,
  openDatabase,
  readInputText,
  writeOutputFile,
} from "@verdict/db";
import { tempDir } from "@verdict/testing";
import { afterAll, describe, expect, it } from "vitest";
import { readLines } from "../src/turbulence/lines.js";
import { currentRun, writeRunFolder } from "./turbulence-fixtures.js";

const dir = tempDir("verdict-safe-output-");
afterAll(() => dir.cleanup());
let n = 0;
const fresh = (): string => {
  const d = join(dir.path, `case-${++n}`);
  mkdirSync(d);
  return d;
};
const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");
/** Hidden temp files a failed or finished write could leave behind. */
const leftovers = (d: string) => readdirSync(d).filter((f) => f.includes(".verdict-tmp-"));

async function error(p: Promise<unknown> | (() => unknown)): Promise<Error> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a failure");
}

async function runsDb(path: string): Promise<VerdictDb> {
  return openDatabase({ url: `file:${path}`, domains: ["runs"], migrate: true });
}

function mkfifo(path: string): void {
  const r = spawnSync("mkfifo", [path]);
  if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr}`);
}

describe("writeOutputFile / PendingOutput", () => {
  it("writes a new file, refuses an existing one without force (bytes unchanged), replaces it with force", async () => {
    const d = fresh();
    const f = join(d, "out.csv");
    writeOutputFile(f, "one\n");
    expect(readFileSync(f, "utf8")).toBe("one\n");
    const e = await error(() => writeOutputFile(f, "two\n"));
    expect(e).toBeInstanceOf(OutputRefusedError);
    expect(e.message).toBe(`${f} already exists (pass --force to replace it)`);
    expect(readFileSync(f, "utf8")).toBe("one\n");
    writeOutputFile(f, "three\n", { force: true });
    expect(readFileSync(f, "utf8")).toBe("three\n");
    expect(leftovers(d)).toEqual([]);
  });

  it("refuses the open database and its -wal/-shm/-journal even with force: by path, symlink and hard link", async () => {
    const d = fresh();
    const path = join(d, "live.db");
    const h = await runsDb(path);
    try {
      await h.client.execute("INSERT INTO runs (id, started_at, sut_name) VALUES ('r1', '2025-01-01T00:00:00Z', 's')");
      const protect = databaseFiles(h.url);
      expect(protect).toEqual([path, `${path}-wal`, `${path}-shm`, `${path}-journal`]);
      symlinkSync(path, join(d, "alias.db"));
      linkSync(path, join(d, "hard.db"));
      mkdirSync(join(d, "sub"));
      symlinkSync(d, join(d, "sub", "up"));
      // Opened through a symlink, the real file's -wal is protected too (SQLite keeps it there).
      const viaAlias = databaseFiles(`file:${join(d, "alias.db")}`);
      expect(viaAlias).toContain(`${path}-wal`);
      expect(
        (await error(() => writeOutputFile(`${path}-wal`, "x", { force: true, protect: viaAlias }))).message,
      ).toMatch(/is a file of the open database/);
      const before = sha(path);
      for (const target of [
        path,
        join(d, "alias.db"),
        join(d, "hard.db"),
        join(d, "sub", "up", "live.db"),
        `${path}-wal`,
        `${path}-shm`,
        `${path}-journal`,
      ]) {
        const e = await error(() => writeOutputFile(target, "x", { force: true, protect }));
        expect(e, target).toBeInstanceOf(OutputRefusedError);
        expect(e.message).toMatch(/refusing to write over it, even with --force$/);
      }
      expect(sha(path)).toBe(before);
      expect(existsSync(`${path}-journal`)).toBe(false);
      const rs = await h.client.execute("SELECT count(*) AS n FROM runs");
      expect(Number(rs.rows[0]?.n)).toBe(1);
      expect(leftovers(d)).toEqual([]);
    } finally {
      h.close();
    }
  });

  it("refuses a folder or a FIFO as target even with force", async () => {
    const d = fresh();
    mkdirSync(join(d, "folder"));
    mkfifo(join(d, "pipe"));
    for (const t of ["folder", "pipe"]) {
      const e = await error(() => writeOutputFile(join(d, t), "x", { force: true }));
      expect(e).toBeInstanceOf(OutputRefusedError);
      expect(e.message).toMatch(/is a (folder|FIFO); refusing to replace it$/);
    }
  });

  it("commitOutputs: a target that appears before commit is not clobbered, and nothing of the set is left", async () => {
    const d = fresh();
    const a = PendingOutput.create(join(d, "a.jsonl"));
    const b = PendingOutput.create(join(d, "b.jsonl"));
    writeFileSync(a.tmp, "a\n");
    writeFileSync(b.tmp, "b\n");
    writeFileSync(join(d, "b.jsonl"), "someone else's\n");
    expect(await error(() => commitOutputs([a, b]))).toBeInstanceOf(OutputRefusedError);
    expect(readFileSync(join(d, "b.jsonl"), "utf8")).toBe("someone else's\n");
    expect(existsSync(join(d, "a.jsonl"))).toBe(false);
    expect(leftovers(d)).toEqual([]);
  });
});

describe("backupDatabase", () => {
  it("copies, checks and replaces only with force; never onto the database; old backup kept when the source fails", async () => {
    const d = fresh();
    const path = join(d, "live.db");
    const h = await runsDb(path);
    try {
      for (let i = 0; i < 20; i++)
        await h.client.execute({
          sql: "INSERT INTO runs (id, started_at, sut_name) VALUES (?, '2025-01-01T00:00:00Z', 's')",
          args: [`r${i}`],
        });
      const out = join(d, "backup.db");
      const r = await backupDatabase(h, out);
      expect(r.rows).toBe(20 + (await migrationRows(h)));
      const copy = await openDatabase({ url: `file:${out}`, domains: ["runs"] });
      expect(Number((await copy.client.execute("SELECT count(*) AS n FROM runs")).rows[0]?.n)).toBe(20);
      copy.close();

      const old = sha(out);
      expect(await error(backupDatabase(h, out))).toBeInstanceOf(OutputRefusedError);
      expect(sha(out)).toBe(old);

      const live = sha(path);
      const onItself = await error(backupDatabase(h, path, { force: true }));
      expect(onItself.message).toMatch(/is the open database .*even with --force$/);
      expect(sha(path)).toBe(live);

      await h.client.execute("INSERT INTO runs (id, started_at, sut_name) VALUES ('new', '2025-01-02T00:00:00Z', 's')");
      await backupDatabase(h, out, { force: true });
      expect(sha(out)).not.toBe(old);
      const replaced = sha(out);

      // A -wal next to the old backup (it is open) would be applied to the new copy: refused.
      writeFileSync(`${out}-wal`, "not ours");
      const walErr = await error(backupDatabase(h, out, { force: true }));
      expect(walErr).toBeInstanceOf(OutputRefusedError);
      expect(walErr.message).toMatch(/backup\.db-wal exists/);
      expect(sha(out)).toBe(replaced);
      rmSync(`${out}-wal`);

      // The source fails while the copy is made: the old backup stays, no temp file is left.
      h.close();
      await error(backupDatabase(h, out, { force: true }));
      expect(sha(out)).toBe(replaced);
      expect(leftovers(d)).toEqual([]);
    } finally {
      h.close();
    }
  });
});

async function migrationRows(h: VerdictDb): Promise<number> {
  let total = 0;
  const names = await h.client.execute(
    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'runs'",
  );
  for (const row of names.rows)
    total += Number((await h.client.execute(`SELECT count(*) AS n FROM "${String(row.name)}"`)).rows[0]?.n);
  return total;
}

describe("exportRun into a folder", () => {
  it("never replaces files it did not write; with force only a previous export's five files", async () => {
    const d = fresh();
    const h = await runsDb(join(d, "x.db"));
    try {
      await importRunFolder(h, writeRunFolder(join(d, "src"), currentRun("exp", [{ scenario: "s", passed: true }])));

      // An unrelated folder that happens to hold a steps.jsonl (no manifest.json): refused, also with force.
      const other = join(d, "other");
      mkdirSync(other);
      writeFileSync(join(other, "steps.jsonl"), "my own notes\n");
      for (const force of [false, true]) {
        const e = await error(exportRun(h, "exp", other, { force }));
        expect(e).toBeInstanceOf(OutputRefusedError);
        expect(e.message).toMatch(
          force ? /not a previous export; refusing to replace them, even with --force$/ : /pass --force/,
        );
      }
      expect(readFileSync(join(other, "steps.jsonl"), "utf8")).toBe("my own notes\n");
      expect(readdirSync(other)).toEqual(["steps.jsonl"]);

      // A previous export: refused without force, replaced with it; other files of the folder untouched.
      const out = join(d, "out");
      await exportRun(h, "exp", out);
      writeFileSync(join(out, "README.txt"), "keep me\n");
      writeFileSync(join(out, "steps.jsonl"), "stale\n");
      expect(await error(exportRun(h, "exp", out))).toBeInstanceOf(OutputRefusedError);
      expect(readFileSync(join(out, "steps.jsonl"), "utf8")).toBe("stale\n");
      await exportRun(h, "exp", out, { force: true });
      expect(readFileSync(join(out, "steps.jsonl"), "utf8")).toMatch(/"run_id":"exp"/);
      expect(readFileSync(join(out, "README.txt"), "utf8")).toBe("keep me\n");
      expect(leftovers(out)).toEqual([]);
    } finally {
      h.close();
    }
  });

  it("refuses to write over the open database even in a previous export's folder with force", async () => {
    const d = fresh();
    const src = writeRunFolder(join(d, "src"), currentRun("self", [{ scenario: "s", passed: true }]));
    // The database file is named like one of the export's files, in a previous export's folder.
    const dbDir = fresh();
    const dbPath = join(dbDir, "summary.json");
    const h2 = await runsDb(dbPath);
    try {
      await importRunFolder(h2, src);
      writeFileSync(join(dbDir, "manifest.json"), readFileSync(join(src, "manifest.json")));
      const before = sha(dbPath);
      const e = await error(exportRun(h2, "self", dbDir, { force: true }));
      expect(e.message).toMatch(/summary\.json is the open database .*even with --force$/);
      expect(sha(dbPath)).toBe(before);
      expect(leftovers(dbDir)).toEqual([]);
    } finally {
      h2.close();
    }
  });
});

describe("bounded input", () => {
  it("readInputText refuses a FIFO, /dev/zero, a folder and a file over 64 MiB before reading it", async () => {
    const d = fresh();
    mkfifo(join(d, "pipe.yaml"));
    const big = join(d, "big.yaml");
    writeFileSync(big, "");
    truncateSync(big, 2 * 1024 ** 3); // sparse: 2 GiB without using the disk
    const cases: [string, string][] = [
      [join(d, "pipe.yaml"), "not a regular file (a FIFO); give a file"],
      ["/dev/zero", "not a regular file (a character device); give a file"],
      [d, "not a regular file (a folder); give a file"],
      [big, "file larger than 64 MiB"],
      [join(d, "missing.yaml"), "file not found"],
    ];
    for (const [file, problem] of cases) {
      const e = await error(() => readInputText(file));
      expect(e).toBeInstanceOf(InputFileLimitError);
      expect(e.message).toBe(`${file}: ${problem}`);
    }
    const exact = join(d, "exact.txt");
    writeFileSync(exact, "a".repeat(10));
    expect(readInputText(exact, { maxBytes: 10 })).toBe("a".repeat(10));
    expect((await error(() => readInputText(exact, { maxBytes: 9 }))).message).toBe(
      `${exact}: file larger than 9 bytes`,
    );
    expect(MAX_INPUT_FILE_BYTES).toBe(64 * 1024 * 1024);
  });

  it("readLines splits at \\n (dropping \\r), keeps line numbers and refuses a line past the limit", async () => {
    const d = fresh();
    const f = join(d, "a.jsonl");
    writeFileSync(f, `one\r\n\ntwo${"x".repeat(100_000)}\nlast`);
    const got: [number, number][] = [];
    for await (const l of readLines(f).lines) got.push([l.line, l.text.length]);
    expect(got).toEqual([
      [1, 3],
      [2, 0],
      [3, 100_003],
      [4, 4],
    ]);
    const limited = join(d, "b.jsonl");
    writeFileSync(limited, `${"a".repeat(10)}\n${"b".repeat(11)}\n`);
    const seen: number[] = [];
    const e = await error(
      (async () => {
        for await (const l of readLines(limited, { maxLineBytes: 10 }).lines) seen.push(l.line);
      })(),
    );
    expect(seen).toEqual([1]);
    expect(e.message).toBe(`${limited}:2: line longer than 10 bytes`);
  });

  it("import: a 2 GiB line fails with file:line (no RangeError); FIFOs and devices in a run folder are refused", async () => {
    const d = fresh();
    const h = await runsDb(join(d, "x.db"));
    try {
      const src = writeRunFolder(join(d, "huge"), currentRun("huge", [{ scenario: "s", passed: true }]));
      const steps = join(src, "steps.jsonl");
      const head = readFileSync(steps, "utf8");
      truncateSync(steps, Buffer.byteLength(head) + 2 * 1024 ** 3); // a sparse 2 GiB line 2 (NUL bytes)
      const e = await error(importRunFolder(h, src));
      expect(e.message).toBe(`${steps}:${head.split("\n").length}: line longer than 64 MiB`);
      const runs = await h.client.execute("SELECT count(*) AS n FROM runs");
      expect(Number(runs.rows[0]?.n)).toBe(0);

      const piped = writeRunFolder(join(d, "piped"), currentRun("piped", [{ scenario: "s", passed: true }]));
      const inst = join(piped, "instances.jsonl");
      rmSync(inst);
      mkfifo(inst);
      expect((await error(importRunFolder(h, piped))).message).toBe(
        `${inst}: not a regular file (a FIFO); give a file`,
      );
      const zero = writeRunFolder(join(d, "zero"), currentRun("zero", [{ scenario: "s", passed: true }]));
      rmSync(join(zero, "manifest.json"));
      symlinkSync("/dev/zero", join(zero, "manifest.json"));
      expect((await error(importRunFolder(h, zero))).message).toBe(
        `${join(zero, "manifest.json")}: (file): not a regular file (a character device); give a file`,
      );
    } finally {
      h.close();
    }
  }, 60_000);
});
