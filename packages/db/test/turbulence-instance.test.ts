/**
 * One instance's timeline and the step/instance filters, on a run turbulence wrote (run_real_001):
 * every answer is checked against the run's own files.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  NotFoundError,
  type VerdictDb,
  getInstanceTimeline,
  importRunFolder,
  openDatabase,
  queryInstances,
  querySteps,
} from "@verdict/db";

const RUN = "run_real_001";
const SRC = join(import.meta.dirname, "fixtures", "turbulence-analytics", RUN);
type Json = Record<string, unknown>;
const lines = (file: string) =>
  readFileSync(join(SRC, file), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Json);
const instances = lines("instances.jsonl");
const steps = lines("steps.jsonl") as (Json & { observation: Json })[];
const assertions = lines("assertions.jsonl");

let root: string;
let h: VerdictDb;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "verdict-turb-inst-"));
  h = await openDatabase({ url: `file:${join(root, "verdict.db")}`, domains: ["runs"], migrate: true });
  cpSync(SRC, join(root, RUN), { recursive: true });
  await importRunFolder(h, join(root, RUN));
});
afterAll(() => {
  h.close();
  rmSync(root, { recursive: true, force: true });
});

/** Every step of a run matching a filter, all pages. */
async function allSteps(filter: Record<string, unknown>) {
  const out: { instance_id: string; step_index: number; action_name: string }[] = [];
  let cursor: string | undefined;
  do {
    const page = await querySteps(h, { run_id: RUN, limit: 50, ...filter, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out.map((s) => `${s.instance_id}#${s.step_index}:${s.action_name}`);
}
const fromFile = (pred: (s: (typeof steps)[number]) => boolean) =>
  steps.filter(pred).map((s) => `${s.instance_id}#${s.step_index}:${s.step_name}`);

describe("runs instance", () => {
  it("an instance with a branch: its steps in the order they ran, each with its whole observation", async () => {
    const id = "inst_1e36a1ccfddc";
    const t = await getInstanceTimeline(h, RUN, id);
    const mine = steps.filter((s) => s.instance_id === id);
    expect(t.instance).toMatchObject({
      id,
      scenario_id: "browse",
      status: "fail",
      correlation_id: "corr_a0927153e7da",
    });
    expect(t.steps.map((s) => [s.step_index, s.action_name])).toEqual(mine.map((s) => [s.step_index, s.step_name]));
    expect(t.steps.map((s) => s.observation)).toEqual(mine.map((s) => s.observation));
    expect(t.steps[1]?.observation).toMatchObject({ branch_taken: "if_false" });
  });

  it("an instance with assertions lists them in order, and under the step that wrote them", async () => {
    const id = "inst_14ba8e8f60a0";
    const t = await getInstanceTimeline(h, RUN, id);
    const mine = assertions.filter((a) => a.instance_id === id);
    expect(mine.length).toBeGreaterThan(0);
    expect(t.assertions.map((a) => [a.step_index, a.assertion_name, a.passed, a.expected, a.actual])).toEqual(
      mine.map((a) => [a.step_index, a.assertion_name, a.passed, a.expected, a.actual]),
    );
    // scenario-level assertions (step_index past the flow, here 4 and 5) have no step to sit under
    const stepIndexes = new Set(steps.filter((x) => x.instance_id === id).map((x) => x.step_index));
    expect(t.steps.flatMap((s) => s.assertions.map((a) => a.assertion_name))).toEqual(
      mine.filter((a) => stepIndexes.has(a.step_index)).map((a) => a.assertion_name),
    );
    expect(t.steps.flatMap((s) => s.assertions)).toHaveLength(1);
  });

  it("an unknown instance or run is not found", async () => {
    await expect(getInstanceTimeline(h, RUN, "inst_nope")).rejects.toThrow(NotFoundError);
    await expect(getInstanceTimeline(h, "run_nope", "inst_1e36a1ccfddc")).rejects.toThrow(NotFoundError);
  });
});

describe("step and instance filters", () => {
  it("by instance, correlation id, step name, action name, ok, status code, minimum latency", async () => {
    const inst = "inst_1e36a1ccfddc";
    expect(await allSteps({ instance_id: inst })).toEqual(fromFile((s) => s.instance_id === inst));
    expect(await allSteps({ correlation_id: "corr_a0927153e7da" })).toEqual(fromFile((s) => s.instance_id === inst));
    expect(await allSteps({ step_name: "slow_call" })).toEqual(fromFile((s) => s.step_name === "slow_call"));
    expect(await allSteps({ action_name: "create_cart" })).toEqual(
      fromFile((s) => (s.observation.action_name ?? s.step_name) === "create_cart"),
    );
    expect(await allSteps({ ok: false })).toEqual(fromFile((s) => s.observation.ok === false));
    expect(await allSteps({ status_code: 404 })).toEqual(fromFile((s) => s.observation.status_code === 404));
    expect(await allSteps({ min_latency_ms: 300 })).toEqual(
      fromFile((s) => typeof s.observation.latency_ms === "number" && s.observation.latency_ms >= 300),
    );
    expect(await allSteps({ step_name: "slow_call", min_latency_ms: 330 })).toEqual(
      fromFile(
        (s) =>
          s.step_name === "slow_call" &&
          typeof s.observation.latency_ms === "number" &&
          s.observation.latency_ms >= 330,
      ),
    );
    expect((await allSteps({ status_code: 404 })).length).toBeGreaterThan(0);
  });

  it("instances that have an error, and those that do not", async () => {
    const withError = await queryInstances(h, { run_id: RUN, has_error: true, limit: 100, with_total: true });
    expect(withError.items.map((i) => i.id)).toEqual(instances.filter((i) => i.error).map((i) => i.instance_id));
    expect(withError.total).toBe(8);
    const without = await queryInstances(h, { run_id: RUN, has_error: false, limit: 100 });
    expect(without.items).toHaveLength(instances.length - 8);
  });
});
