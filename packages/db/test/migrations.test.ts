/**
 * Acceptance line 6: the migration runner. Every test works on its own copy of the migrations folder
 * (the `migrationsDir` option), so changing, removing or adding files never touches the real ones.
 * Runs on a real file and on `:memory:`; refusals of openDatabase itself need a file to reopen.
 */
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  DEFAULT_MIGRATIONS_DIR,
  DOMAINS,
  MigrationError,
  SchemaMismatchError,
  type VerdictDb,
  checkSchema,
  loadMigrationFiles,
  migrateDown,
  migrateUp,
  migrationStatus,
  openDatabase,
  readApplied,
  validateSchema,
} from "@verdict/db";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "verdict-migrations-"));
  dirs.push(dir);
  return dir;
}
function fileUrl(): string {
  return `file:${join(tempDir(), "verdict.db")}`;
}
/** A private copy of the shipped migrations folder. */
function copyMigrations(): string {
  const dir = join(tempDir(), "migrations");
  cpSync(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}
const TARGETS: [string, () => string][] = [
  ["file", fileUrl],
  [":memory:", () => ":memory:"],
];

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("the call was expected to fail but succeeded");
}

/** Every catalogue row but the page numbers. */
async function catalogue(h: VerdictDb): Promise<string[]> {
  const rs = await h.client.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name");
  return rs.rows.map((r) => JSON.stringify([r.type, r.name, r.tbl_name, r.sql]));
}

async function names(h: VerdictDb, type: string): Promise<string[]> {
  const rs = await h.client.execute({
    sql: "SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%' ORDER BY name",
    args: [type],
  });
  return rs.rows.map((r) => String(r.name));
}

/** domain/name of every migration in a folder. */
function shipped(dir: string): string[] {
  return DOMAINS.flatMap((d) => loadMigrationFiles(d, { migrationsDir: dir }).map((f) => `${d}/${f.name}`)).sort();
}

async function ledger(h: VerdictDb): Promise<string[]> {
  return (await readApplied(h.client)).map((a) => `${a.domain}/${a.name}`).sort();
}

describe.each(TARGETS)("migration runner on %s", (_label, url) => {
  let h: VerdictDb;
  let dir: string;
  const open = async () => {
    dir = copyMigrations();
    h = await openDatabase({ url: url(), skipSchemaCheck: true, migrationsDir: dir });
    return h;
  };
  afterEach(() => h.close());

  it("up from empty, down to zero, up again gives the identical schema", async () => {
    await open();
    expect(await names(h, "table")).toEqual([]);
    const up = await migrateUp(h.client, { migrationsDir: dir });
    expect(up.applied.map((s) => `${s.domain}/${s.name}`).sort()).toEqual(shipped(dir));
    expect(up.applied.length).toBeGreaterThanOrEqual(5);
    expect(await ledger(h)).toEqual(shipped(dir));
    expect(await validateSchema(h.client, { migrationsDir: dir })).toEqual([]);
    const first = await catalogue(h);
    expect((await names(h, "table")).length).toBeGreaterThanOrEqual(14);

    const down = await migrateDown(h.client, { to: "0", migrationsDir: dir });
    expect(down.applied.length).toBe(up.applied.length);
    expect(down.applied.every((s) => s.direction === "down")).toBe(true);
    // Within a domain the newest goes first.
    const ivrOrder = down.applied.filter((s) => s.domain === "ivr").map((s) => s.name);
    expect(ivrOrder).toEqual([...ivrOrder].sort().reverse());
    expect(await names(h, "table")).toEqual(["_verdict_migrations"]);
    expect(await names(h, "index")).toEqual([]);
    expect(await names(h, "trigger")).toEqual([]);
    expect(await ledger(h)).toEqual([]);

    const again = await migrateUp(h.client, { migrationsDir: dir });
    expect(again.applied.length).toBe(up.applied.length);
    expect(await catalogue(h)).toEqual(first);
  });

  it("re-running up is a no-op", async () => {
    await open();
    await migrateUp(h.client, { migrationsDir: dir });
    const before = await readApplied(h.client);
    const schema = await catalogue(h);
    const again = await migrateUp(h.client, { migrationsDir: dir });
    expect(again).toEqual({ applied: [], dryRun: false });
    expect(await readApplied(h.client)).toEqual(before);
    expect(await catalogue(h)).toEqual(schema);
  });

  it("--dry-run plans without executing, up and down", async () => {
    await open();
    const plan = await migrateUp(h.client, { migrationsDir: dir, dryRun: true });
    expect(plan.dryRun).toBe(true);
    expect(plan.applied.map((s) => `${s.domain}/${s.name}`).sort()).toEqual(shipped(dir));
    expect(plan.applied.every((s) => s.statements.length > 0)).toBe(true);
    expect(await catalogue(h)).toEqual([]);

    await migrateUp(h.client, { migrationsDir: dir });
    const schema = await catalogue(h);
    const applied = await readApplied(h.client);
    const downPlan = await migrateDown(h.client, { to: "0", migrationsDir: dir, dryRun: true });
    expect(downPlan.dryRun).toBe(true);
    expect(downPlan.applied).toHaveLength(applied.length);
    expect(downPlan.applied.some((s) => s.statements.some((sql) => /DROP TABLE/i.test(sql)))).toBe(true);
    expect(await catalogue(h)).toEqual(schema);
    expect(await readApplied(h.client)).toEqual(applied);
  });

  it("up --to stops at the named migration; down --to keeps it", async () => {
    await open();
    const r = await migrateUp(h.client, { migrationsDir: dir, domains: ["ivr"], to: "0000_init_ivr" });
    expect(r.applied.map((s) => s.name)).toEqual(["0000_init_ivr"]);
    expect(await names(h, "trigger")).toEqual([]);
    await migrateUp(h.client, { migrationsDir: dir, domains: ["ivr"] });
    expect(await names(h, "trigger")).toEqual(["ivr_targets_updated_at", "test_scenarios_updated_at"]);
    const d = await migrateDown(h.client, { migrationsDir: dir, domains: ["ivr"], to: "0000_init_ivr" });
    expect(d.applied.map((s) => s.name)).toEqual([
      "0004_ivr_integer_ids",
      "0003_ivr_targets",
      "0002_step_unique",
      "0001_updated_at_trigger",
    ]);
    expect(await names(h, "trigger")).toEqual([]);
    expect(await ledger(h)).toEqual(["ivr/0000_init_ivr"]);
    const unknown = await rejection(migrateUp(h.client, { migrationsDir: dir, domains: ["ivr"], to: "9999_nope" }));
    expect(unknown).toBeInstanceOf(MigrationError);
    expect((unknown as Error).message).toContain("9999_nope");
  });

  it("down refuses to drop a table that holds rows unless forced, and changes nothing when refusing", async () => {
    await open();
    await migrateUp(h.client, { migrationsDir: dir });
    await h.client.execute(
      "INSERT INTO test_scenarios (slug, name, target_phone, steps) VALUES ('s1', 'n', '+1', '[]')",
    );
    const schema = await catalogue(h);
    const applied = await readApplied(h.client);

    const err = await rejection(migrateDown(h.client, { to: "0", migrationsDir: dir }));
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as Error).message).toContain("test_scenarios holds 1 row(s)");
    expect((err as Error).message).toContain("--force");
    expect(await catalogue(h)).toEqual(schema);
    expect(await readApplied(h.client)).toEqual(applied);
    const rows = await h.client.execute("SELECT count(*) AS n FROM test_scenarios");
    expect(Number(rows.rows[0]?.n)).toBe(1);

    // Other domains hold no rows and may go down on their own.
    await migrateDown(h.client, { to: "0", migrationsDir: dir, domains: ["metrics"] });
    expect(await names(h, "table")).not.toContain("benchmark_runs");

    const forced = await migrateDown(h.client, { to: "0", migrationsDir: dir, force: true });
    expect(forced.applied.length).toBeGreaterThan(0);
    expect(await names(h, "table")).toEqual(["_verdict_migrations"]);
  });

  it("validateSchema reports an extra index, a dropped index and a changed trigger", async () => {
    await open();
    await migrateUp(h.client, { migrationsDir: dir });
    expect(await validateSchema(h.client, { migrationsDir: dir })).toEqual([]);

    await h.client.execute("CREATE INDEX manual_idx ON test_scenarios (target_phone)");
    await h.client.execute("DROP INDEX test_executions_call_id_idx");
    await h.client.execute("DROP TRIGGER test_scenarios_updated_at");
    await h.client.execute(
      "CREATE TRIGGER test_scenarios_updated_at AFTER UPDATE ON test_scenarios BEGIN SELECT 1; END",
    );

    const diffs = await validateSchema(h.client, { migrationsDir: dir });
    const summary = diffs.map((d) => `${d.kind} ${d.type} ${d.name}`).sort();
    expect(summary).toEqual([
      "different trigger test_scenarios_updated_at",
      "missing index test_executions_call_id_idx",
      "unexpected index manual_idx",
    ]);
    const missing = diffs.find((d) => d.kind === "missing");
    expect(missing?.expected).toContain("call_id");
    expect(missing?.actual).toBeNull();
  });

  it("an applied migration whose file changed is refused everywhere, naming the file", async () => {
    await open();
    await migrateUp(h.client, { migrationsDir: dir });
    const file = join(dir, "metrics", "0000_init_metrics.sql");
    appendFileSync(
      file,
      "\n--> statement-breakpoint\nCREATE INDEX `sneaky_idx` ON `benchmark_runs` (`project_name`);\n",
    );

    const status = await migrationStatus(h.client, DOMAINS, { migrationsDir: dir });
    const changed = status.filter((r) => r.state === "changed");
    expect(changed).toEqual([expect.objectContaining({ domain: "metrics", name: "0000_init_metrics", file })]);

    const check = await rejection(checkSchema(h.client, DOMAINS, { migrationsDir: dir }));
    expect(check).toBeInstanceOf(SchemaMismatchError);
    expect((check as Error).message).toContain(file);

    for (const run of [
      () => migrateUp(h.client, { migrationsDir: dir }),
      () => migrateDown(h.client, { to: "0", migrationsDir: dir }),
    ]) {
      const err = await rejection(run());
      expect(err).toBeInstanceOf(SchemaMismatchError);
      expect((err as Error).message).toContain(file);
    }
    // The edit adds an index the database never got: validate sees that too.
    const diffs = await validateSchema(h.client, { migrationsDir: dir });
    expect(diffs.map((d) => `${d.kind} ${d.name}`)).toEqual(["missing sneaky_idx"]);
  });

  it("an applied migration whose file vanished is refused, naming it", async () => {
    await open();
    await migrateUp(h.client, { migrationsDir: dir });
    rmSync(join(dir, "ivr", "0001_updated_at_trigger.sql"));
    rmSync(join(dir, "ivr", "0001_updated_at_trigger.down.sql"));

    const status = await migrationStatus(h.client, DOMAINS, { migrationsDir: dir });
    expect(status.filter((r) => r.state === "missing")).toEqual([
      expect.objectContaining({ domain: "ivr", name: "0001_updated_at_trigger", file: null }),
    ]);
    for (const run of [
      () => checkSchema(h.client, DOMAINS, { migrationsDir: dir }),
      () => migrateUp(h.client, { migrationsDir: dir }),
      () => migrateDown(h.client, { to: "0", migrationsDir: dir }),
    ]) {
      const err = await rejection(run());
      expect(err).toBeInstanceOf(SchemaMismatchError);
      expect((err as Error).message).toContain("ivr/0001_updated_at_trigger");
    }
  });

  it("an unapplied migration with an older name than applied ones is applied, not skipped", async () => {
    await open();
    await migrateUp(h.client, { migrationsDir: dir });
    // (on a table no later migration rebuilds: a rebuild would drop the index with its table)
    writeFileSync(
      join(dir, "ivr", "0003a_extra.sql"),
      "CREATE INDEX `test_scenarios_phone_idx` ON `ivr_targets` (`url`);",
    );
    writeFileSync(join(dir, "ivr", "0003a_extra.down.sql"), "DROP INDEX IF EXISTS `test_scenarios_phone_idx`;");

    const pending = (await migrationStatus(h.client, DOMAINS, { migrationsDir: dir })).filter(
      (r) => r.state === "pending",
    );
    expect(pending.map((r) => `${r.domain}/${r.name}`)).toEqual(["ivr/0003a_extra"]);
    const behind = await rejection(checkSchema(h.client, DOMAINS, { migrationsDir: dir }));
    expect(behind).toBeInstanceOf(SchemaMismatchError);
    expect((behind as Error).message).toContain("0003a_extra");

    const up = await migrateUp(h.client, { migrationsDir: dir });
    expect(up.applied.map((s) => `${s.domain}/${s.name}`)).toEqual(["ivr/0003a_extra"]);
    expect(await names(h, "index")).toContain("test_scenarios_phone_idx");
    expect(await validateSchema(h.client, { migrationsDir: dir })).toEqual([]);
    await checkSchema(h.client, DOMAINS, { migrationsDir: dir });

    // Going down past it reverts the newer one first, then it.
    // (the queue goes first: it points at IVR executions, and ivr/0004 refuses to go while queue/0001 is applied)
    const down = await migrateDown(h.client, { to: "0000_init_ivr", domains: ["ivr", "queue"], migrationsDir: dir });
    expect(down.applied.filter((s) => s.domain === "queue").map((s) => s.name)).toEqual([
      "0001_ivr_queue_items",
      "0000_init_queue",
    ]);
    expect(down.applied.filter((s) => s.domain === "ivr").map((s) => s.name)).toEqual([
      "0004_ivr_integer_ids",
      "0003a_extra",
      "0003_ivr_targets",
      "0002_step_unique",
      "0001_updated_at_trigger",
    ]);
    expect(await names(h, "index")).not.toContain("test_scenarios_phone_idx");
  });

  it("a failing migration is rolled back whole and left pending, the error naming it", async () => {
    await open();
    writeFileSync(
      join(dir, "runs", "0001_broken.sql"),
      "CREATE TABLE half_done (x integer);\n--> statement-breakpoint\nINSERT INTO no_such_table VALUES (1);",
    );
    writeFileSync(join(dir, "runs", "0001_broken.down.sql"), "DROP TABLE half_done;");
    const err = await rejection(migrateUp(h.client, { migrationsDir: dir }));
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as Error).message).toContain("runs/0001_broken");
    expect((err as Error).message).toContain("no_such_table");
    expect(await names(h, "table")).not.toContain("half_done");
    expect(await ledger(h)).not.toContain("runs/0001_broken");
    const state = (await migrationStatus(h.client, DOMAINS, { migrationsDir: dir })).find(
      (r) => r.name === "0001_broken",
    );
    expect(state?.state).toBe("pending");
  });

  it("a migration without its .down.sql twin is refused, naming the missing file", async () => {
    await open();
    writeFileSync(join(dir, "metrics", "0001_no_down.sql"), "CREATE TABLE t (x integer);");
    const err = await rejection(migrateUp(h.client, { migrationsDir: dir }));
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as Error).message).toContain(join(dir, "metrics", "0001_no_down.down.sql"));
    expect(await names(h, "table")).toEqual([]);
  });
});

describe("openDatabase refuses a database it cannot trust (file)", () => {
  it("behind the code: names `verdict migrate up` and the pending migration", async () => {
    const dir = copyMigrations();
    const url = fileUrl();
    const setup = await openDatabase({ url, skipSchemaCheck: true, migrationsDir: dir });
    await migrateUp(setup.client, { migrationsDir: dir, domains: ["ivr"], to: "0000_init_ivr" });
    setup.close();

    const err = await rejection(openDatabase({ url, domains: ["ivr"], migrationsDir: dir }));
    expect(err).toBeInstanceOf(SchemaMismatchError);
    expect((err as Error).message).toContain("verdict migrate up");
    expect((err as Error).message).toContain("0001_updated_at_trigger");
    expect((err as SchemaMismatchError).fix).toBe("verdict migrate up");

    // With migrate: true the same open brings it up to date.
    const h = await openDatabase({ url, domains: ["ivr"], migrationsDir: dir, migrate: true });
    expect((await readApplied(h.client)).map((a) => a.name)).toEqual([
      "0000_init_ivr",
      "0001_updated_at_trigger",
      "0002_step_unique",
      "0003_ivr_targets",
      "0004_ivr_integer_ids",
    ]);
    h.close();
  });

  it("empty: names the domain and how to create it", async () => {
    const err = await rejection(
      openDatabase({ url: fileUrl(), domains: ["metrics"], migrationsDir: copyMigrations() }),
    );
    expect(err).toBeInstanceOf(SchemaMismatchError);
    expect((err as Error).message).toContain("no metrics tables");
    expect((err as Error).message).toContain("verdict migrate up --domain metrics");
  });

  it("a changed migration file: names the file, even when the caller does not need that domain", async () => {
    const dir = copyMigrations();
    const url = fileUrl();
    const setup = await openDatabase({ url, migrate: true, migrationsDir: dir });
    setup.close();
    const file = join(dir, "metrics", "0000_init_metrics.sql");
    appendFileSync(file, "\n-- edited after it ran\n");
    for (const domains of [undefined, ["metrics" as const], ["runs" as const]]) {
      const err = await rejection(openDatabase({ url, migrationsDir: dir, ...(domains ? { domains } : {}) }));
      expect(err).toBeInstanceOf(SchemaMismatchError);
      expect((err as Error).message).toContain(file);
    }
  });

  it("a vanished migration file: names it", async () => {
    const dir = copyMigrations();
    const url = fileUrl();
    const setup = await openDatabase({ url, migrate: true, migrationsDir: dir });
    setup.close();
    rmSync(join(dir, "runs", "0000_init_runs.sql"));
    const err = await rejection(openDatabase({ url, migrationsDir: dir }));
    expect(err).toBeInstanceOf(SchemaMismatchError);
    expect((err as Error).message).toContain("runs/0000_init_runs");
  });

  it("an up-to-date database opens, and its data is there after reopening", async () => {
    const dir = copyMigrations();
    const url = fileUrl();
    const a = await openDatabase({ url, migrate: true, migrationsDir: dir });
    await a.client.execute("INSERT INTO runs (id, started_at, sut_name) VALUES ('r', '2026-01-01T00:00:00Z', 's')");
    a.close();
    const b = await openDatabase({ url, migrationsDir: dir });
    expect(b.kind).toBe("file");
    const rs = await b.client.execute("SELECT id FROM runs");
    expect(rs.rows.map((r) => r.id)).toEqual(["r"]);
    const mode = await b.client.execute("PRAGMA journal_mode");
    expect(String(mode.rows[0]?.journal_mode)).toBe("wal");
    b.close();
  });
});
