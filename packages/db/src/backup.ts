/**
 * A consistent, checked copy of a local database file, safe while a server writes to it.
 *
 * VACUUM INTO writes one snapshot of the database (read under a read transaction, so writers carry
 * on) into a temp file next to the target. The copy is then opened and checked (PRAGMA
 * integrity_check, the same tables as the source, and the same row counts for every table whose
 * count did not change while the copy was made) and only then renamed over the old backup. Any
 * failure (an unreadable source, disk full, a failed check) leaves the old backup untouched and no
 * temp file behind. The open database and its -wal/-shm/-journal files are never a target.
 */
import { rmSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Client } from "@libsql/client";
// The copy is a local file: libSQL's file client is all it needs.
import { createClient } from "@libsql/client/sqlite3";
import { VerdictError, errorTextOf } from "./errors.js";
import type { VerdictDb } from "./open.js";
import { OutputRefusedError, OutputWriteError, PendingOutput, databaseFiles } from "./safe-output.js";

export interface BackupResult {
  backup: string;
  tables: number;
  rows: number;
  bytes: number;
}

/** The copy was made but did not pass its check; the old backup was left as it was. */
export class BackupCheckError extends VerdictError {
  constructor(target: string, problem: string) {
    super("STORAGE", `backup ${target} failed its check (${problem}); the old backup was left as it was`, {
      target,
    });
  }
}

async function tableCounts(client: Client): Promise<Map<string, number>> {
  const names = await client.execute(
    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  );
  const counts = new Map<string, number>();
  for (const r of names.rows) {
    const name = String(r.name);
    const rs = await client.execute(`SELECT count(*) AS n FROM "${name.replace(/"/g, '""')}"`);
    counts.set(name, Number(rs.rows[0]?.n ?? 0));
  }
  return counts;
}

async function checkCopy(
  tmp: string,
  target: string,
  before: Map<string, number>,
  after: Map<string, number>,
): Promise<{ tables: number; rows: number }> {
  const copy = createClient({ url: `file:${tmp}` });
  try {
    const ic = await copy.execute("PRAGMA integrity_check");
    const verdict = ic.rows.map((r) => String(Object.values(r)[0])).join("; ");
    if (verdict !== "ok") throw new BackupCheckError(target, `integrity_check: ${verdict.slice(0, 200)}`);
    const counts = await tableCounts(copy);
    const names = (m: Map<string, number>) => [...m.keys()].sort().join(",");
    if (names(counts) !== names(after))
      throw new BackupCheckError(target, "the copy does not hold the same tables as the database");
    let rows = 0;
    for (const [name, n] of counts) {
      rows += n;
      // A table that writers changed during the copy may differ; one that stayed the same may not.
      const b = before.get(name);
      if (b !== undefined && b === after.get(name) && b !== n)
        throw new BackupCheckError(target, `table ${name} has ${n} rows in the copy, ${b} in the database`);
    }
    return { tables: counts.size, rows };
  } finally {
    copy.close();
    // Whatever opening the copy left next to it (named after our own temp file).
    for (const suffix of ["-wal", "-shm", "-journal"]) rmSync(`${tmp}${suffix}`, { force: true });
  }
}

/**
 * Backs up a local database file to `target` (see the module comment). Without `force` an existing
 * target is refused; with it, the old backup is replaced only once the new copy is complete and
 * checked. A target whose -wal or -journal file exists (the old backup is open, or was not closed
 * cleanly) is refused, because that file would be applied to the new copy.
 */
export async function backupDatabase(
  h: VerdictDb,
  target: string,
  opts: { force?: boolean } = {},
): Promise<BackupResult> {
  const protect = databaseFiles(h.url);
  for (const side of ["-wal", "-journal"]) {
    const p = `${resolve(target)}${side}`;
    let exists = false;
    try {
      exists = statSync(p).size > 0;
    } catch {
      exists = false;
    }
    if (exists && !protect.includes(p))
      throw new OutputRefusedError(
        target,
        `${p} exists (the old backup is open or was not closed cleanly); close it or remove that file first`,
      );
  }
  const out = PendingOutput.create(target, { force: Boolean(opts.force), protect });
  try {
    const before = await tableCounts(h.client);
    try {
      await h.client.execute({ sql: "VACUUM INTO ?", args: [out.tmp] });
    } catch (e) {
      const text = errorTextOf(e);
      if (/SQLITE_FULL|database or disk is full|EFBIG|ENOSPC/i.test(text))
        throw out.failure(Object.assign(new Error(text), { code: "ENOSPC" }));
      // EFBIG (a file size limit) and failed writes surface as SQLITE_IOERR from VACUUM INTO.
      if (/SQLITE_IOERR/.test(text))
        throw new OutputWriteError(
          target,
          `cannot write ${target}: ${text} (disk full, file size limit or I/O fault); nothing was changed`,
          e,
        );
      throw e;
    }
    const after = await tableCounts(h.client);
    const checked = await checkCopy(out.tmp, target, before, after);
    const bytes = statSync(out.tmp).size;
    out.commit();
    return { backup: resolve(target), tables: checked.tables, rows: checked.rows, bytes };
  } catch (e) {
    out.discard();
    throw e;
  }
}
