import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Client, InStatement } from "@libsql/client";
import { MigrationError, SchemaMismatchError, errorTextOf } from "./errors.js";

export const DOMAINS = ["ivr", "metrics", "runs", "admin", "queue"] as const;
export type Domain = (typeof DOMAINS)[number];

export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL("../migrations/", import.meta.url));
const LEDGER = "_verdict_migrations";
const BREAKPOINT = "--> statement-breakpoint";

export interface MigrationFile {
  domain: Domain;
  name: string;
  file: string;
  checksum: string;
  up: string[];
  down: string[];
  downFile: string;
}

export interface AppliedMigration {
  domain: Domain;
  name: string;
  checksum: string;
  applied_at: string;
}

export type MigrationState = "applied" | "pending" | "changed" | "missing";
export interface MigrationStatusRow {
  domain: Domain;
  name: string;
  state: MigrationState;
  applied_at: string | null;
  file: string | null;
}

export interface MigrationOptions {
  /** Folder holding one sub-folder of migrations per domain (tests point it at a copy). */
  migrationsDir?: string;
}

/** Splits a drizzle-kit SQL file into statements, dropping comment-only chunks. */
export function splitStatements(sql: string): string[] {
  return sql
    .split(BREAKPOINT)
    .map((s) => s.trim())
    .filter((s) => s.split("\n").some((line) => line.trim() !== "" && !line.trim().startsWith("--")));
}

/** CRLF and trailing-space edits are not changes worth refusing over; anything else is. */
function checksumOf(text: string): string {
  return createHash("sha256").update(text.replace(/\r\n/g, "\n").trimEnd()).digest("hex");
}

const fileCache = new Map<string, { fingerprint: string; files: MigrationFile[] }>();

function domainDir(domain: Domain, options: MigrationOptions): string {
  return `${(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR).replace(/\/$/, "")}/${domain}`;
}

/** The migrations of one domain as found on disk, sorted by name. Each must have a `.down.sql` twin. */
export function loadMigrationFiles(domain: Domain, options: MigrationOptions = {}): MigrationFile[] {
  const dir = domainDir(domain, options);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const files: MigrationFile[] = [];
  for (const entry of names.sort()) {
    if (!entry.endsWith(".sql") || entry.endsWith(".down.sql")) continue;
    const name = entry.slice(0, -".sql".length);
    const file = `${dir}/${entry}`;
    const downFile = `${dir}/${name}.down.sql`;
    const text = readFileSync(file, "utf8");
    let downText: string;
    try {
      downText = readFileSync(downFile, "utf8");
    } catch {
      throw new MigrationError(`migration ${domain}/${name} has no down migration (${downFile})`, downFile);
    }
    files.push({
      domain,
      name,
      file,
      checksum: checksumOf(text),
      up: splitStatements(text),
      down: splitStatements(downText),
      downFile,
    });
  }
  return files;
}

/**
 * Names, sizes and modification times of a domain's .sql files: a stat per file is several times
 * cheaper than reading and hashing them, and tells when a cached copy went stale.
 */
function fingerprintOf(dir: string): string {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".sql"));
  } catch {
    return "absent";
  }
  return names
    .sort()
    .map((n) => {
      try {
        const st = statSync(`${dir}/${n}`);
        return `${n}:${st.size}:${st.mtimeMs}`;
      } catch {
        return `${n}:gone`;
      }
    })
    .join("|");
}

/**
 * Parsed files, re-read only when a file was added, removed or changed since the last call: opening
 * a database must stay cheap, and must still notice a migration file edited while the process runs.
 */
export function cachedMigrationFiles(domain: Domain, options: MigrationOptions = {}): MigrationFile[] {
  const dir = domainDir(domain, options);
  const fingerprint = fingerprintOf(dir);
  const hit = fileCache.get(dir);
  if (hit && hit.fingerprint === fingerprint) return hit.files;
  const files = loadMigrationFiles(domain, options);
  fileCache.set(dir, { fingerprint, files });
  return files;
}

export function clearMigrationCache(): void {
  fileCache.clear();
}

const LEDGER_DDL = `CREATE TABLE IF NOT EXISTS ${LEDGER} (
  domain TEXT NOT NULL,
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  fk_violations INTEGER NOT NULL DEFAULT 0 CONSTRAINT migration_left_foreign_key_violations CHECK (fk_violations = 0),
  PRIMARY KEY (domain, name)
)`;

export async function ensureLedger(client: Client): Promise<void> {
  await client.execute(LEDGER_DDL);
}

export async function readApplied(client: Client): Promise<AppliedMigration[]> {
  const exists = await client.execute({
    sql: "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
    args: [LEDGER],
  });
  if (exists.rows.length === 0) return [];
  const rs = await client.execute(`SELECT domain, name, checksum, applied_at FROM ${LEDGER} ORDER BY domain, name`);
  return rs.rows.map((r) => ({
    domain: String(r.domain) as Domain,
    name: String(r.name),
    checksum: String(r.checksum),
    applied_at: String(r.applied_at),
  }));
}

/** Per-domain comparison of what the database has applied against what the code ships. */
export function compareMigrations(
  domain: Domain,
  files: MigrationFile[],
  applied: AppliedMigration[],
): MigrationStatusRow[] {
  const appliedByName = new Map(applied.filter((a) => a.domain === domain).map((a) => [a.name, a]));
  const rows: MigrationStatusRow[] = [];
  for (const f of files) {
    const a = appliedByName.get(f.name);
    appliedByName.delete(f.name);
    rows.push({
      domain,
      name: f.name,
      state: a === undefined ? "pending" : a.checksum === f.checksum ? "applied" : "changed",
      applied_at: a?.applied_at ?? null,
      file: f.file,
    });
  }
  for (const a of appliedByName.values()) {
    rows.push({ domain, name: a.name, state: "missing", applied_at: a.applied_at, file: null });
  }
  // Code-point order, as the files are applied (loadMigrationFiles); localeCompare would also cost
  // every open the set-up of ICU's collator (several ms of a CLI command's start).
  return rows.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

export async function migrationStatus(
  client: Client,
  domains: readonly Domain[] = DOMAINS,
  options: MigrationOptions = {},
): Promise<MigrationStatusRow[]> {
  const applied = await readApplied(client);
  return domains.flatMap((d) => compareMigrations(d, loadMigrationFiles(d, options), applied));
}

/** Refuses to go on when an applied migration's file changed or vanished; the message names the file. */
export function assertUntampered(rows: MigrationStatusRow[]): void {
  for (const r of rows) {
    if (r.state === "changed") {
      throw new SchemaMismatchError(
        `applied migration ${r.domain}/${r.name} was changed after it ran: ${r.file}`,
        `restore ${r.file} to the version that was applied (git checkout -- ${r.file})`,
        r.file ?? undefined,
      );
    }
    if (r.state === "missing") {
      throw new SchemaMismatchError(
        `the database has migration ${r.domain}/${r.name}, which this version of Verdict does not have (database ahead of the code, or its file vanished)`,
        "run a Verdict version that includes it, or `verdict migrate down` with that version",
        `${r.domain}/${r.name}`,
      );
    }
  }
}

export interface PlannedStep {
  domain: Domain;
  name: string;
  direction: "up" | "down";
  statements: string[];
}

export interface MigrateResult {
  applied: PlannedStep[];
  dryRun: boolean;
}

/**
 * Applies pending migrations, by name set (an older-named migration merged late still runs).
 * Each migration runs in one transaction with foreign keys off (SQLite table rebuilds need that),
 * whose first write claims the ledger row: a second process migrating at the same time waits on
 * the write lock, then hits the primary key and treats the migration as already applied.
 */
export async function migrateUp(
  client: Client,
  opts: MigrationOptions & { domains?: readonly Domain[]; to?: string; dryRun?: boolean } = {},
): Promise<MigrateResult> {
  const domains = opts.domains ?? DOMAINS;
  const applied = await readApplied(client);
  const plan: PlannedStep[] = [];
  let sawTarget = opts.to === undefined;
  for (const domain of domains) {
    const files = loadMigrationFiles(domain, opts);
    const rows = compareMigrations(domain, files, applied);
    assertUntampered(rows);
    for (const f of files) {
      if (opts.to !== undefined && f.name > opts.to) continue;
      if (f.name === opts.to) sawTarget = true;
      if (rows.find((r) => r.name === f.name)?.state === "pending") {
        plan.push({ domain, name: f.name, direction: "up", statements: f.up });
      }
    }
  }
  if (!sawTarget) throw new MigrationError(`no migration named '${opts.to}' in ${domains.join(", ")}`, opts.to);
  if (opts.dryRun) return { applied: plan, dryRun: true };
  // Only now, with every file read and checked, is anything written (the ledger first, even when
  // nothing is pending: a connection that may not write fails here, not halfway).
  await ensureLedger(client);

  const done: PlannedStep[] = [];
  for (const step of plan) {
    const file = loadMigrationFiles(step.domain, opts).find((f) => f.name === step.name);
    if (!file) continue;
    const stmts: InStatement[] = [
      {
        sql: `INSERT INTO ${LEDGER} (domain, name, checksum) VALUES (?, ?, ?)`,
        args: [step.domain, step.name, file.checksum],
      },
      ...step.statements,
      {
        // Rows of this domain's tables only: another domain pointing in here (the queue at IVR
        // executions) is brought in line by that domain's own migration, checked when it runs.
        sql: `UPDATE ${LEDGER} SET fk_violations = (SELECT count(*) FROM pragma_foreign_key_check
                WHERE "table" IN (SELECT value FROM json_each(?))) WHERE domain = ? AND name = ?`,
        args: [JSON.stringify(tablesOf(step.domain, opts)), step.domain, step.name],
      },
    ];
    try {
      await client.migrate(stmts);
      done.push(step);
    } catch (e) {
      const msg = errorText(e);
      if (/UNIQUE constraint failed: _verdict_migrations/.test(msg)) continue; // another process applied it first
      if (/migration_left_foreign_key_violations/.test(msg)) {
        throw new MigrationError(
          `migration ${step.domain}/${step.name} would leave rows pointing at missing parents; rolled back`,
          file.file,
          e,
        );
      }
      throw new MigrationError(
        `migration ${step.domain}/${step.name} failed and was rolled back: ${msg}`,
        file.file,
        e,
      );
    }
  }
  return { applied: done, dryRun: false };
}

/** Tables a domain's migrations create (read from their CREATE TABLE statements), under their final names. */
function tablesOf(domain: Domain, options: MigrationOptions): string[] {
  const out = new Set<string>();
  for (const f of loadMigrationFiles(domain, options)) {
    for (const s of f.up) {
      for (const m of s.matchAll(/CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[`"[]?([A-Za-z0-9_]+)[`"\]]?/gi)) {
        if (m[1]) out.add(m[1].replace(/^__new_/, ""));
      }
    }
  }
  return [...out];
}

/**
 * Tables a down migration would drop, read from its DROP TABLE statements. A table the same
 * migration rebuilds (a copy renamed to its name, after INSERT ... SELECT) is not lost.
 */
function droppedTables(statements: string[]): string[] {
  const out: string[] = [];
  const rebuilt = new Set<string>();
  for (const s of statements) {
    const m = /DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?[`"[]?([A-Za-z0-9_]+)[`"\]]?/i.exec(s);
    if (m?.[1]) out.push(m[1]);
    const r = /ALTER\s+TABLE\s+\S+\s+RENAME\s+TO\s+[`"[]?([A-Za-z0-9_]+)[`"\]]?/i.exec(s);
    if (r?.[1]) rebuilt.add(r[1]);
  }
  return out.filter((t) => !rebuilt.has(t));
}

/**
 * Reverts applied migrations of one domain newer than `to` (or all of them with `to` = "0"),
 * newest first, domains in the reverse of the order they go up. Refuses to drop a table that still holds rows unless `force`.
 */
export async function migrateDown(
  client: Client,
  opts: MigrationOptions & { domains?: readonly Domain[]; to: string; force?: boolean; dryRun?: boolean },
): Promise<MigrateResult> {
  const domains = opts.domains ?? DOMAINS;
  const applied = await readApplied(client);
  const plan: PlannedStep[] = [];
  const toZero = opts.to === "0" || opts.to === "zero";
  let sawTarget = toZero;
  // Dependent domains first (the queue points at IVR executions and runs): the reverse of going up.
  for (const domain of [...domains].sort((a, b) => DOMAINS.indexOf(b) - DOMAINS.indexOf(a))) {
    const files = loadMigrationFiles(domain, opts);
    assertUntampered(compareMigrations(domain, files, applied));
    if (files.some((f) => f.name === opts.to)) sawTarget = true;
    const appliedNames = new Set(applied.filter((a) => a.domain === domain).map((a) => a.name));
    for (const f of [...files].reverse()) {
      if (!toZero && f.name <= opts.to) continue;
      if (appliedNames.has(f.name)) plan.push({ domain, name: f.name, direction: "down", statements: f.down });
    }
  }
  if (!sawTarget) throw new MigrationError(`no migration named '${opts.to}' in ${domains.join(", ")}`, opts.to);
  if (!opts.force) {
    for (const step of plan) {
      for (const table of droppedTables(step.statements)) {
        const exists = await client.execute({
          sql: "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
          args: [table],
        });
        if (exists.rows.length === 0) continue;
        const rs = await client.execute(`SELECT count(*) AS n FROM "${table}"`);
        const n = Number(rs.rows[0]?.n ?? 0);
        if (n > 0) {
          throw new MigrationError(
            `refusing to revert ${step.domain}/${step.name}: table ${table} holds ${n} row(s); pass --force to drop them`,
            table,
          );
        }
      }
    }
  }
  if (opts.dryRun) return { applied: plan, dryRun: true };
  const done: PlannedStep[] = [];
  for (const step of plan) {
    const stmts: InStatement[] = [
      ...step.statements,
      { sql: `DELETE FROM ${LEDGER} WHERE domain = ? AND name = ?`, args: [step.domain, step.name] },
    ];
    try {
      await client.migrate(stmts);
      done.push(step);
    } catch (e) {
      throw new MigrationError(
        `reverting ${step.domain}/${step.name} failed and was rolled back: ${errorText(e)}`,
        step.name,
        e,
      );
    }
  }
  return { applied: done, dryRun: false };
}

export const errorText = errorTextOf;
