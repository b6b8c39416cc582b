import type { Client } from "@libsql/client";
import { ConstraintError, errorTextOf } from "./errors.js";

/**
 * Turns a SQLite constraint failure into a ConstraintError that names the constraint.
 * SQLite names CHECKs, UNIQUE and NOT NULL columns itself; for a FOREIGN KEY it does not say
 * which one, so given the row (or the rows of a batch) we look up which parent is missing.
 */
export async function translateDbError(
  client: Client,
  e: unknown,
  ctx?: { table: string; row?: Record<string, unknown>; rows?: readonly Record<string, unknown>[] },
): Promise<unknown> {
  const text = errorTextOf(e);
  let m = /CHECK constraint failed: ([A-Za-z0-9_]+)/.exec(text);
  if (m?.[1]) return new ConstraintError("check", m[1], `CHECK constraint failed: ${m[1]}`, e);
  m = /UNIQUE constraint failed: ([A-Za-z0-9_.,\s]+)/.exec(text);
  if (m?.[1])
    return new ConstraintError("unique", m[1].trim(), `already exists (UNIQUE constraint failed: ${m[1].trim()})`, e);
  m = /NOT NULL constraint failed: ([A-Za-z0-9_.]+)/.exec(text);
  if (m?.[1]) return new ConstraintError("not_null", m[1], `NOT NULL constraint failed: ${m[1]} is required`, e);
  if (/FOREIGN KEY constraint failed/.test(text)) {
    const rows = [...(ctx?.row ? [ctx.row] : []), ...(ctx?.rows ?? [])];
    const name = ctx && rows.length > 0 ? await missingParent(client, ctx.table, rows) : null;
    const constraint = name ?? (ctx ? `${ctx.table} foreign key` : "foreign key");
    return new ConstraintError("foreign_key", constraint, `FOREIGN KEY constraint failed: ${constraint}`, e);
  }
  return e;
}

/** Most distinct parent keys looked up for one failed batch before giving up on naming the key. */
const MAX_PARENT_LOOKUPS = 500;

/**
 * The first foreign key of `table` whose parent row does not exist for one of `rows` (in order),
 * as `table(cols)->parent(cols)`.
 */
async function missingParent(
  client: Client,
  table: string,
  rows: readonly Record<string, unknown>[],
): Promise<string | null> {
  const rs = await client.execute(`PRAGMA foreign_key_list("${table}")`);
  const fks = new Map<number, { parent: string; from: string[]; to: string[] }>();
  for (const r of rs.rows) {
    const id = Number(r.id);
    const fk = fks.get(id) ?? { parent: String(r.table), from: [], to: [] };
    fk.from.push(String(r.from));
    fk.to.push(String(r.to));
    fks.set(id, fk);
  }
  const seen = new Set<string>();
  for (const row of rows) {
    for (const fk of fks.values()) {
      const values = fk.from.map((c) => row[c]);
      if (values.some((v) => v === null || v === undefined)) continue;
      const key = JSON.stringify([fk.parent, fk.from, values]);
      if (seen.has(key)) continue;
      if (seen.size >= MAX_PARENT_LOOKUPS) return null;
      seen.add(key);
      const where = fk.to.map((c) => `"${c}" = ?`).join(" AND ");
      const hit = await client.execute({
        sql: `SELECT 1 FROM "${fk.parent}" WHERE ${where} LIMIT 1`,
        args: values as (string | number)[],
      });
      if (hit.rows.length === 0) return `${table}(${fk.from.join(",")})->${fk.parent}(${fk.to.join(",")})`;
    }
  }
  return null;
}
