import type { BenchmarkRunInput, ScenarioInput, TrainingInput } from "@verdict/schema";
import { eq } from "drizzle-orm";
import type { VerdictDb } from "./open.js";
import { addTrainingSamples, createScenario, recordStepExecutions, resolveScenarioId } from "./queries/ivr.js";
import { recordBenchmarkRun } from "./queries/metrics.js";
import { SEED_TRAINING_SAMPLES } from "./seed-training.js";
import {
  type AssertionTuple,
  type InstanceTuple,
  type StepTuple,
  insertAssertions,
  insertInstances,
  insertSteps,
  runExists,
} from "./queries/runs.js";
import { benchmarkRuns } from "./schema/metrics.js";
import { testExecutions, testScenarios } from "./schema/ivr.js";

export const SEED_SCENARIOS: ScenarioInput[] = [
  {
    slug: "bank-balance",
    name: "Banking: check balance by voice",
    description: "Caller asks for the balance in plain words and hears it read back.",
    target_phone: "+15550100100",
    timeout_seconds: 120,
    steps: [
      { type: "prompt", name: "greeting", expected_text: "Welcome to Acme Bank", timeout_ms: 5000 },
      {
        type: "intent",
        name: "ask balance",
        utterance: "what is my account balance",
        expected_intent: "check_balance",
        confidence_threshold: 0.7,
      },
      { type: "prompt", name: "balance read", expected_text: "Your balance is" },
    ],
  },
  {
    slug: "bank-transfer-dtmf",
    name: "Banking: transfer via keypad",
    description: "Caller presses 2 for transfers and confirms with #.",
    target_phone: "+15550100100",
    steps: [
      { type: "prompt", name: "greeting", expected_text: "Welcome to Acme Bank" },
      { type: "dtmf", name: "menu 2", digits: "2", timeout_ms: 3000 },
      { type: "validate", name: "in transfer menu", expected_intent: "transfer_funds" },
      { type: "dtmf", name: "confirm", digits: "1#" },
    ],
  },
  {
    slug: "bank-agent",
    name: "Banking: reach a human agent",
    target_phone: "+15550100100",
    timeout_seconds: 60,
    steps: [
      { type: "prompt", name: "greeting", expected_text: "Welcome" },
      { type: "intent", name: "ask agent", utterance: "I want to talk to a person", expected_intent: "speak_to_agent" },
    ],
  },
];

export const SEED_TRAINING: TrainingInput[] = SEED_TRAINING_SAMPLES.map((s) => ({
  text_sample: s.text,
  intent_label: s.intent,
  source: s.source,
  confidence_threshold: s.threshold,
  validation_status: s.status,
}));

const metricsRun = (n: number, ts: string, tweak: number): BenchmarkRunInput => ({
  run_id: `seed-bench-${n}`,
  timestamp: ts,
  project_name: "todo-app",
  benchmark_name: "greenfield-crud",
  version: `1.${n}.0`,
  metadata: { model: "sonnet", machine: "ci-2core" },
  performance: {
    total_time_seconds: 1800 - tweak * 120,
    phase_times: { analysis: 300, implementation: 1200 - tweak * 100, testing: 300 - tweak * 20 },
    token_usage_total: 420_000 - tweak * 30_000,
    token_usage_by_agent: { planner: 60_000, developer: 300_000 - tweak * 30_000, reviewer: 60_000 },
    api_calls_count: 210 - tweak * 15,
    api_calls_cost: 6.3 - tweak * 0.45,
  },
  autonomy: {
    manual_interventions_count: 3 - tweak,
    manual_interventions_types: tweak ? ["clarification"] : ["clarification", "fix-build", "env"],
    prompts_needed_initial: 1,
    prompts_needed_followup: 4 - tweak * 2,
    one_shot_success_rate: 0.6 + tweak * 0.15,
    error_recovery_rate: 0.7 + tweak * 0.1,
    agent_handoffs_successful: 12 + tweak,
    agent_handoffs_failed: 2 - tweak,
  },
  quality: {
    tests_written: 48 + tweak * 6,
    tests_passing: 45 + tweak * 9,
    code_coverage_percentage: 78.5 + tweak * 6,
    linting_errors_count: 7 - tweak * 5,
    linting_errors_by_severity: { error: 2 - tweak * 2, warning: 5 - tweak * 3 },
    type_errors_count: 1 - tweak,
    security_vulnerabilities_count: 1,
    security_vulnerabilities_by_severity: { low: 1 },
    functional_completeness_percentage: 90 + tweak * 8,
  },
  workflow: {
    stories_created: 8,
    stories_completed: 7 + tweak,
    avg_cycle_time_seconds: 225 - tweak * 20,
    phase_distribution: { analysis: 0.15, implementation: 0.65, testing: 0.2 },
    rework_count: 2 - tweak,
  },
});

export const SEED_BENCHMARKS: BenchmarkRunInput[] = [
  metricsRun(1, "2026-11-01T10:00:00.000Z", 0),
  metricsRun(2, "2026-11-08T10:00:00.000Z", 1),
];

export const SEED_RUN_ID = "seed-run-001";

/** A small turbulence-style run: 12 instances of 3 scenarios, 3 steps each, two failures. */
function seedRunRows() {
  const scenarios = ["login", "checkout", "search"];
  const instances: InstanceTuple[] = [];
  const steps: StepTuple[] = [];
  const assertions: AssertionTuple[] = [];
  const base = Date.parse("2026-11-20T09:00:00.000Z");
  for (let i = 0; i < 12; i++) {
    const id = `inst-${String(i + 1).padStart(3, "0")}`;
    const scenario = scenarios[i % 3] ?? "login";
    const failed = i === 4 || i === 10;
    const start = new Date(base + i * 1500).toISOString();
    const latencies = [40 + i * 3, 120 + (i % 4) * 35, failed ? 2400 : 60 + i];
    const duration = latencies.reduce((a, b) => a + b, 0) + 15;
    instances.push([
      SEED_RUN_ID,
      id,
      scenario,
      `corr-${i + 1}`,
      failed ? "fail" : "pass",
      start,
      new Date(base + i * 1500 + duration).toISOString(),
      duration,
      JSON.stringify({ user_tier: i % 2 ? "gold" : "basic", locale: "en-US" }),
      failed ? "assertion failed: status_code expected 200 got 503" : null,
    ]);
    const actions = [
      ["open_session", "http", "auth"],
      [`${scenario}_action`, "http", scenario === "search" ? "catalog" : "orders"],
      ["verify", "http", "orders"],
    ] as const;
    actions.forEach(([name, type, service], k) => {
      const code = failed && k === 2 ? 503 : 200;
      steps.push([
        SEED_RUN_ID,
        id,
        k,
        name,
        type,
        service,
        new Date(base + i * 1500 + k * 200).toISOString(),
        latencies[k] ?? 0,
        code,
        code < 400 ? 1 : 0,
        JSON.stringify({
          ok: code < 400,
          protocol: "http",
          status_code: code,
          latency_ms: latencies[k],
          service,
          action_name: name,
          headers: { "content-type": "application/json" },
          body: { ok: code < 400 },
          errors: code < 400 ? [] : ["Service Unavailable"],
          attempts: [],
        }),
      ]);
    });
    assertions.push([
      SEED_RUN_ID,
      id,
      2,
      "status is 200",
      failed ? 0 : 1,
      "200",
      String(failed ? 503 : 200),
      failed ? "expected 200 got 503" : null,
    ]);
  }
  return { instances, steps, assertions };
}

export interface SeedResult {
  added: { scenarios: number; executions: number; training: number; benchmarks: number; runs: number };
}

/** Which of the seeded domains the database holds (a database may be created with only some). */
async function presentDomains(h: VerdictDb): Promise<{ ivr: boolean; metrics: boolean; runs: boolean }> {
  const rs = await h.client.execute(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('test_scenarios', 'benchmark_runs', 'runs')",
  );
  const names = new Set(rs.rows.map((r) => String(r.name)));
  return { ivr: names.has("test_scenarios"), metrics: names.has("benchmark_runs"), runs: names.has("runs") };
}

/** Adds realistic sample data for every domain the database holds; running it again adds nothing. */
export async function seed(h: VerdictDb): Promise<SeedResult> {
  const added = { scenarios: 0, executions: 0, training: 0, benchmarks: 0, runs: 0 };
  const present = await presentDomains(h);
  if (present.ivr) await seedIvr(h, added);
  if (present.metrics) await seedMetrics(h, added);
  if (present.runs) await seedRuns(h, added);
  return { added };
}

async function seedIvr(h: VerdictDb, added: SeedResult["added"]): Promise<void> {
  for (const s of SEED_SCENARIOS) {
    const exists = await h.db
      .select({ id: testScenarios.scenario_id })
      .from(testScenarios)
      .where(eq(testScenarios.slug, s.slug ?? ""));
    if (exists.length === 0) {
      await createScenario(h, s);
      added.scenarios++;
    }
  }
  // Seed executions are known by their call_id (ids are the database's own).
  const executions = [
    {
      scenario: "bank-balance",
      status: "completed" as const,
      final_result: "pass" as const,
      start_time: "2026-11-20T08:00:00.000Z",
      end_time: "2026-11-20T08:00:21.500Z",
      call_id: "CA-seed-001",
      error_message: null,
    },
    {
      scenario: "bank-agent",
      status: "failed" as const,
      final_result: "fail" as const,
      start_time: "2026-11-20T08:05:00.000Z",
      end_time: "2026-11-20T08:05:12.250Z",
      call_id: "CA-seed-002",
      error_message: "intent speak_to_agent expected, got check_balance (0.62)",
    },
  ];
  for (const { scenario, ...e } of executions) {
    const exists = await h.db
      .select({ id: testExecutions.execution_id })
      .from(testExecutions)
      .where(eq(testExecutions.call_id, e.call_id));
    if (exists.length > 0) continue;
    const [created] = await h.db
      .insert(testExecutions)
      .values({ ...e, scenario_id: await resolveScenarioId(h, scenario) })
      .returning({ execution_id: testExecutions.execution_id });
    if (!created) throw new Error("insert returned no row");
    added.executions++;
    if (e.call_id === "CA-seed-001") {
      await recordStepExecutions(h, [
        {
          execution_id: created.execution_id,
          step_number: 0,
          step_type: "prompt",
          transcript: "Welcome to Acme Bank. How can I help?",
          status: "pass",
          started_at: "2026-11-20T08:00:00.100Z",
          ended_at: "2026-11-20T08:00:03.100Z",
          latency_ms: 3000,
        },
        {
          execution_id: created.execution_id,
          step_number: 1,
          step_type: "intent",
          expected_intent: "check_balance",
          actual_intent: "check_balance",
          confidence: 0.93,
          transcript: "Sure, let me look up your balance.",
          status: "pass",
          started_at: "2026-11-20T08:00:03.200Z",
          ended_at: "2026-11-20T08:00:05.000Z",
          latency_ms: 1800,
        },
        {
          execution_id: created.execution_id,
          step_number: 2,
          step_type: "prompt",
          transcript: "Your balance is 1,204 dollars.",
          status: "pass",
          started_at: "2026-11-20T08:00:05.100Z",
          ended_at: "2026-11-20T08:00:07.000Z",
          latency_ms: 1900,
        },
      ]);
    } else {
      await recordStepExecutions(h, [
        {
          execution_id: created.execution_id,
          step_number: 0,
          step_type: "prompt",
          transcript: "Welcome to Acme Bank.",
          status: "pass",
          latency_ms: 2500,
        },
        {
          execution_id: created.execution_id,
          step_number: 1,
          step_type: "intent",
          expected_intent: "speak_to_agent",
          actual_intent: "check_balance",
          confidence: 0.62,
          transcript: "Your balance is 1,204 dollars.",
          status: "fail",
          latency_ms: 2100,
          error: "expected speak_to_agent",
        },
      ]);
    }
  }
  // Idempotent by (text_sample, intent_label): samples already stored are skipped.
  added.training = (await addTrainingSamples(h, SEED_TRAINING)).inserted;
}

async function seedMetrics(h: VerdictDb, added: SeedResult["added"]): Promise<void> {
  for (const b of SEED_BENCHMARKS) {
    const exists = await h.db
      .select({ id: benchmarkRuns.run_id })
      .from(benchmarkRuns)
      .where(eq(benchmarkRuns.run_id, b.run_id ?? ""));
    if (exists.length === 0) {
      await recordBenchmarkRun(h, b);
      added.benchmarks++;
    }
  }
}

async function seedRuns(h: VerdictDb, added: SeedResult["added"]): Promise<void> {
  if (!(await runExists(h.client, SEED_RUN_ID))) {
    const rows = seedRunRows();
    const tx = await h.client.transaction("write");
    try {
      await tx.execute({
        sql: "INSERT INTO runs (id, started_at, completed_at, sut_name, scenario_ids, seed, config) VALUES (?, ?, ?, ?, ?, ?, ?)",
        args: [
          SEED_RUN_ID,
          "2026-11-20T09:00:00.000000Z",
          "2026-11-20T09:00:20.000000Z",
          "shop-api",
          JSON.stringify(["login", "checkout", "search"]),
          42,
          JSON.stringify({ concurrency: 4, base_url: "http://127.0.0.1:8080" }),
        ],
      });
      await insertInstances(tx, rows.instances);
      await insertSteps(tx, rows.steps);
      await insertAssertions(tx, rows.assertions);
      await tx.commit();
    } finally {
      tx.close();
    }
    added.runs++;
  }
}
