/**
 * Acceptance lines 7 and 8, with real processes: several processes migrating one database file at the
 * same moment apply each migration exactly once, and what one process wrote is there for the next.
 * Children run the package source through tsx, so no build is needed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  DOMAINS,
  getBenchmarkRun,
  getRun,
  getScenario,
  loadMigrationFiles,
  openDatabase,
  queryInstances,
  readApplied,
  validateSchema,
} from "@verdict/db";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const DB_SOURCE = pathToFileURL(join(ROOT, "packages/db/src/index.ts")).href;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "verdict-processes-"));
  dirs.push(dir);
  return dir;
}

/**
 * The child: loads @verdict/db, says "ready", waits for "go" on stdin (so every child starts its
 * work at the same moment), does one job and prints its result as one JSON line.
 */
const CHILD = `
import { createInterface } from "node:readline";
const [mode, url] = process.argv.slice(2);
const db = await import(${JSON.stringify(DB_SOURCE)});
process.stdout.write("ready\\n");
const lines = createInterface({ input: process.stdin });
await new Promise((resolve) => lines.once("line", resolve));
lines.close();
try {
  let out;
  if (mode === "migrate") {
    const h = await db.openDatabase({ url, skipSchemaCheck: true });
    const r = await db.migrateUp(h.client);
    h.close();
    out = { applied: r.applied.map((s) => s.domain + "/" + s.name) };
  } else if (mode === "write") {
    const h = await db.openDatabase({ url, migrate: true });
    await db.createScenario(h, {
      slug: "persist-1",
      name: "survives restarts",
      target_phone: "+15550100",
      steps: [{ type: "dtmf", digits: "9#" }],
    });
    await db.recordBenchmarkRun(h, {
      run_id: "persist-bench",
      timestamp: "2026-04-01T00:00:00.000Z",
      project_name: "p",
      benchmark_name: "b",
      quality: { tests_written: 3, tests_passing: 2 },
    });
    await db.createRun(h, { id: "persist-run", started_at: "2026-04-01T00:00:00.000Z", sut_name: "shop" });
    await db.insertInstances(h.client, [
      ["persist-run", "i1", "login", null, "fail", null, null, 12.5, null, "boom"],
    ]);
    out = await read(db, h);
    h.close();
  } else {
    const h = await db.openDatabase({ url });
    out = await read(db, h);
    h.close();
  }
  process.stdout.write(JSON.stringify(out) + "\\n");
} catch (e) {
  process.stdout.write(JSON.stringify({ error: String(e && e.message ? e.message : e) }) + "\\n");
  process.exitCode = 1;
}

async function read(db, h) {
  return {
    pid: process.pid,
    scenario: await db.getScenario(h, "persist-1"),
    bench: await db.getBenchmarkRun(h, "persist-bench"),
    run: await db.getRun(h, "persist-run"),
    instances: (await db.queryInstances(h, { run_id: "persist-run" })).items,
  };
}
`;

interface ChildResult {
  code: number | null;
  out: Record<string, unknown> | null;
  stderr: string;
}

function childScript(): string {
  const file = join(tempDir(), "child.mts");
  writeFileSync(file, CHILD);
  return file;
}

/** Starts the children, waits until each is ready, then tells all of them to go at once. */
async function runTogether(script: string, jobs: [string, string][]): Promise<ChildResult[]> {
  const children: ChildProcess[] = [];
  const results: Promise<ChildResult>[] = [];
  const ready: Promise<void>[] = [];
  for (const [mode, url] of jobs) {
    const child = spawn(process.execPath, ["--conditions=@verdict/source", "--import", "tsx", script, mode, url], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "pipe"],
    });
    children.push(child);
    let stdout = "";
    let stderr = "";
    let signalReady: () => void = () => undefined;
    ready.push(new Promise<void>((r) => (signalReady = r)));
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.startsWith("ready\n")) signalReady();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    results.push(
      new Promise((resolveResult) => {
        child.on("close", (code) => {
          signalReady();
          const last = stdout.trim().split("\n").at(-1) ?? "";
          let out: Record<string, unknown> | null = null;
          try {
            out = last === "ready" ? null : (JSON.parse(last) as Record<string, unknown>);
          } catch {
            out = null;
          }
          resolveResult({ code, out, stderr });
        });
      }),
    );
  }
  const timer = setTimeout(() => {
    for (const c of children) if (c.exitCode === null && c.pid !== undefined) c.kill("SIGKILL");
  }, 45_000);
  try {
    await Promise.all(ready);
    for (const c of children) c.stdin?.write("go\n");
    return await Promise.all(results);
  } finally {
    clearTimeout(timer);
  }
}

function shippedMigrations(): string[] {
  return DOMAINS.flatMap((d) => loadMigrationFiles(d).map((f) => `${d}/${f.name}`)).sort();
}

describe("several processes on one database file", () => {
  it("three processes migrating an empty file at once apply each migration exactly once (two rounds)", async () => {
    const script = childScript();
    const expected = shippedMigrations();
    expect(expected.length).toBeGreaterThanOrEqual(5);
    for (let round = 0; round < 2; round++) {
      const url = `file:${join(tempDir(), "shared.db")}`;
      const results = await runTogether(script, [
        ["migrate", url],
        ["migrate", url],
        ["migrate", url],
      ]);
      for (const r of results) expect(r.code, `child failed: ${JSON.stringify(r.out)} ${r.stderr}`).toBe(0);
      const appliedByChild = results.map((r) => (r.out?.applied ?? []) as string[]);
      // Every migration was applied by exactly one of the children.
      expect(appliedByChild.flat().sort()).toEqual(expected);

      const h = await openDatabase({ url });
      try {
        const ledger = await h.client.execute(
          "SELECT domain || '/' || name AS m, count(*) AS n FROM _verdict_migrations GROUP BY domain, name ORDER BY m",
        );
        expect(ledger.rows.map((r) => [String(r.m), Number(r.n)])).toEqual(expected.map((m) => [m, 1]));
        expect(await validateSchema(h.client)).toEqual([]);
        const fkViolations = await h.client.execute(
          "SELECT count(*) AS n FROM _verdict_migrations WHERE fk_violations <> 0",
        );
        expect(Number(fkViolations.rows[0]?.n)).toBe(0);
      } finally {
        h.close();
      }
    }
  });

  it("data written by one process is read back by the next one, and by this one", async () => {
    const script = childScript();
    const url = `file:${join(tempDir(), "persist.db")}`;
    const [writer] = await runTogether(script, [["write", url]]);
    expect(writer?.code, JSON.stringify(writer?.out)).toBe(0);
    const [reader] = await runTogether(script, [["read", url]]);
    expect(reader?.code, JSON.stringify(reader?.out)).toBe(0);

    const { pid: writerPid, ...written } = writer?.out ?? {};
    const { pid: readerPid, ...read } = reader?.out ?? {};
    expect(readerPid).not.toBe(writerPid);
    expect(read).toEqual(written);
    expect(written).toMatchObject({
      scenario: { slug: "persist-1", steps: [{ type: "dtmf", digits: "9#" }] },
      bench: { run_id: "persist-bench", quality: { tests_written: 3, tests_passing: 2 } },
      run: { id: "persist-run", sut_name: "shop" },
      instances: [{ id: "i1", status: "fail", duration_ms: 12.5, error: "boom" }],
    });

    const h = await openDatabase({ url });
    try {
      const here = {
        scenario: await getScenario(h, "persist-1"),
        bench: await getBenchmarkRun(h, "persist-bench"),
        run: await getRun(h, "persist-run"),
        instances: (await queryInstances(h, { run_id: "persist-run" })).items,
      };
      expect(JSON.parse(JSON.stringify(here))).toEqual(written);
      expect((await readApplied(h.client)).length).toBe(shippedMigrations().length);
    } finally {
      h.close();
    }
  });
});
