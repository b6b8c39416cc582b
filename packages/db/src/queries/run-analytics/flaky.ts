/** `runs flaky`: scenarios of a SUT that both passed and failed over its last N runs. */
import { NotFoundError, ValidationError } from "../../errors.js";
import type { VerdictDb } from "../../open.js";
import { countsByScenario } from "./summary.js";

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
  /** Failed instances / instances (`passed: null` ones included, as in the pass rate), over the window, 0–100. */
  instance_fail_rate: number;
}

export interface FlakyReport {
  sut_name: string;
  runs: { id: string; started_at: string }[];
  scenarios: FlakyScenario[];
}

/**
 * Scenarios of a SUT that both passed and failed over its last N runs (by started_at), counted as
 * `runs summary` counts (countsByScenario: `passed: null` is neither, placeholders of orphan steps are
 * no instances). A scenario failed in a run when at least one instance failed, and passed when none
 * failed and at least one passed; flips
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
    sql: "SELECT id, started_at FROM runs WHERE sut_name = ? AND state = 'complete' ORDER BY started_at DESC, id DESC LIMIT ?",
    args: [sutName, last],
  });
  if (runsRs.rows.length === 0) throw new NotFoundError("runs of SUT", sutName);
  const runs = runsRs.rows.map((r) => ({ id: String(r.id), started_at: String(r.started_at) })).reverse();
  const per = new Map<string, { outcomes: ("P" | "F")[]; instances: number; failed: number }>();
  for (const run of runs) {
    for (const c of await countsByScenario(h.client, run.id)) {
      // Neither passed nor failed in this run (every instance written `passed: null`): as if it did not run.
      if (c.fail === 0 && c.pass === 0) continue;
      const s = per.get(c.scenario_id) ?? { outcomes: [], instances: 0, failed: 0 };
      s.outcomes.push(c.fail > 0 ? "F" : "P");
      s.instances += c.instances;
      s.failed += c.fail;
      per.set(c.scenario_id, s);
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
      instance_fail_rate: s.instances ? (100 * s.failed) / s.instances : 0,
    });
  }
  scenarios.sort(
    (x, y) => y.flips - x.flips || y.failed_runs - x.failed_runs || x.scenario_id.localeCompare(y.scenario_id),
  );
  return { sut_name: sutName, runs, scenarios };
}
