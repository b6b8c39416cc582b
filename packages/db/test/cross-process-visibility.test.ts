/**
 * A process that keeps a database open (a server, a worker, this test process) and opens it again
 * later still sees what other processes commit.
 *
 * The bug this guards against: openDatabase read the file's header through a file descriptor of its
 * own (to refuse turbulence.db) and closed it. POSIX drops every lock a process holds on a file when
 * it closes any descriptor of that file, so the connections already open in the process lost their
 * locks; another process then took itself for the last connection, deleted the WAL and its -shm
 * index on close, and this process went on reading the deleted index: fresh connections saw an old
 * state (an IVR target deleted by the CLI was still listed, rows another process added were missing).
 * Real processes, real files: each writer is a child process with its own libSQL connection.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tempDir } from "@verdict/testing";
import { afterAll, describe, expect, it } from "vitest";
import { type VerdictDb, openDatabase } from "@verdict/db";

const dir = tempDir("verdict-visibility-");
const path = dir.file("verdict.db");
const url = `file:${path}`;
// The driver @verdict/db itself uses, loaded by the child processes.
const LIBSQL = createRequire(createRequire(import.meta.url).resolve("@verdict/db")).resolve("libsql");

/** A child process opens the file, inserts one row in a transaction, closes it and exits. */
function childInserts(name: string): void {
  const script = `
    const Database = require(${JSON.stringify(LIBSQL)});
    const db = new Database(${JSON.stringify(path)});
    db.exec("BEGIN IMMEDIATE");
    db.prepare("INSERT INTO ivr_targets (name, channel, url, options) VALUES (?, 'webhook', 'http://127.0.0.1:9/x', '{}')").run([process.argv[1]]);
    db.exec("COMMIT");
    db.close();`;
  execFileSync(process.execPath, ["-e", script, name], { stdio: ["ignore", "ignore", "inherit"] });
}

async function namesSeenByANewHandle(): Promise<string[]> {
  const h = await openDatabase({ url });
  try {
    return (await h.client.execute("SELECT name FROM ivr_targets ORDER BY name")).rows.map((r) => String(r.name));
  } finally {
    h.close();
  }
}

/** The -shm files this process has mapped (a deleted one is listed with " (deleted)"). */
const mappedShm = () =>
  readFileSync("/proc/self/maps", "utf8")
    .split("\n")
    .filter((l) => l.includes(`${path}-shm`));

let kept: VerdictDb | null = null;
afterAll(() => {
  kept?.close();
  dir.cleanup();
});

describe("commits of other processes stay visible to a process that keeps the database open", () => {
  it("every new handle, and the one kept open, sees each row a child process added", async () => {
    (await openDatabase({ url, migrate: true })).close();
    // Like `verdict serve`: one handle open for the life of the process.
    kept = await openDatabase({ url });
    const expected: string[] = [];
    for (let i = 0; i < 12; i++) {
      const name = `t${String(i).padStart(2, "0")}`;
      childInserts(name);
      expected.push(name);
      expect(await namesSeenByANewHandle(), `after child ${i}`).toEqual(expected);
      const viaKept = (await kept.client.execute("SELECT name FROM ivr_targets ORDER BY name")).rows.map((r) =>
        String(r.name),
      );
      expect(viaKept, `kept handle after child ${i}`).toEqual(expected);
    }
    expect(mappedShm().filter((l) => l.includes("(deleted)"))).toEqual([]);
  });
});
