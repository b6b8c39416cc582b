import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { type VerdictClient, createLocalClient } from "@verdict/api";
import { type VerdictDb, openDatabase, seed } from "@verdict/db";
import type { ScenarioInput } from "@verdict/schema";
import { freePort, tempDir, spawnListening } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IvrExecutor, ModelCache, type StepReport, createIvrExecutor } from "@verdict/ivr-runner";

const DEMO_IVR = fileURLToPath(new URL("../../demo-ivr/src/main.ts", import.meta.url));
const dir = tempDir("verdict-ivr-exec-");

let ivr: ChildProcess;
let webhook = "";
let db: VerdictDb;
let api: VerdictClient;
const models = new ModelCache();
let executor: IvrExecutor;

/** The real demo IVR process on 127.0.0.1 (from source through tsx, so no build is needed). */
const startDemoIvr = () =>
  spawnListening(["--import", "tsx", DEMO_IVR, "--port", "0", "--quiet"], { name: "the demo IVR" });

/**
 * What the worker does around the executor, through the same typed API: start an execution,
 * run the scenario, store its steps, finish it. Returns the executor's result and the stored steps.
 */
async function execute(scenarioId: number | string, opts: { executor?: IvrExecutor; signal?: AbortSignal } = {}) {
  const scenario = await api.ivr.scenarios.get.query({ scenario_id: scenarioId });
  const execution = await api.ivr.executions.start.mutate({ scenario_id: scenarioId });
  const reported: StepReport[] = [];
  const result = await (opts.executor ?? executor).run({
    executionId: String(execution.execution_id),
    scenario,
    signal: opts.signal ?? new AbortController().signal,
    report: (step) => reported.push(step),
    trainingSamples: () => api.ivr.training.export.query({ validation_status: "validated" }),
  });
  if (reported.length > 0) {
    await api.ivr.steps.recordMany.mutate({
      steps: reported.map((s) => ({ ...s, execution_id: execution.execution_id })),
    });
  }
  const finished = await api.ivr.executions.finish.mutate({
    execution_id: execution.execution_id,
    status: "completed",
    final_result: result.final_result,
    error_message: result.error ?? null,
    call_id: result.call_id,
  });
  const steps = await api.ivr.steps.list.query({ execution_id: execution.execution_id });
  return { result, finished, steps, reported };
}

async function addScenario(s: ScenarioInput): Promise<number> {
  return (await api.ivr.scenarios.create.mutate(s)).scenario_id;
}

async function liveCalls(): Promise<number> {
  return ((await (await fetch(new URL("/health", webhook))).json()) as { calls: number }).calls;
}

beforeAll(async () => {
  ({ child: ivr, url: webhook } = await startDemoIvr());
  db = await openDatabase({ url: `file:${dir.file("verdict.db")}`, migrate: true });
  await seed(db);
  api = createLocalClient(db);
  executor = createIvrExecutor({ ivrWebhookUrl: webhook, models });
});

afterAll(async () => {
  if (ivr && ivr.exitCode === null) {
    ivr.kill("SIGTERM");
    await once(ivr, "exit");
  }
  db?.close();
  dir.cleanup();
});

describe("IVR executor: seeded scenarios against the demo IVR", () => {
  it("bank-balance passes: greeting, the spoken request classified as check_balance, the balance read", async () => {
    const { result, finished, steps } = await execute("bank-balance");
    expect(result).toEqual({ final_result: "pass", call_id: expect.stringMatching(/^call-/), error: null });
    expect(finished.final_result).toBe("pass");
    expect(finished.call_id).toBe(result.call_id);
    expect(steps.map((s) => [s.step_number, s.step_type, s.status])).toEqual([
      [0, "prompt", "pass"],
      [1, "intent", "pass"],
      [2, "prompt", "pass"],
    ]);
    const intent = steps[1];
    expect(intent?.expected_intent).toBe("check_balance");
    expect(intent?.actual_intent).toBe("check_balance");
    expect(intent?.confidence).toBeGreaterThanOrEqual(0.7); // the step's own threshold
    expect(intent?.transcript).toContain("Your balance is 1,204 dollars and 56 cents");
    expect(steps[0]?.transcript).toMatch(/^Welcome to Acme Bank\./);
    for (const s of steps) {
      expect(s.latency_ms).toBeGreaterThanOrEqual(0);
      expect(Date.parse(s.ended_at ?? "")).toBeGreaterThanOrEqual(Date.parse(s.started_at ?? ""));
    }
    expect(await liveCalls()).toBe(0); // hung up
  });

  it("bank-transfer-dtmf passes: the transfer menu is recognised as transfer_funds at the intent's own threshold", async () => {
    const { result, steps } = await execute("bank-transfer-dtmf");
    expect(result.final_result).toBe("pass");
    expect(steps.map((s) => s.status)).toEqual(["pass", "pass", "pass", "pass"]);
    expect(steps[1]?.dtmf_sent).toBe("2");
    expect(steps[3]?.dtmf_sent).toBe("1#");
    expect(steps[2]).toMatchObject({
      step_type: "validate",
      expected_intent: "transfer_funds",
      actual_intent: "transfer_funds",
    });
    expect(steps[2]?.confidence).toBeGreaterThanOrEqual(0.84); // the seeded transfer_funds threshold
    expect(steps[3]?.transcript).toContain("Your transfer of 100 dollars to savings is confirmed");
  });

  it("bank-agent passes: asking for a person reaches an agent", async () => {
    const { result, steps } = await execute("bank-agent");
    expect(result.final_result).toBe("pass");
    expect(steps[1]).toMatchObject({ actual_intent: "speak_to_agent", status: "pass" });
    expect(steps[1]?.transcript).toMatch(/^Connecting you to an agent/);
  });

  it("trains once per set of samples and retrains when the validated samples change", async () => {
    const before = models.trainings;
    await execute("bank-agent");
    expect(models.trainings).toBe(before);
    await api.ivr.training.add.mutate({
      text_sample: "I'd like to speak with an advisor",
      intent_label: "speak_to_agent",
      confidence_threshold: 0.8,
      validation_status: "validated",
    });
    const { result } = await execute("bank-agent");
    expect(result.final_result).toBe("pass");
    expect(models.trainings).toBe(before + 1);
  });
});

describe("IVR executor: failures", () => {
  it("fails the step whose intent is wrong, records the intent it heard, and skips the rest", async () => {
    const id = await addScenario({
      scenario_id: "wrong-intent",
      name: "expects an agent but asks for the balance",
      target_phone: "+15550100100",
      steps: [
        { type: "prompt", expected_text: "Welcome to Acme Bank" },
        { type: "intent", name: "ask", utterance: "what is my account balance", expected_intent: "speak_to_agent" },
        { type: "prompt", expected_text: "Connecting you" },
      ],
    });
    const { result, finished, steps } = await execute(id);
    expect(result.final_result).toBe("fail");
    expect(result.error).toMatch(
      /^step 1 \(ask\): expected intent speak_to_agent, got check_balance \(confidence 0\.\d\d\)$/,
    );
    expect(finished.error_message).toBe(result.error);
    expect(steps[1]).toMatchObject({
      status: "fail",
      expected_intent: "speak_to_agent",
      actual_intent: "check_balance",
    });
    expect(steps[1]?.confidence).toBeGreaterThan(0.5);
    expect(steps[2]).toMatchObject({ status: "skipped", error: "not run: step 1 (ask) did not pass" });
    expect(await liveCalls()).toBe(0);
  });

  it("fails an intent below the step's threshold and a prompt whose text does not match", async () => {
    const id = await addScenario({
      scenario_id: "strict",
      name: "impossible threshold",
      target_phone: "+15550100100",
      steps: [
        { type: "prompt", expected_text: "^Welcome to Acme Bank\\.", match: "regex" },
        { type: "intent", utterance: "balance", expected_intent: "check_balance", confidence_threshold: 1 },
      ],
    });
    const strict = await execute(id);
    expect(strict.steps[0]?.status).toBe("pass");
    expect(strict.steps[1]).toMatchObject({ status: "fail", actual_intent: "check_balance" });
    expect(strict.steps[1]?.error).toMatch(
      /^intent check_balance recognised with confidence 0\.\d\d, below the threshold 1\.00$/,
    );

    const text = await addScenario({
      scenario_id: "wrong-greeting",
      name: "exact greeting that is not",
      target_phone: "+15550100100",
      steps: [{ type: "prompt", expected_text: "Welcome to Acme Bank.", match: "exact" }],
    });
    const r = await execute(text);
    expect(r.result.final_result).toBe("fail");
    expect(r.steps[0]?.error).toMatch(
      /^prompt "Welcome to Acme Bank\. For your .*\.\.\." is not exactly "Welcome to Acme Bank\."$/,
    );
  });

  it("errors a step that waits longer than its timeout_ms, and the IVR and the next run are unaffected", async () => {
    const id = await addScenario({
      scenario_id: "hang",
      name: "press the digit the IVR never answers",
      target_phone: "+15550100100",
      steps: [
        { type: "prompt", expected_text: "Welcome" },
        { type: "dtmf", name: "broken option", digits: "7", timeout_ms: 500 },
        { type: "prompt", expected_text: "anything" },
      ],
    });
    const { result, steps } = await execute(id);
    expect(result.final_result).toBe("fail");
    expect(steps[1]).toMatchObject({
      status: "error",
      dtmf_sent: null,
      error: "timed out after 500 ms: no answer from the IVR to DTMF 7 in time",
    });
    expect(steps[1]?.latency_ms).toBeGreaterThanOrEqual(480);
    expect(steps[1]?.latency_ms).toBeLessThan(3000);
    expect(steps[2]?.status).toBe("skipped");
    expect(await liveCalls()).toBe(0);
    expect((await execute("bank-agent")).result.final_result).toBe("pass");
  });

  it("stops when the execution's signal aborts (lease lost, shutdown)", async () => {
    const id = await addScenario({
      scenario_id: "hang-long",
      name: "hangs past the abort",
      target_phone: "+15550100100",
      steps: [
        { type: "intent", utterance: "hold forever please", expected_intent: "check_balance", timeout_ms: 60_000 },
      ],
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("lease lost")), 300);
    const started = Date.now();
    const { result, steps } = await execute(id, { signal: controller.signal });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.final_result).toBe("fail");
    expect(steps[0]).toMatchObject({ status: "error", error: "execution aborted: lease lost" });
  });

  it("errors clearly when the IVR cannot be reached or the intent is unknown to the model", async () => {
    const port = await freePort();
    const offline = createIvrExecutor({ ivrWebhookUrl: `http://127.0.0.1:${port}/webhook`, models });
    const down = await execute("bank-balance", { executor: offline });
    // the call id the channel made up is kept even though the call never connected
    expect(down.result).toMatchObject({ final_result: "fail", call_id: expect.stringMatching(/^call-/) });
    expect(down.steps[0]?.status).toBe("error");
    expect(down.steps[0]?.error).toMatch(
      new RegExp(`^cannot reach the IVR webhook at http://127\\.0\\.0\\.1:${port}/webhook: `),
    );
    expect(down.steps.slice(1).map((s) => s.status)).toEqual(["skipped", "skipped"]);

    const id = await addScenario({
      scenario_id: "unknown-intent",
      name: "intent nobody trained",
      target_phone: "+15550100100",
      steps: [{ type: "intent", utterance: "what is my balance", expected_intent: "open_account" }],
    });
    const unknown = await execute(id);
    expect(unknown.steps[0]).toMatchObject({ status: "error", actual_intent: "check_balance" });
    expect(unknown.steps[0]?.error).toMatch(
      /^expected intent open_account has no validated training samples \(known intents: /,
    );

    const none = await createIvrExecutor({}).run({
      executionId: "x",
      scenario: await api.ivr.scenarios.get.query({ scenario_id: "bank-balance" }),
      signal: new AbortController().signal,
      report: () => undefined,
      trainingSamples: async () => [],
    });
    expect(none).toEqual({
      final_result: "fail",
      call_id: null,
      error:
        "no IVR channel configured: give the IVR's URL (verdict-worker --ivr-webhook URL, verdict ivr run --target URL)",
    });
  });
});
