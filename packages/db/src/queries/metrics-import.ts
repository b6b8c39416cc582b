import {
  type BenchmarkImportInput,
  type BenchmarkImportResult,
  type BenchmarkRun,
  type BenchmarkRunParsed,
  type MetricGroup,
  RUN_KEYS,
  SCALAR_METRICS,
  benchmarkImportInput,
} from "@verdict/schema";
import { inArray } from "drizzle-orm";
import { translateDbError } from "../db-errors.js";
import { ConflictError } from "../errors.js";
import type { VerdictDb } from "../open.js";
import { benchmarkRuns } from "../schema/metrics.js";
import { insertRun, withMetrics } from "./metrics.js";

const GROUPS: readonly MetricGroup[] = ["performance", "autonomy", "quality", "workflow"];

/** JSON with object keys sorted, so two equal values give the same text whatever their key order. */
function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(",")}]`;
  if (value !== null && typeof value === "object")
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(value);
}

type Comparable = Pick<
  BenchmarkRun,
  | "timestamp"
  | "project_name"
  | "benchmark_name"
  | "version"
  | "metadata"
  | "performance"
  | "autonomy"
  | "quality"
  | "workflow"
> & { branch?: string | null | undefined; testbed?: string | null | undefined; commit?: string | null | undefined };

/**
 * What decides "the same run": every stored field but created_at. A partial source (gao-dev's CSV) only
 * carries the run columns and the scalar metrics, so only those are compared for it.
 */
function contentOf(run: Comparable, partial: boolean): string {
  const head = {
    timestamp: run.timestamp,
    project_name: run.project_name,
    benchmark_name: run.benchmark_name,
    version: run.version,
    branch: run.branch ?? null,
    testbed: run.testbed ?? null,
    commit: run.commit ?? null,
  };
  if (!partial) {
    const groups = Object.fromEntries(
      GROUPS.map((g) => {
        const values = run[g] as unknown as Record<string, unknown>;
        return [g, Object.fromEntries(RUN_KEYS[g].map((k) => [k, values[k]]))];
      }),
    );
    return stable({ ...head, metadata: run.metadata, ...groups });
  }
  const scalars = Object.fromEntries(
    Object.entries(SCALAR_METRICS).map(([metric, { group }]) => [
      metric,
      (run[group] as unknown as Record<string, unknown>)[metric],
    ]),
  );
  return stable({ ...head, ...scalars });
}

/** Same content? For a partial source, a dimension it does not carry is not a difference either. */
function sameContent(stored: BenchmarkRun, run: Comparable, partial: boolean): boolean {
  if (!partial) return contentOf(stored, false) === contentOf(run, false);
  const filled = { ...run };
  for (const d of ["branch", "testbed", "commit"] as const) if (filled[d] == null) filled[d] = stored[d];
  return contentOf(stored, true) === contentOf(filled, true);
}

/**
 * Imports one file's runs in a single transaction: new runs are inserted, runs already stored with the
 * same content are skipped, and a run stored with different content is a conflict (nothing is written)
 * unless `replace`, which deletes the stored run (and its alerts) and inserts the new one.
 */
export async function importBenchmarkRuns(h: VerdictDb, raw: BenchmarkImportInput): Promise<BenchmarkImportResult> {
  const input = benchmarkImportInput.parse(raw);
  const runs = input.runs as (BenchmarkRunParsed & { run_id: string })[];
  const ids = runs.map((r) => r.run_id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup !== undefined) throw new ConflictError(`run '${dup}' appears twice in the same import`, "run_id");
  const result: BenchmarkImportResult = { inserted: [], replaced: [], skipped: [] };
  try {
    await h.db.transaction(async (tx) => {
      const existing = new Map<string, BenchmarkRun>();
      for (let i = 0; i < ids.length; i += 500) {
        const rows = await tx
          .select()
          .from(benchmarkRuns)
          .where(inArray(benchmarkRuns.run_id, ids.slice(i, i + 500)));
        for (const run of await withMetrics({ db: tx }, rows)) existing.set(run.run_id, run);
      }
      const conflicts: string[] = [];
      for (const run of runs) {
        const stored = existing.get(run.run_id);
        if (!stored) continue;
        if (sameContent(stored, run, input.partial)) continue;
        if (!input.replace) conflicts.push(run.run_id);
      }
      if (conflicts.length > 0)
        throw new ConflictError(
          `${conflicts.length} run(s) already stored with different content: ${conflicts.slice(0, 5).join(", ")}${conflicts.length > 5 ? ", …" : ""} (use --replace to overwrite)`,
          "run_id",
        );
      for (const run of runs) {
        const stored = existing.get(run.run_id);
        if (stored && sameContent(stored, run, input.partial)) {
          result.skipped.push(run.run_id);
          continue;
        }
        if (stored) {
          await tx.delete(benchmarkRuns).where(inArray(benchmarkRuns.run_id, [run.run_id]));
          result.replaced.push(run.run_id);
        } else result.inserted.push(run.run_id);
        await insertRun(tx, run);
      }
    });
  } catch (e) {
    if (e instanceof ConflictError) throw e;
    throw await translateDbError(h.client, e, { table: "benchmark_runs" });
  }
  return result;
}
