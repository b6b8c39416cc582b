/**
 * The one place for work that must land together with an imported run: called once at the end of a
 * successful import, on the import's own connection and inside its last transaction, after every row
 * and artifact is written and the indexes are back, just before the run is marked complete (visible).
 * Whatever it writes commits with the run or not at all; if it throws, the import is rolled back.
 *
 * Stored run statistics (computed once at import, read by `runs summary`) belong here; today it does
 * nothing.
 */
import type { SqlExecutor } from "../queries/runs.js";

export async function finishImportedRun(_x: SqlExecutor, _runId: string): Promise<void> {}
