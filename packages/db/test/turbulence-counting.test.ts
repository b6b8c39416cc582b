/**
 * Counting exactly as turbulence: an instance written `"passed": null` and the steps of an instance
 * never written (an interrupted run). The expected numbers are computed here from the JSONL lines by
 * turbulence's own rules (farmanp/turbulence 65b8fb9):
 * - summary (storage/artifact.py): total_instances = instance records; pass_count: `passed is True`;
 *   fail_count: `passed is False`; error_count: `error is not None`; pass_rate = 100 * pass / total;
 *   total_steps = step records;
 * - report (report/html.py): an instance counts as pass when `instance.get("passed", False)` is truthy,
 *   else as fail (so null is a failure there); a step whose instance it has not seen counts under
 *   scenario "unknown", which then has 0 passed / 0 failed.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type VerdictDb,
  gateMetrics,
  importRunFolder,
  openDatabase,
  runSummary,
  runTotals,
  scenarioActions,
} from "@verdict/db";

const FIXTURES = join(import.meta.dirname, "fixtures", "turbulence");
const RUN = "run_real_001";

interface InstanceLine {
  instance_id: string;
  scenario_id: string;
  passed: boolean | null;
  error: string | null;
}
interface StepLine {
  instance_id: string;
  step_name: string;
}

let root: string;
let h: VerdictDb;
let instances: InstanceLine[];
let steps: StepLine[];
let missing: Set<string>;

/**
 * run_real_001 with three instances written `passed: null` (one of them with an error, as a crashed
 * instance would be), its last 5 instance lines not written yet and no summary.json (interrupted).
 */
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "verdict-turb-count-"));
  const dir = join(root, RUN);
  cpSync(join(FIXTURES, RUN), dir, { recursive: true });
  rmSync(join(dir, "summary.json"));
  const all = readFileSync(join(dir, "instances.jsonl"), "utf8")
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as InstanceLine & Record<string, unknown>);
  const firstOf = (scenario: string, passed: boolean) =>
    all.findIndex((i) => i.scenario_id === scenario && i.passed === passed && i.passed !== null);
  for (const [scenario, passed, error] of [
    ["checkout", true, null],
    ["browse", false, null],
    ["browse", false, "HTTP 503: service unavailable"],
  ] as const) {
    const at = firstOf(scenario, passed);
    const line = all[at];
    if (!line) throw new Error(`no ${scenario} instance with passed ${passed} in the fixture`);
    line.passed = null;
    if (error !== null) line.error = error;
  }
  const kept = all.slice(0, -5);
  missing = new Set(all.slice(-5).map((i) => i.instance_id));
  writeFileSync(join(dir, "instances.jsonl"), `${kept.map((i) => JSON.stringify(i)).join("\n")}\n`);
  instances = kept;
  steps = readFileSync(join(dir, "steps.jsonl"), "utf8")
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as StepLine);
  h = await openDatabase({ url: `file:${join(root, "verdict.db")}`, domains: ["runs"], migrate: true });
  const r = await importRunFolder(h, dir);
  expect(r.interrupted).toBe(true);
  expect(r.placeholders).toBe(missing.size);
});
afterAll(() => {
  h?.close();
  rmSync(root, { recursive: true, force: true });
});

/** turbulence's summary counts of a set of instance lines. */
function summaryCounts(lines: readonly InstanceLine[]) {
  const pass = lines.filter((i) => i.passed === true).length;
  return {
    instances: lines.length,
    pass,
    fail: lines.filter((i) => i.passed === false).length,
    undecided: lines.filter((i) => i.passed === null).length,
    error: lines.filter((i) => i.error !== null).length,
    pass_rate: lines.length ? (100 * pass) / lines.length : null,
  };
}

describe("counting as turbulence: passed null and orphan steps", () => {
  it("the fixture holds what this test is about", () => {
    expect(instances.filter((i) => i.passed === null).length).toBe(3);
    expect(steps.filter((s) => missing.has(s.instance_id)).length).toBeGreaterThan(0);
  });

  it("summary totals: null is neither pass nor fail, placeholders are no instances, orphan steps are steps", async () => {
    const s = await runSummary(h, RUN);
    const c = summaryCounts(instances);
    expect(s.instances).toMatchObject(c);
    expect(s.totals).toMatchObject({
      total_instances: c.instances,
      pass_count: c.pass,
      fail_count: c.fail,
      error_count: c.error,
      // turbulence's arithmetic: (pass / total) * 100
      pass_rate: (c.pass / c.instances) * 100,
      total_steps: steps.length,
    });
    // pass + fail no longer adds up to the instances: the undecided ones are neither
    expect(s.totals.pass_count + s.totals.fail_count).toBe(c.instances - c.undecided);
    const { latency_count: _n, ...light } = await runTotals(h, RUN);
    expect(light).toEqual(s.totals);
    const g = await gateMetrics(h, RUN);
    expect({ fail_count: g.fail_count, error_count: g.error_count, pass_rate: g.pass_rate }).toEqual({
      fail_count: c.fail,
      error_count: c.error,
      pass_rate: (c.pass / c.instances) * 100,
    });
  });

  it("summary per scenario: the same rules, and no scenario made of placeholders only", async () => {
    const s = await runSummary(h, RUN);
    const scenarios = [...new Set(instances.map((i) => i.scenario_id))].sort();
    expect(s.by_scenario.map((x) => x.scenario_id).sort()).toEqual(scenarios);
    for (const id of scenarios) {
      const got = s.by_scenario.find((x) => x.scenario_id === id);
      expect(got, id).toMatchObject(summaryCounts(instances.filter((i) => i.scenario_id === id)));
    }
  });

  it("report: null counts as a failure, orphan steps under 'unknown' with 0 passed / 0 failed", async () => {
    const report = await scenarioActions(h, RUN);
    const scenarios = [...new Set(instances.map((i) => i.scenario_id))];
    const expected = new Map<string, { pass: number; fail: number; actions: Map<string, number> }>();
    const entry = (id: string) => {
      const e = expected.get(id) ?? { pass: 0, fail: 0, actions: new Map<string, number>() };
      expected.set(id, e);
      return e;
    };
    for (const i of instances) {
      const e = entry(i.scenario_id);
      if (i.passed) e.pass++;
      else e.fail++;
    }
    const scenarioOf = new Map(instances.map((i) => [i.instance_id, i.scenario_id]));
    for (const st of steps) {
      const e = entry(scenarioOf.get(st.instance_id) ?? "unknown");
      e.actions.set(st.step_name, (e.actions.get(st.step_name) ?? 0) + 1);
    }
    expect(scenarios).not.toContain("unknown");
    expect(report.map((r) => r.scenario_id).sort()).toEqual([...expected.keys()].sort());
    for (const r of report) {
      const e = expected.get(r.scenario_id);
      expect(e, r.scenario_id).toBeDefined();
      expect({ id: r.scenario_id, pass: r.pass_count, fail: r.fail_count }).toEqual({
        id: r.scenario_id,
        pass: e?.pass,
        fail: e?.fail,
      });
      expect(Object.fromEntries(r.actions.map((a) => [a.action_name, a.count]))).toEqual(
        Object.fromEntries(e?.actions ?? []),
      );
    }
    const unknown = report.find((r) => r.scenario_id === "unknown");
    expect(unknown).toMatchObject({ pass_count: 0, fail_count: 0, pass_rate: 0 });
  });
});
