/**
 * Acceptance line 10: `verdict init`, `migrate` and `seed` run as the built CLI in a subprocess on real
 * database files. User mistakes exit 1 (or 2 for usage) with one line on stderr and no stack trace.
 *
 * The CLI always uses the migrations shipped with @verdict/db, which other work may be reading at the
 * same time, so a "changed" or "vanished" migration is produced from the other side: the ledger row's
 * checksum is altered (exactly what the runner compares against the file), or a row for a migration
 * that has no file is added.
 */
import { existsSync } from "node:fs";
import { DEFAULT_MIGRATIONS_DIR, DOMAINS, loadMigrationFiles, openDatabase } from "@verdict/db";
import { ensureCliBuilt, runCli, tempDir } from "@verdict/testing";
import { expectOneLineError } from "./helpers.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const dir = tempDir("verdict-cli-db-");
let n = 0;
const freshUrl = () => `file:${dir.file(`db-${++n}.db`)}`;

beforeAll(() => {
  ensureCliBuilt();
}, 180_000);
afterAll(() => dir.cleanup());

const cli = (url: string, args: string[]) => runCli(["--db", url, ...args]);

async function tableNames(url: string): Promise<string[]> {
  const h = await openDatabase({ url, skipSchemaCheck: true });
  try {
    const rs = await h.client.execute(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    );
    return rs.rows.map((r) => String(r.name));
  } finally {
    h.close();
  }
}

async function sql(url: string, statement: string): Promise<void> {
  const h = await openDatabase({ url, skipSchemaCheck: true });
  try {
    await h.client.execute(statement);
  } finally {
    h.close();
  }
}

const shipped = () => DOMAINS.flatMap((d) => loadMigrationFiles(d).map((f) => `${d}/${f.name}`)).sort();

describe.concurrent("verdict init / migrate / seed (built CLI)", () => {
  it("init --seed creates and fills a database; running it again adds nothing", async () => {
    const url = freshUrl();
    const first = await cli(url, ["init", "--seed"]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toContain(`ready ${url} (${shipped().length} migration(s) applied)`);
    expect(first.stderr).toContain("seeded: 3 scenarios, 2 executions, 70 training, 2 benchmarks, 1 runs");

    const again = await cli(url, ["--json", "init", "--seed"]);
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({
      database: url,
      migrated: [],
      seeded: { scenarios: 0, executions: 0, training: 0, benchmarks: 0, runs: 0 },
    });

    const h = await openDatabase({ url });
    try {
      const rs = await h.client.execute(
        "SELECT (SELECT count(*) FROM test_scenarios) AS s, (SELECT count(*) FROM benchmark_runs) AS b, (SELECT count(*) FROM instances) AS i",
      );
      expect(rs.rows[0]).toMatchObject({ s: 3, b: 2, i: 12 });
    } finally {
      h.close();
    }
  });

  it("migrate status --json lists every shipped migration as applied; validate says valid", async () => {
    const url = freshUrl();
    expect((await cli(url, ["init"])).status).toBe(0);

    const status = await cli(url, ["--json", "migrate", "status"]);
    expect(status.status, status.stderr).toBe(0);
    const { items: rows } = JSON.parse(status.stdout) as {
      items: { domain: string; name: string; state: string; file: string }[];
    };
    expect(rows.map((r) => `${r.domain}/${r.name}`).sort()).toEqual(shipped());
    expect(new Set(rows.map((r) => r.state))).toEqual(new Set(["applied"]));
    for (const r of rows) expect(existsSync(r.file), r.file).toBe(true);

    const valid = await cli(url, ["migrate", "validate"]);
    expect(valid.status, valid.stderr).toBe(0);
    expect(valid.stderr).toContain("schema valid");

    const json = await cli(url, ["--json", "migrate", "validate"]);
    expect(JSON.parse(json.stdout)).toEqual({ ok: true, tampered: [], pending: [], differences: [] });
  });

  it("migrate validate reports a manual schema change and exits 1", async () => {
    const url = freshUrl();
    expect((await cli(url, ["init"])).status).toBe(0);
    await sql(url, "CREATE INDEX manual_idx ON runs (seed)");
    await sql(url, "DROP INDEX steps_run_service_idx");
    const r = await cli(url, ["migrate", "validate"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("unexpected index manual_idx");
    expect(r.stderr).toContain("missing index steps_run_service_idx");
    expect(r.stderr).toContain("schema invalid");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("migrate up --dry-run prints the SQL and creates nothing; migrate up then applies it", async () => {
    const url = freshUrl();
    const dry = await cli(url, ["migrate", "up", "--dry-run"]);
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toContain("-- up ivr/0000_init_ivr");
    expect(dry.stdout).toContain("CREATE TABLE `test_scenarios`");
    expect(await tableNames(url)).toEqual([]);

    const up = await cli(url, ["--json", "migrate", "up"]);
    expect(up.status, up.stderr).toBe(0);
    const applied = JSON.parse(up.stdout) as { migrations: { domain: string; name: string }[] };
    expect(applied.migrations.map((m) => `${m.domain}/${m.name}`).sort()).toEqual(shipped());
    const again = await cli(url, ["migrate", "up"]);
    expect(again.status).toBe(0);
    expect(again.stderr).toContain("already up to date");
  });

  it("migrate down --to 0 on data is refused with one line; --force drops everything", async () => {
    const url = freshUrl();
    expect((await cli(url, ["init", "--seed"])).status).toBe(0);
    const before = await tableNames(url);

    const refused = await cli(url, ["migrate", "down", "--to", "0"]);
    const line = expectOneLineError(refused, 1);
    expect(line).toMatch(/refusing to revert .*: table \w+ holds \d+ row\(s\); pass --force to drop them/);
    expect(await tableNames(url)).toEqual(before);

    const forced = await cli(url, ["migrate", "down", "--to", "0", "--force"]);
    expect(forced.status, forced.stderr).toBe(0);
    expect(forced.stderr).toContain("reverted ivr/0000_init_ivr");
    expect(await tableNames(url)).toEqual(["_verdict_migrations"]);
  });

  it("an unknown domain is a usage error: exit 64, one line", async () => {
    const url = freshUrl();
    const r = await cli(url, ["migrate", "up", "--domain", "ivr,nope"]);
    const line = expectOneLineError(r, 64);
    expect(line).toContain("--domain: unknown domain 'nope'");
    expect(existsSync(url.slice("file:".length))).toBe(false);
  });

  it("a changed migration is refused by every command with exit 1, naming the file, no stack trace", async () => {
    const url = freshUrl();
    expect((await cli(url, ["init", "--seed"])).status).toBe(0);
    await sql(
      url,
      "UPDATE _verdict_migrations SET checksum = 'edited-after-it-ran' WHERE domain = 'ivr' AND name = '0000_init_ivr'",
    );
    const file = `${DEFAULT_MIGRATIONS_DIR.replace(/\/$/, "")}/ivr/0000_init_ivr.sql`;

    for (const args of [["migrate", "up"], ["migrate", "down", "--to", "0"], ["seed"]]) {
      const line = expectOneLineError(await cli(url, args), 1);
      expect(line, args.join(" ")).toContain("applied migration ivr/0000_init_ivr was changed after it ran");
      expect(line, args.join(" ")).toContain(file);
    }
    const human = await cli(url, ["migrate", "status"]);
    expect(human.status).toBe(1);
    expect(human.stdout).toMatch(/ivr\s+0000_init_ivr\s+changed/);
    const status = await cli(url, ["--json", "migrate", "status"]);
    expect(status.status).toBe(1);
    const changed = (JSON.parse(status.stdout) as { items: { state: string; file: string }[] }).items.filter(
      (r) => r.state === "changed",
    );
    expect(changed.map((r) => r.file)).toEqual([file]);

    const validate = await cli(url, ["migrate", "validate"]);
    expect(validate.status).toBe(1);
    expect(validate.stderr).toContain(`changed: ivr/0000_init_ivr (${file})`);
    expect(validate.stderr).not.toMatch(/\n\s+at /);
  });

  it("a migration the code does not have is refused with exit 1, naming it", async () => {
    const url = freshUrl();
    expect((await cli(url, ["init"])).status).toBe(0);
    await sql(url, "INSERT INTO _verdict_migrations (domain, name, checksum) VALUES ('runs', '0099_vanished', 'x')");
    const line = expectOneLineError(await cli(url, ["seed"]), 1);
    expect(line).toContain("runs/0099_vanished");
    const validate = await cli(url, ["migrate", "validate"]);
    expect(validate.status).toBe(1);
    expect(validate.stderr).toContain("missing: runs/0099_vanished");
  });

  it("seed on a database that is behind is refused, naming `verdict migrate up`", async () => {
    const url = freshUrl();
    expect((await cli(url, ["init"])).status).toBe(0);
    // queue/0001 holds IVR items by their integer ids: it goes back before ivr/0004 may.
    expect((await cli(url, ["migrate", "down", "--domain", "queue", "--to", "0000_init_queue"])).status).toBe(0);
    const down = await cli(url, ["migrate", "down", "--domain", "ivr", "--to", "0000_init_ivr"]);
    expect(down.stderr).toContain("reverted ivr/0001_updated_at_trigger");
    const line = expectOneLineError(await cli(url, ["seed"]), 1);
    expect(line).toContain(
      "behind the code: ivr migration(s) 0001_updated_at_trigger, 0002_step_unique, 0003_ivr_targets, 0004_ivr_integer_ids not applied",
    );
    expect(line).toContain("(fix: verdict migrate up)");
    expect((await cli(url, ["migrate", "up"])).status).toBe(0);
    expect((await cli(url, ["seed"])).status).toBe(0);
  });
});
