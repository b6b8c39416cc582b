/**
 * Issue 9, defects 1, 2, 3 and 7, as the built CLI in a subprocess on real database files:
 * no command writes over the open database or a file it was not told to replace (the target's
 * bytes are compared), a backup replaces the old one only once the new copy is complete and
 * checked, and input files are bounded (regular files only, 64 MiB file and line limits) with a
 * one-line error and no stack trace.
 *
 * Disk full is simulated with RLIMIT_FSIZE (`ulimit -f` in a spawned bash, SIGXFSZ ignored so the
 * write fails with EFBIG instead of killing the process): no tmpfs is mounted.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { CLI_PATH, type CliResult, REPO_ROOT, ensureCliBuilt, runCli, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { currentRun, writeRunFolder } from "../../../packages/db/test/turbulence-fixtures.js";
import { expectOneLineError } from "./helpers.js";

const dir = tempDir("verdict-cli-safe-");
let n = 0;
/** A fresh folder for one case. */
const fresh = (): string => {
  const d = join(dir.path, `case-${++n}`);
  mkdirSync(d);
  return d;
};

beforeAll(() => {
  ensureCliBuilt();
}, 180_000);
afterAll(() => dir.cleanup());

const cli = (db: string, args: string[]) => runCli(["--db", `file:${db}`, ...args], { timeoutMs: 60_000 });
const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");
const leftovers = (d: string) => readdirSync(d).filter((f) => f.includes(".verdict-tmp-"));

/** A seeded database file (scenarios, training samples, metrics, a run). */
async function seeded(d: string, name = "live.db"): Promise<string> {
  const path = join(d, name);
  const r = await cli(path, ["init", "--seed"]);
  expect(r.status, r.stderr).toBe(0);
  return path;
}

/** The CLI under a file size limit of `kib` KiB (bash's `ulimit -f` unit), like a full disk. */
function cliWithFileLimit(db: string, args: string[], kib: number): Promise<CliResult> {
  const quoted = [process.execPath, CLI_PATH, "--db", `file:${db}`, ...args].map(
    (a) => `'${a.replace(/'/g, "'\\''")}'`,
  );
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", `trap '' XFSZ; ulimit -f ${kib}; exec ${quoted.join(" ")}`], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout, stderr }));
  });
}

function mkfifo(path: string): void {
  const r = spawnSync("mkfifo", [path]);
  if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr}`);
}

describe("outputs never destroy data (defects 1-3)", () => {
  it("defect 1: training export --out onto the open database is refused, even with --force and through a symlink", async () => {
    const d = fresh();
    const db = await seeded(d);
    const before = sha(db);
    symlinkSync(db, join(d, "alias.db"));
    for (const args of [
      ["--out", db],
      ["--out", db, "--force"],
      ["--out", join(d, "alias.db"), "--force"],
      ["--out", `${db}-wal`, "--force"],
    ]) {
      const line = expectOneLineError(await cli(db, ["training", "export", ...args]), 1);
      expect(line).toMatch(
        /(is the open database|is a file of the open database).*refusing to write over it, even with --force$/,
      );
    }
    expect(sha(db)).toBe(before);
    const list = await cli(db, ["--json", "training", "list"]);
    expect(list.status, list.stderr).toBe(0);
    expect(leftovers(d)).toEqual([]);
  }, 120_000);

  it("defect 1: any existing --out is refused without --force (bytes unchanged) and replaced with it", async () => {
    const d = fresh();
    const db = await seeded(d);
    const out = join(d, "notes.csv");
    writeFileSync(out, "my notes, not an export\n");
    const line = expectOneLineError(await cli(db, ["training", "export", "--out", out]), 1);
    expect(line).toBe(`error: ${out} already exists (pass --force to replace it)`);
    expect(readFileSync(out, "utf8")).toBe("my notes, not an export\n");
    const forced = await cli(db, ["training", "export", "--out", out, "--force"]);
    expect(forced.status, forced.stderr).toBe(0);
    expect(readFileSync(out, "utf8")).toMatch(/^text,intent,threshold,source\n/);
    expect(leftovers(d)).toEqual([]);
  }, 120_000);

  it("defect 2: backup onto the open database is refused even with --force; the database keeps its bytes", async () => {
    const d = fresh();
    const db = await seeded(d, "s.db");
    const before = sha(db);
    for (const target of [db, join(d, "s.db"), `${db}-shm`]) {
      const line = expectOneLineError(await cli(db, ["backup", target, "--force"]), 1);
      expect(line).toMatch(/even with --force$/);
    }
    expect(sha(db)).toBe(before);
    const listed = await cli(db, ["--json", "scenarios", "list"]);
    expect(listed.status, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { items: unknown[] }).items.length).toBe(3);
  }, 120_000);

  it("defect 2: an unreadable source leaves the old backup as it was and no temp file", async () => {
    const d = fresh();
    const db = await seeded(d);
    const old = join(d, "backup.db");
    expect((await cli(db, ["backup", old])).status).toBe(0);
    const before = sha(old);
    const broken = join(d, "broken.db");
    writeFileSync(broken, Buffer.alloc(8192, 0x5a)); // not a database
    expectOneLineError(await cli(broken, ["backup", old, "--force"]), 1);
    expect(sha(old)).toBe(before);
    expect(leftovers(d)).toEqual([]);
    const copy = await runCli(["--db", `file:${old}`, "--json", "scenarios", "list"]);
    expect(copy.status, copy.stderr).toBe(0);
  }, 120_000);

  it("defect 2: disk full (RLIMIT_FSIZE) leaves the old backup, or no file at all, and never blocks a rerun", async () => {
    const d = fresh();
    const db = await seeded(d);
    const old = join(d, "backup.db");
    expect((await cli(db, ["backup", old])).status).toBe(0);
    const before = sha(old);
    // Below the database's size (~320 KiB), above what opening the source writes.
    const full = await cliWithFileLimit(db, ["backup", old, "--force"], 64);
    const line = expectOneLineError(full, 1);
    expect(line).toMatch(/^error: cannot write .*backup\.db: .*nothing was changed$/);
    expect(sha(old)).toBe(before);
    expect(leftovers(d)).toEqual([]);

    const next = join(d, "next.db");
    expectOneLineError(await cliWithFileLimit(db, ["backup", next], 64), 1);
    expect(existsSync(next)).toBe(false);
    expect(leftovers(d)).toEqual([]);
    const rerun = await cli(db, ["backup", next]);
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/backed up .* \(\d+ tables, \d+ rows, checked\)/);
  }, 120_000);

  it("backup --force replaces the old backup with a checked copy", async () => {
    const d = fresh();
    const db = await seeded(d);
    const out = join(d, "backup.db");
    expect((await cli(db, ["backup", out])).status).toBe(0);
    expectOneLineError(await cli(db, ["backup", out]), 1);
    const samples = async (url: string) =>
      (
        JSON.parse((await runCli(["--db", `file:${url}`, "--json", "training", "list", "--limit", "1000"])).stdout) as {
          items: unknown[];
        }
      ).items.length;
    const first = await samples(out);
    const more = join(d, "more.jsonl");
    writeFileSync(more, `${JSON.stringify({ text: "close my account please", intent: "close_account" })}\n`);
    expect((await cli(db, ["training", "import", more])).status).toBe(0);
    const r = await cli(db, ["--json", "backup", out, "--force"]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ backup: out });
    expect(await samples(out)).toBe(first + 1);
    expect(leftovers(d)).toEqual([]);
  }, 120_000);

  it("defect 3: runs export into a folder with an unrelated steps.jsonl is refused, with --force too", async () => {
    const d = fresh();
    const db = await seeded(d);
    const out = join(d, "mine");
    mkdirSync(out);
    writeFileSync(join(out, "steps.jsonl"), "my own steps\n");
    const line = expectOneLineError(await cli(db, ["runs", "export", "seed-run-001", "--out", out]), 1);
    expect(line).toMatch(/already holds steps\.jsonl; choose another --out, or pass --force/);
    const forced = expectOneLineError(await cli(db, ["runs", "export", "seed-run-001", "--out", out, "--force"]), 1);
    expect(forced).toMatch(/not a previous export; refusing to replace them, even with --force$/);
    expect(readFileSync(join(out, "steps.jsonl"), "utf8")).toBe("my own steps\n");
    expect(readdirSync(out)).toEqual(["steps.jsonl"]);

    // A previous export is replaced with --force, and only its five files.
    const prev = join(d, "prev");
    expect((await cli(db, ["runs", "export", "seed-run-001", "--out", prev])).status).toBe(0);
    writeFileSync(join(prev, "notes.txt"), "keep\n");
    expectOneLineError(await cli(db, ["runs", "export", "seed-run-001", "--out", prev]), 1);
    const again = await cli(db, ["runs", "export", "seed-run-001", "--out", prev, "--force"]);
    expect(again.status, again.stderr).toBe(0);
    expect(readFileSync(join(prev, "notes.txt"), "utf8")).toBe("keep\n");
    expect(leftovers(prev)).toEqual([]);
  }, 120_000);
});

describe("bounded input (defect 7)", () => {
  it("scenarios add refuses a 2 GiB file, a FIFO, /dev/zero and a folder with one line, without reading them", async () => {
    const d = fresh();
    const db = await seeded(d);
    const big = join(d, "big.yaml");
    writeFileSync(big, "name: x\n");
    truncateSync(big, 2 * 1024 ** 3); // sparse
    const fifo = join(d, "pipe.yaml");
    mkfifo(fifo);
    const cases: [string, string][] = [
      [big, "file larger than 64 MiB"],
      [fifo, "not a regular file (a FIFO); give a file"],
      ["/dev/zero", "not a regular file (a character device); give a file"],
      [d, "not a regular file (a folder); give a file"],
    ];
    for (const [file, problem] of cases) {
      const r = await runCli(["--db", `file:${db}`, "scenarios", "add", file], { timeoutMs: 20_000 });
      expect(expectOneLineError(r, 1)).toBe(`error: ${file}: ${problem}`);
    }
    const fifoTraining = join(d, "pipe.jsonl");
    mkfifo(fifoTraining);
    const t = await runCli(["--db", `file:${db}`, "training", "import", fifoTraining], { timeoutMs: 20_000 });
    expect(expectOneLineError(t, 1)).toBe(`error: ${fifoTraining}: not a regular file (a FIFO); give a file`);
  }, 120_000);

  it("runs import of a 2 GiB line fails with file:line: line longer than 64 MiB and imports nothing", async () => {
    const d = fresh();
    const db = join(d, "runs.db");
    expect((await cli(db, ["init"])).status).toBe(0);
    const src = writeRunFolder(join(d, "huge"), currentRun("huge", [{ scenario: "s", passed: true }]));
    const steps = join(src, "steps.jsonl");
    const head = readFileSync(steps, "utf8");
    truncateSync(steps, Buffer.byteLength(head) + 2 * 1024 ** 3); // sparse 2 GiB last line
    const r = await cli(db, ["runs", "import", src]);
    expect(expectOneLineError(r, 1)).toBe(`error: ${steps}:${head.split("\n").length}: line longer than 64 MiB`);
    const list = await cli(db, ["--json", "runs", "list"]);
    expect((JSON.parse(list.stdout) as { items: unknown[] }).items).toEqual([]);
  }, 120_000);

  it("runs import of a folder whose instances.jsonl is a FIFO is refused instead of hanging", async () => {
    const d = fresh();
    const db = join(d, "runs.db");
    expect((await cli(db, ["init"])).status).toBe(0);
    const src = writeRunFolder(join(d, "piped"), currentRun("piped", [{ scenario: "s", passed: true }]));
    const inst = join(src, "instances.jsonl");
    rmSync(inst);
    mkfifo(inst);
    const r = await runCli(["--db", `file:${db}`, "runs", "import", src], { timeoutMs: 20_000 });
    expect(expectOneLineError(r, 1)).toBe(`error: ${inst}: not a regular file (a FIFO); give a file`);
  }, 120_000);
});
