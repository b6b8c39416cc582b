/**
 * runs/0005: the partial index of failed instances holds every column turbulence's counting reads
 * (scenario, error, passed, source), so the counts of not-passed instances are answered from the
 * index alone (SQLite's plan says COVERING INDEX), and the counts are the same as before.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NOT_PASSED_SQL, type VerdictDb, importRunFolder, migrateDown, openDatabase, runSummary } from "@verdict/db";
import { fileUrl } from "./helpers.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "turbulence");
const RUN = "run_real_001";

let h: VerdictDb;
beforeAll(async () => {
  h = await openDatabase({ url: fileUrl("verdict-failed-idx-"), domains: ["runs"], migrate: true });
  await importRunFolder(h, join(FIXTURES, RUN));
});
afterAll(() => h.close());

async function plan(sql: string): Promise<string[]> {
  const rs = await h.client.execute({ sql: `EXPLAIN QUERY PLAN ${sql}`, args: [RUN] });
  return rs.rows.map((r) => String(r.detail));
}

describe("instances_run_failed_idx covers the not-passed counts (runs/0005)", () => {
  it("the whole-run and per-scenario counts read the covering partial index, not the table", async () => {
    for (const sql of [NOT_PASSED_SQL("'*'"), `${NOT_PASSED_SQL("scenario_id")} GROUP BY scenario_id`]) {
      const details = await plan(sql);
      const onInstances = details.filter((d) => /\binstances\b/.test(d));
      expect(onInstances).toHaveLength(1);
      expect(onInstances[0]).toMatch(/USING COVERING INDEX instances_run_failed_idx/);
    }
  });

  it("the counts are the same with the covering index and after going back to the old one", async () => {
    const failed = await h.client.execute({
      sql: "SELECT count(*) AS n FROM instances WHERE run_id = ? AND status = 'fail'",
      args: [RUN],
    });
    const now = (await runSummary(h, RUN)).instances;
    expect(now.fail + now.undecided).toBe(Number(failed.rows[0]?.n));
    // Back to runs/0004: runs/0006 (the stored report groups, which hold this run's rows) goes first.
    const down = await migrateDown(h.client, { domains: ["runs"], to: "0004_run_stats", force: true });
    expect(down.applied.map((s) => s.name)).toEqual(["0006_run_report_groups", "0005_run_failed_index_covering"]);
    const details = await plan(NOT_PASSED_SQL("'*'"));
    expect(details.find((d) => /\binstances\b/.test(d))).not.toMatch(/COVERING/);
    const r = await h.client.execute({ sql: NOT_PASSED_SQL("'*'"), args: [RUN] });
    expect(Number(r.rows[0]?.n)).toBe(Number(failed.rows[0]?.n));
  });
});
