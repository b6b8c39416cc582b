import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, readFileSync } from "node:fs";
import { createClient } from "@libsql/client";
import {
  StorageError,
  type VerdictDb,
  createScenario,
  getScenario,
  listScenarios,
  openDatabase,
  verdictErrorIn,
} from "@verdict/db";
import { CLI_PATH, type TempDir, ensureCliBuilt, runCli, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rejection } from "./helpers.js";

/**
 * A database that may not be written is still readable: opening never switches it to WAL, never
 * migrates and never records anything; reads work, and writes fail with one StorageError line
 * (kind read_only) that names the database and why it is read-only.
 */
const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

function scenario(id: string) {
  return { slug: id, name: id, target_phone: "+15550100100", steps: [{ type: "dtmf" as const, digits: "1" }] };
}

function expectReadOnly(e: unknown, database: string, reason: RegExp): void {
  const err = verdictErrorIn(e);
  expect(err, String(e)).toBeInstanceOf(StorageError);
  expect((err as StorageError).kind).toBe("read_only");
  expect(err?.message).toContain(database);
  expect(err?.message).toMatch(reason);
  expect(err?.message).not.toMatch(/\n|INSERT|SQLITE_READONLY/);
}

/**
 * A migrated database holding one scenario, as a fresh copy (VACUUM INTO) that no connection of this
 * process keeps open, in the given journal mode (rollback mode shows any WAL switch in its header).
 */
async function makeDb(dir: TempDir, name: string, journal: "DELETE" | "WAL"): Promise<string> {
  const path = dir.file(name);
  const h = await openDatabase({ url: `file:${dir.file(`${name}.source`)}`, migrate: true });
  await createScenario(h, scenario("kept"));
  await h.client.execute({ sql: "VACUUM INTO ?", args: [path] });
  h.close();
  if (journal === "WAL") {
    const raw = createClient({ url: `file:${path}` });
    await raw.execute("PRAGMA journal_mode = WAL");
    raw.close();
  }
  expect(readFileSync(path)[18]).toBe(journal === "WAL" ? 2 : 1);
  return path;
}

describe("opening a file read-only in-process", () => {
  let dir: TempDir;
  beforeAll(() => {
    dir = tempDir("verdict-ro-");
  });
  afterAll(() => dir.cleanup());

  for (const how of ["readOnly option", "file:...?mode=ro URL"] as const) {
    it(`${how}: reads work, writes and migrations fail with read_only, the file is not touched`, async () => {
      const path = await makeDb(dir, `${how.startsWith("read") ? "opt" : "url"}.db`, "DELETE");
      const before = sha(path);
      const url = how === "readOnly option" ? `file:${path}` : `file:${path}?mode=ro`;
      const h: VerdictDb = await openDatabase({ url, ...(how === "readOnly option" ? { readOnly: true } : {}) });
      try {
        expect(h.readOnly).toBe(true);
        expect((await getScenario(h, "kept")).name).toBe("kept");
        expect((await listScenarios(h, {})).items.map((s) => s.slug)).toEqual(["kept"]);
        const reason = how === "readOnly option" ? /--read-only/ : /mode=ro/;
        expectReadOnly(await rejection(createScenario(h, scenario("new"))), path, reason);
        expectReadOnly(await rejection(h.client.execute("DELETE FROM test_scenarios")), path, reason);
        expectReadOnly(await rejection(h.client.transaction("write")), path, reason);
      } finally {
        h.close();
      }
      expectReadOnly(await rejection(openDatabase({ url, readOnly: true, migrate: true })), path, /cannot migrate/);
      expect(sha(path)).toBe(before);
      expect(readFileSync(path)[18]).toBe(1); // still in rollback-journal mode: no WAL switch
      expect(existsSync(`${path}-wal`)).toBe(false);
    });
  }

  it("a read-only open of a missing file does not create it", async () => {
    const path = dir.file("missing.db");
    const err = verdictErrorIn(await rejection(openDatabase({ url: `file:${path}`, readOnly: true })));
    expect(err).toBeInstanceOf(StorageError);
    expect(err?.message).toBe(`${path} does not exist (a read-only open never creates it)`);
    expect(existsSync(path)).toBe(false);
  });
});

describe("the CLI on a read-only database", () => {
  let dir: TempDir;
  beforeAll(() => {
    ensureCliBuilt();
    dir = tempDir("verdict-ro-cli-");
  }, 240_000);
  afterAll(() => dir.cleanup());

  for (const how of ["--read-only", "VERDICT_DB_READ_ONLY=1"] as const) {
    it(`${how}: read commands work, write commands exit 1 with one read_only line`, async () => {
      const path = await makeDb(dir, `${how.startsWith("--") ? "flag" : "env"}.db`, "WAL");
      const before = sha(path);
      const flag = how === "--read-only" ? ["--read-only"] : [];
      const env: Record<string, string> = how === "--read-only" ? {} : { VERDICT_DB_READ_ONLY: "1" };
      const list = await runCli(["--db", `file:${path}`, ...flag, "--json", "scenarios", "list"], { env });
      expect(list.status, list.stderr).toBe(0);
      expect(JSON.stringify(JSON.parse(list.stdout))).toContain('"kept"');
      const write = await runCli(["--db", `file:${path}`, ...flag, "tokens", "create", "--name", "nope"], { env });
      expect(write.status, write.stderr).toBe(1);
      expect(write.stderr.trimEnd().split("\n")).toEqual([
        `error: ${path} is open for reads only (opened with --read-only (VERDICT_DB_READ_ONLY)): this needs to write to it`,
      ]);
      expect(sha(path)).toBe(before);
    });
  }

  const nobody = process.getuid?.() === 0 && spawnSync("setpriv", ["--version"]).status === 0;
  for (const folder of ["read-only folder", "writable folder"] as const) {
    it.skipIf(!nobody)(
      `a 0444 file in a ${folder}, as a non-root user: reads work, writes fail naming the file`,
      async () => {
        const sub = dir.file(folder.replace(/ /g, "-"));
        spawnSync("mkdir", ["-p", sub]);
        const path = await makeDb({ ...dir, file: (n: string) => `${sub}/${n}` }, "perm.db", "WAL");
        chmodSync(path, 0o444);
        chmodSync(sub, folder === "read-only folder" ? 0o555 : 0o777);
        chmodSync(dir.path, 0o755);
        const before = sha(path);
        const asNobody = (...args: string[]) =>
          spawnSync(
            "setpriv",
            ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, CLI_PATH, ...args],
            {
              encoding: "utf8",
              cwd: "/",
              env: { ...process.env, NO_COLOR: "1" },
            },
          );
        const list = asNobody("--db", `file:${path}`, "--json", "scenarios", "list");
        expect(list.status, list.stderr).toBe(0);
        expect(list.stdout).toContain('"kept"');
        const write = asNobody("--db", `file:${path}`, "tokens", "create", "--name", "nope");
        expect(write.status, write.stderr).toBe(1);
        const lines = write.stderr.trimEnd().split("\n");
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(
          new RegExp(
            `^error: ${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is open for reads only \\((the file|its folder) .*not writable`,
          ),
        );
        expect(sha(path)).toBe(before);
      },
    );
  }
});
