import { describe, expect, it } from "vitest";
import { benchmarkRunInput, observation, scenarioInput, stepDefinition, trainingInput } from "@verdict/schema";

describe("IVR step definitions", () => {
  it("accepts each step type and fills defaults", () => {
    expect(stepDefinition.parse({ type: "prompt", expected_text: "Welcome" })).toEqual({
      type: "prompt",
      expected_text: "Welcome",
      match: "contains",
    });
    expect(
      stepDefinition.parse({
        type: "intent",
        expected_intent: "check_balance",
        confidence_threshold: 0.7,
        timeout_ms: 5000,
      }),
    ).toMatchObject({ type: "intent" });
    expect(stepDefinition.parse({ type: "dtmf", digits: "0123456789*#ABCD" })).toMatchObject({
      digits: "0123456789*#ABCD",
    });
    expect(stepDefinition.parse({ type: "validate", expected_text: "Goodbye" })).toMatchObject({ type: "validate" });
  });

  it("rejects bad steps with the field path", () => {
    const issues = (v: unknown) => stepDefinition.safeParse(v).error?.issues.map((i) => i.path.join("."));
    expect(issues({ type: "dtmf", digits: "12E" })).toEqual(["digits"]);
    expect(issues({ type: "dtmf", digits: "" })).toEqual(["digits"]);
    expect(issues({ type: "intent", expected_intent: "x", confidence_threshold: 1.2 })).toEqual([
      "confidence_threshold",
    ]);
    expect(issues({ type: "validate" })).toEqual(["expected_intent"]);
    expect(issues({ type: "prompt", timeout_ms: -1 })).toEqual(["timeout_ms"]);
    expect(issues({ type: "hangup" })).toEqual(["type"]);
  });

  it("a scenario needs steps and defaults timeout_seconds to 300", () => {
    expect(
      scenarioInput.parse({ name: "n", target_phone: "1", steps: [{ type: "dtmf", digits: "1" }] }).timeout_seconds,
    ).toBe(300);
    expect(scenarioInput.safeParse({ name: "n", target_phone: "1", steps: [] }).success).toBe(false);
  });
});

describe("training and metrics inputs", () => {
  it("training samples default to threshold 0.85, manual, pending", () => {
    expect(trainingInput.parse({ text_sample: " hi ", intent_label: "greet" })).toEqual({
      text_sample: "hi",
      intent_label: "greet",
      confidence_threshold: 0.85,
      source: "manual",
      validation_status: "pending",
    });
    expect(trainingInput.safeParse({ text_sample: "hi", intent_label: "g", source: "scraped" }).success).toBe(false);
  });

  it("benchmark runs fill every metric group and enforce the cross-field rules", () => {
    const run = benchmarkRunInput.parse({ timestamp: "2026-01-01T00:00:00Z", project_name: "p", benchmark_name: "b" });
    expect(run.performance.total_time_seconds).toBe(0);
    expect(run.workflow.phase_distribution).toEqual({});
    const bad = benchmarkRunInput.safeParse({
      timestamp: "2026-01-01T00:00:00Z",
      project_name: "p",
      benchmark_name: "b",
      workflow: { stories_created: 1, stories_completed: 2 },
      autonomy: { one_shot_success_rate: 1.5 },
    });
    expect(bad.error?.issues.map((i) => i.path.join(".")).sort()).toEqual([
      "autonomy.one_shot_success_rate",
      "workflow.stories_completed",
    ]);
  });
});

describe("run observations", () => {
  it("keep unknown keys as they are", () => {
    const o = observation.parse({
      ok: true,
      status_code: 200,
      latency_ms: 12.5,
      custom: { nested: [1, "x", null] },
      trace_id: "t1",
    });
    expect(o).toEqual({
      ok: true,
      status_code: 200,
      latency_ms: 12.5,
      custom: { nested: [1, "x", null] },
      trace_id: "t1",
    });
  });
});
