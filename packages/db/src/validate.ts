import type { Client } from "@libsql/client";
// A scratch in-memory database: libSQL's file client is all it needs.
import { createClient } from "@libsql/client/sqlite3";
import {
  type Domain,
  DOMAINS,
  type MigrationOptions,
  ensureLedger,
  loadMigrationFiles,
  readApplied,
} from "./migrations.js";

export interface SchemaObject {
  type: string;
  name: string;
  table: string;
  sql: string;
}

export interface SchemaDifference {
  kind: "missing" | "unexpected" | "different";
  type: string;
  name: string;
  expected: string | null;
  actual: string | null;
}

const normalize = (sql: string) =>
  sql
    .replace(/\s+/g, " ")
    .replace(/\s*([(),])\s*/g, "$1")
    .trim();

/** Tables, indexes, triggers and views of a database, keyed by name; constraints live in each table's SQL. */
export async function readSchema(client: Client): Promise<Map<string, SchemaObject>> {
  const rs = await client.execute(
    "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' AND name <> '_verdict_migrations' AND tbl_name NOT LIKE '_litestream%' AND tbl_name NOT LIKE 'libsql_%' ORDER BY type, name",
  );
  const out = new Map<string, SchemaObject>();
  for (const r of rs.rows) {
    const name = String(r.name);
    out.set(name, { type: String(r.type), name, table: String(r.tbl_name), sql: normalize(String(r.sql)) });
  }
  return out;
}

/**
 * Checks the live schema against the one the applied migrations should have produced:
 * the same migrations are replayed on an in-memory database and both catalogues compared.
 */
export async function validateSchema(
  client: Client,
  opts: MigrationOptions & { domains?: readonly Domain[] } = {},
): Promise<SchemaDifference[]> {
  const domains = opts.domains ?? DOMAINS;
  const applied = await readApplied(client);
  const reference = createClient({ url: ":memory:" });
  try {
    await ensureLedger(reference);
    for (const domain of domains) {
      const appliedNames = new Set(applied.filter((a) => a.domain === domain).map((a) => a.name));
      for (const f of loadMigrationFiles(domain, opts)) {
        if (appliedNames.has(f.name)) await reference.migrate(f.up);
      }
    }
    const expected = await readSchema(reference);
    const actual = await readSchema(client);
    const diffs: SchemaDifference[] = [];
    for (const [name, e] of expected) {
      const a = actual.get(name);
      if (!a) diffs.push({ kind: "missing", type: e.type, name, expected: e.sql, actual: null });
      else if (a.sql !== e.sql) diffs.push({ kind: "different", type: e.type, name, expected: e.sql, actual: a.sql });
    }
    for (const [name, a] of actual) {
      if (!expected.has(name)) diffs.push({ kind: "unexpected", type: a.type, name, expected: null, actual: a.sql });
    }
    return diffs;
  } finally {
    reference.close();
  }
}
