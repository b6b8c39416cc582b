/**
 * `verdict runs import` into a database file that does not exist yet (a new per-run file): the whole
 * database is built in a temp file next to the target (`.NAME.verdict-tmp-PID-RANDOM`, see
 * PendingOutput) that no other connection knows of, so the import can load it as a bulk load: one
 * transaction, the file's lock held for the whole import, the rollback journal in memory, no fsync
 * until the end, the secondary indexes built once after the load (openSink `bulk`).
 * Then the file is switched to WAL (as every Verdict database), fsynced and linked into place: link(2)
 * fails if the target appeared meanwhile, so nothing is overwritten. A failed or interrupted import
 * removes its temp file; a killed one leaves only the temp file, which the next import into the same
 * target removes (its process is gone). The target appears complete, with every run in it, or not at all.
 */
import { existsSync, rmSync } from "node:fs";
import { translateDriverError } from "../db-errors.js";
import { ConflictError } from "../errors.js";
import { type VerdictDb, dbKind, filePath, openDatabase } from "../open.js";
import { OutputRefusedError, PendingOutput } from "../safe-output.js";
import { type ImportOptions, type ImportResult, importRuns } from "./import.js";

/** The path of `url` when it names a plain local database file that does not exist yet; null otherwise. */
export function newDatabaseFile(url: string): string | null {
  if (dbKind(url) !== "file" || url.includes("?")) return null;
  const path = filePath(url);
  if (path === null || path === "" || path === ":memory:") return null;
  return existsSync(path) ? null : path;
}

/**
 * Imports the runs under `paths` (as importRuns) into a new database file at `target`, which must not
 * exist. `onRunDone` is called for each run once the file is in place.
 */
export async function importRunsIntoNewFile(
  target: string,
  paths: string[],
  opts: ImportOptions = {},
): Promise<ImportResult[]> {
  PendingOutput.removeLeftovers(target);
  let out: PendingOutput;
  try {
    out = PendingOutput.create(target);
  } catch (e) {
    if (e instanceof OutputRefusedError) throw new ConflictError(`${target} already exists`, "database");
    throw e;
  }
  const sideFiles = () => {
    for (const side of ["-journal", "-wal", "-shm"]) rmSync(`${out.tmp}${side}`, { force: true });
  };
  let h: VerdictDb | null = null;
  try {
    h = await openDatabase({ url: `file:${out.tmp}`, domains: ["runs"], migrate: true });
    // The import's own connection takes the file for itself: this one must hold no WAL lock meanwhile.
    await h.client.execute("PRAGMA journal_mode = DELETE");
    const { onRunDone, ...rest } = opts;
    const results = await importRuns(h, paths, { ...rest, bulk: true, oneTransaction: true });
    await h.client.execute("PRAGMA journal_mode = WAL");
    h.close();
    h = null;
    sideFiles();
    try {
      out.commit();
    } catch (e) {
      if (e instanceof OutputRefusedError)
        throw new ConflictError(`${target} appeared while the import ran; it was left as it is`, "database");
      throw e;
    }
    for (const r of results) onRunDone?.(r);
    return results;
  } catch (e) {
    const storage = h?.storage;
    h?.close();
    out.discard();
    sideFiles();
    throw storage ? translateDriverError(e, { ...storage, database: target }) : e;
  }
}
