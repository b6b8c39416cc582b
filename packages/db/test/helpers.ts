import type { Page } from "@verdict/schema";
import { tempDir } from "@verdict/testing";

/** A database file in a fresh temp folder (removed when the test process exits). */
export function fileUrl(prefix = "verdict-db-"): string {
  return `file:${tempDir(prefix).file("verdict.db")}`;
}

/** The 18 tables of the ivr, metrics and runs domains, in migration order. */
export const TABLES = [
  "test_scenarios",
  "test_executions",
  "step_executions",
  "intent_training_data",
  "step_executions_duplicates",
  "ivr_targets",
  "ivr_ids_0004",
  "benchmark_runs",
  "performance_metrics",
  "autonomy_metrics",
  "quality_metrics",
  "workflow_metrics",
  "metric_alerts",
  "runs",
  "instances",
  "steps",
  "assertions",
  "run_artifacts",
  "run_stats",
  "run_stat_groups",
  "run_error_categories",
  "run_report_groups",
];

/** The suites that hold for both kinds of embedded database run once on each. */
export const TARGETS: [string, () => string][] = [
  ["file", () => fileUrl()],
  [":memory:", () => ":memory:"],
];

/** The error a call fails with; fails the test if the call succeeds. */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("the call was expected to fail but succeeded");
}

/** Follows nextCursor until the end; returns every item in page order and the page sizes. */
export async function allPages<T>(
  fetch: (cursor: string | undefined) => Promise<Page<T>>,
): Promise<{ items: T[]; sizes: number[] }> {
  const items: T[] = [];
  const sizes: number[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await fetch(cursor);
    items.push(...page.items);
    sizes.push(page.items.length);
    if (page.nextCursor === null) return { items, sizes };
    cursor = page.nextCursor;
  }
  throw new Error("pagination did not end");
}
