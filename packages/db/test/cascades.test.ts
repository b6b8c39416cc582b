import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AssertionTuple,
  type InstanceTuple,
  type StepTuple,
  type VerdictDb,
  createRun,
  createScenario,
  deleteBenchmarkRun,
  deleteRun,
  deleteScenario,
  getScenario,
  insertAssertions,
  insertInstances,
  insertSteps,
  openDatabase,
  recordBenchmarkRun,
  recordStepExecutions,
  startExecution,
  updateScenario,
} from "@verdict/db";
import { TARGETS } from "./helpers.js";

async function count(h: VerdictDb, sql: string, args: string[] = []): Promise<number> {
  const rs = await h.client.execute({ sql: `SELECT count(*) AS n FROM ${sql}`, args });
  return Number(rs.rows[0]?.n);
}

/** Waits until the database clock (millisecond ISO text) has moved past `after`. */
async function clockPast(h: VerdictDb, after: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const rs = await h.client.execute("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS now");
    if (String(rs.rows[0]?.now) > after) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error("database clock did not move");
}

describe.each(TARGETS)("cascades on %s", (_label, url) => {
  let h: VerdictDb;
  beforeEach(async () => {
    h = await openDatabase({ url: url(), migrate: true, domains: ["ivr", "metrics", "runs"] });
  });
  afterEach(() => h.close());

  it("deleting a scenario removes its executions and their step executions, and nothing else", async () => {
    for (const id of ["keep", "drop"]) {
      await createScenario(h, { slug: id, name: id, target_phone: "+1", steps: [{ type: "prompt" }] });
      for (const _n of [1, 2]) {
        const e = await startExecution(h, { scenario_id: id });
        await recordStepExecutions(h, [
          { execution_id: e.execution_id, step_number: 0, step_type: "prompt", status: "pass" },
          { execution_id: e.execution_id, step_number: 1, step_type: "dtmf", dtmf_sent: "1#", status: "pass" },
        ]);
      }
    }
    expect(await count(h, "test_executions")).toBe(4);
    expect(await count(h, "step_executions")).toBe(8);

    await deleteScenario(h, "drop", { force: true });

    // keep is scenario 1 with executions 1 and 2; drop was scenario 2 with executions 3 and 4.
    expect(await count(h, "test_scenarios")).toBe(1);
    expect(await count(h, "test_executions WHERE scenario_id = 2")).toBe(0);
    expect(await count(h, "step_executions WHERE execution_id IN (3, 4)")).toBe(0);
    expect(await count(h, "test_executions WHERE scenario_id = 1")).toBe(2);
    expect(await count(h, "step_executions WHERE execution_id IN (1, 2)")).toBe(4);
  });

  it("deleting a benchmark run removes its four metric rows, and nothing else", async () => {
    for (const id of ["b-keep", "b-drop"]) {
      await recordBenchmarkRun(h, {
        run_id: id,
        timestamp: "2026-01-01T00:00:00.000Z",
        project_name: "p",
        benchmark_name: "b",
        quality: { tests_written: 3, tests_passing: 2 },
      });
    }
    const metricTables = ["performance_metrics", "autonomy_metrics", "quality_metrics", "workflow_metrics"];
    for (const t of metricTables) expect(await count(h, `${t} WHERE run_id = 'b-drop'`), t).toBe(1);

    await deleteBenchmarkRun(h, "b-drop");

    expect(await count(h, "benchmark_runs")).toBe(1);
    for (const t of metricTables) {
      expect(await count(h, `${t} WHERE run_id = 'b-drop'`), t).toBe(0);
      expect(await count(h, `${t} WHERE run_id = 'b-keep'`), t).toBe(1);
    }
  });

  it("deleting a run removes its instances, steps and assertions, and nothing else", async () => {
    for (const run of ["r-keep", "r-drop"]) {
      await createRun(h, { id: run, started_at: "2026-01-01T00:00:00.000Z", sut_name: "shop" });
      const inst: InstanceTuple[] = [];
      const steps: StepTuple[] = [];
      const asserts: AssertionTuple[] = [];
      for (let i = 0; i < 3; i++) {
        // The same instance ids in both runs: ids are unique per run only.
        inst.push([run, `i${i}`, "login", null, "pass", null, null, 10, null, null]);
        steps.push([run, `i${i}`, 0, "get", "http", "auth", null, 5, 200, 1, "{}"]);
        steps.push([run, `i${i}`, 1, "post", "http", "auth", null, 7, 201, 1, "{}"]);
        asserts.push([run, `i${i}`, 1, "created", 1, "201", "201", null]);
      }
      await insertInstances(h.client, inst);
      await insertSteps(h.client, steps);
      await insertAssertions(h.client, asserts);
    }

    await deleteRun(h, "r-drop");

    expect(await count(h, "runs")).toBe(1);
    for (const [t, n] of [
      ["instances", 3],
      ["steps", 6],
      ["assertions", 3],
    ] as const) {
      expect(await count(h, `${t} WHERE run_id = ?`, ["r-drop"]), t).toBe(0);
      expect(await count(h, `${t} WHERE run_id = ?`, ["r-keep"]), t).toBe(n);
    }
  });
});

describe.each(TARGETS)("updated_at trigger on %s", (_label, url) => {
  let h: VerdictDb;
  beforeEach(async () => {
    h = await openDatabase({ url: url(), migrate: true, domains: ["ivr"] });
  });
  afterEach(() => h.close());

  it("moves updated_at on an update through the helper, keeps created_at", async () => {
    const created = await createScenario(h, {
      scenario_id: "s1",
      name: "before",
      target_phone: "+1",
      steps: [{ type: "prompt" }],
    });
    expect(created.updated_at).toBe(created.created_at);
    await clockPast(h, created.updated_at);

    const updated = await updateScenario(h, { scenario_id: "s1", patch: { name: "after" } });

    expect(updated.name).toBe("after");
    expect(updated.created_at).toBe(created.created_at);
    expect(updated.updated_at > created.updated_at).toBe(true);
    expect(updated.updated_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("moves updated_at on a raw SQL update too, and leaves other rows alone", async () => {
    const a = await createScenario(h, { scenario_id: "a", name: "a", target_phone: "+1", steps: [{ type: "prompt" }] });
    const b = await createScenario(h, { scenario_id: "b", name: "b", target_phone: "+1", steps: [{ type: "prompt" }] });
    await clockPast(h, a.updated_at);
    await clockPast(h, b.updated_at);

    await h.client.execute("UPDATE test_scenarios SET timeout_seconds = 42 WHERE slug = 'a'");

    const a2 = await getScenario(h, "a");
    const b2 = await getScenario(h, "b");
    expect(a2.timeout_seconds).toBe(42);
    expect(a2.updated_at > a.updated_at).toBe(true);
    expect(a2.created_at).toBe(a.created_at);
    expect(b2.updated_at).toBe(b.updated_at);
  });

  it("keeps an updated_at the update sets itself (the trigger does not overwrite or recurse)", async () => {
    await createScenario(h, { scenario_id: "s", name: "s", target_phone: "+1", steps: [{ type: "prompt" }] });
    await h.client.execute(
      "UPDATE test_scenarios SET name = 'x', updated_at = '2030-01-01T00:00:00.000Z' WHERE slug = 's'",
    );
    expect((await getScenario(h, "s")).updated_at).toBe("2030-01-01T00:00:00.000Z");
  });
});
