import { afterEach, describe, expect, it } from "vitest";
import {
  SEED_SCENARIOS,
  SEED_TRAINING,
  type VerdictDb,
  deleteScenario,
  getScenario,
  listExecutions,
  listStepExecutions,
  openDatabase,
  queryInstances,
  seed,
  validateSchema,
} from "@verdict/db";
import { TARGETS, TABLES } from "./helpers.js";

async function rowCounts(h: VerdictDb): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) {
    const exists = await h.client.execute({ sql: "SELECT 1 FROM sqlite_master WHERE name = ?", args: [t] });
    if (exists.rows.length === 0) continue;
    const rs = await h.client.execute(`SELECT count(*) AS n FROM "${t}"`);
    out[t] = Number(rs.rows[0]?.n);
  }
  return out;
}

const ZERO = { scenarios: 0, executions: 0, training: 0, benchmarks: 0, runs: 0 };

describe.each(TARGETS)("seed on %s", (_label, url) => {
  let h: VerdictDb;
  afterEach(() => h.close());

  it("adds data to every domain once; the second run adds nothing and changes no count", async () => {
    h = await openDatabase({ url: url(), migrate: true });
    const first = await seed(h);
    expect(first.added).toEqual({
      scenarios: 3,
      executions: 2,
      training: SEED_TRAINING.length,
      benchmarks: 2,
      runs: 1,
    });
    const counts = await rowCounts(h);
    expect(counts).toEqual({
      test_scenarios: 3,
      test_executions: 2,
      step_executions: 5,
      intent_training_data: SEED_TRAINING.length,
      step_executions_duplicates: 0,
      ivr_targets: 0,
      ivr_ids_0004: 0,
      benchmark_runs: 2,
      performance_metrics: 2,
      autonomy_metrics: 2,
      quality_metrics: 2,
      workflow_metrics: 2,
      metric_alerts: 0,
      runs: 1,
      instances: 12,
      steps: 36,
      assertions: 12,
      run_artifacts: 0,
      run_stats: 0,
      run_stat_groups: 0,
      run_error_categories: 0,
      run_report_groups: 0,
    });

    const second = await seed(h);
    expect(second.added).toEqual(ZERO);
    expect(await rowCounts(h)).toEqual(counts);
    expect(await validateSchema(h.client)).toEqual([]);
  });

  it("the seeded rows read back through the helpers", async () => {
    h = await openDatabase({ url: url(), migrate: true });
    await seed(h);
    const s = await getScenario(h, "bank-transfer-dtmf");
    expect(s.steps.filter((x) => x.type === "dtmf").map((x) => (x.type === "dtmf" ? x.digits : ""))).toEqual([
      "2",
      "1#",
    ]);
    const failed = await listExecutions(h, { final_result: "fail" });
    expect(failed.items.map((e) => e.call_id)).toEqual(["CA-seed-002"]);
    const [passed] = (await listExecutions(h, { final_result: "pass" })).items;
    expect(passed?.call_id).toBe("CA-seed-001");
    expect((await listStepExecutions(h, passed?.execution_id ?? 0)).map((x) => x.step_number)).toEqual([0, 1, 2]);
    const fails = await queryInstances(h, { run_id: "seed-run-001", status: "fail", with_total: true });
    expect(fails.total).toBe(2);
  });

  it("re-adds only what was removed", async () => {
    h = await openDatabase({ url: url(), migrate: true });
    await seed(h);
    const counts = await rowCounts(h);
    await deleteScenario(h, "bank-agent", { force: true }); // takes its execution (CA-seed-002) and its 2 steps along
    const again = await seed(h);
    expect(again.added).toEqual({ ...ZERO, scenarios: 1, executions: 1 });
    expect(await rowCounts(h)).toEqual(counts);
  });

  it("seeds only the domains the database holds", async () => {
    h = await openDatabase({ url: url(), migrate: true, domains: ["ivr"] });
    const r = await seed(h);
    expect(r.added).toEqual({ scenarios: 3, executions: 2, training: SEED_TRAINING.length, benchmarks: 0, runs: 0 });
    expect((await seed(h)).added).toEqual(ZERO);
  });
});

describe("the seed's intent training data", () => {
  const expected = new Set(
    SEED_SCENARIOS.flatMap((s) =>
      s.steps.flatMap((step) =>
        (step.type === "intent" || step.type === "validate") && step.expected_intent ? [step.expected_intent] : [],
      ),
    ),
  );
  const validated = SEED_TRAINING.filter((t) => t.validation_status === "validated");

  it("has at least 10 validated IVR prompts for every intent the seeded scenarios expect", () => {
    expect([...expected].sort()).toEqual(["check_balance", "speak_to_agent", "transfer_funds"]);
    for (const intent of new Set(SEED_TRAINING.map((t) => t.intent_label))) {
      expect(validated.filter((t) => t.intent_label === intent).length, intent).toBeGreaterThanOrEqual(10);
    }
    for (const intent of expected) expect(SEED_TRAINING.some((t) => t.intent_label === intent)).toBe(true);
  });

  it("holds each text once, with one threshold per intent", () => {
    const texts = SEED_TRAINING.map((t) => t.text_sample.toLowerCase());
    expect(new Set(texts).size).toBe(texts.length);
    for (const intent of new Set(SEED_TRAINING.map((t) => t.intent_label))) {
      const thresholds = new Set(
        SEED_TRAINING.filter((t) => t.intent_label === intent).map((t) => t.confidence_threshold),
      );
      expect(thresholds.size, intent).toBe(1);
    }
  });
});
