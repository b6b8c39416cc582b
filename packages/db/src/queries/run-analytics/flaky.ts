/** `runs flaky`: scenarios of a SUT that both passed and failed over its last N runs. */
import { NotFoundError, ValidationError } from "../../errors.js";
import type { VerdictDb } from "../../open.js";

export interface FlakyScenario {
  scenario_id: string;
  /** Runs (of the window) in which the scenario ran. */
  runs: number;
  passed_runs: number;
  failed_runs: number;
  /** Pass↔fail changes between consecutive runs in which it ran, oldest first. */
  flips: number;
  /** One letter per run in which it ran, oldest first: P passed, F failed. */
  history: string;
  /** Failed instances / instances, over the window, 0–100. */
  instance_fail_rate: number;
}

export interface FlakyReport {
  sut_name: string;
  runs: { id: string; started_at: string }[];
  scenarios: FlakyScenario[];
}

/**
 * Scenarios of a SUT that both passed and failed over its last N runs (by started_at). A scenario
 * passed in a run when all its instances there passed, and failed when at least one failed; flips
 * count the changes of that outcome from one run to the next (runs where it did not run are skipped).
 */
export async function flakyScenarios(
  h: VerdictDb,
  sutName: string,
  opts: { last?: number } = {},
): Promise<FlakyReport> {
  const last = opts.last ?? 10;
  if (!Number.isInteger(last) || last < 1) throw new ValidationError("last", "expected a positive whole number");
  const runsRs = await h.client.execute({
    sql: "SELECT id, started_at FROM runs WHERE sut_name = ? ORDER BY started_at DESC, id DESC LIMIT ?",
    args: [sutName, last],
  });
  if (runsRs.rows.length === 0) throw new NotFoundError("runs of SUT", sutName);
  const runs = runsRs.rows.map((r) => ({ id: String(r.id), started_at: String(r.started_at) })).reverse();
  const per = new Map<string, { outcomes: ("P" | "F")[]; instances: number; failed: number }>();
  for (const run of runs) {
    const totals = await h.client.execute({
      sql: "SELECT scenario_id, count(*) AS n FROM instances INDEXED BY instances_run_scenario_idx WHERE run_id = ? GROUP BY scenario_id",
      args: [run.id],
    });
    const failed = await h.client.execute({
      sql: "SELECT scenario_id, count(*) AS n FROM instances INDEXED BY instances_run_failed_idx WHERE run_id = ? AND status = 'fail' GROUP BY scenario_id",
      args: [run.id],
    });
    const failedBy = new Map(failed.rows.map((r) => [String(r.scenario_id), Number(r.n)]));
    for (const r of totals.rows) {
      const id = String(r.scenario_id);
      const s = per.get(id) ?? { outcomes: [], instances: 0, failed: 0 };
      const f = failedBy.get(id) ?? 0;
      s.outcomes.push(f > 0 ? "F" : "P");
      s.instances += Number(r.n);
      s.failed += f;
      per.set(id, s);
    }
  }
  const scenarios: FlakyScenario[] = [];
  for (const [id, s] of per) {
    const passed = s.outcomes.filter((o) => o === "P").length;
    const failed = s.outcomes.length - passed;
    if (passed === 0 || failed === 0) continue;
    let flips = 0;
    for (let i = 1; i < s.outcomes.length; i++) if (s.outcomes[i] !== s.outcomes[i - 1]) flips++;
    scenarios.push({
      scenario_id: id,
      runs: s.outcomes.length,
      passed_runs: passed,
      failed_runs: failed,
      flips,
      history: s.outcomes.join(""),
      instance_fail_rate: (100 * s.failed) / s.instances,
    });
  }
  scenarios.sort(
    (x, y) => y.flips - x.flips || y.failed_runs - x.failed_runs || x.scenario_id.localeCompare(y.scenario_id),
  );
  return { sut_name: sutName, runs, scenarios };
}
