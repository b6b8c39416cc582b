import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConflictError,
  NotFoundError,
  ValidationError,
  type VerdictDb,
  addTrainingSample,
  addTrainingSamples,
  allTrainingSamples,
  createScenario,
  deleteScenario,
  finishExecution,
  getExecution,
  getScenario,
  getTrainingSample,
  listExecutions,
  listScenarios,
  listStepExecutions,
  listTrainingSamples,
  openDatabase,
  recordStepExecution,
  recordStepExecutions,
  setTrainingStatus,
  startExecution,
  updateScenario,
} from "@verdict/db";
import { TARGETS, rejection, allPages } from "./helpers.js";

const steps = [
  { type: "prompt" as const, expected_text: "Welcome" },
  { type: "intent" as const, utterance: "balance", expected_intent: "check_balance", confidence_threshold: 0.7 },
  { type: "dtmf" as const, digits: "1#" },
];

describe.each(TARGETS)("IVR helpers on %s", (_label, url) => {
  let h: VerdictDb;
  beforeEach(async () => {
    h = await openDatabase({ url: url(), migrate: true, domains: ["ivr"] });
  });
  afterEach(() => h.close());

  describe("scenarios", () => {
    it("create then get returns the same scenario, steps parsed back from JSON", async () => {
      const created = await createScenario(h, {
        name: "Balance",
        description: "asks for the balance",
        target_phone: "+15550100",
        steps,
        timeout_seconds: 90,
      });
      expect(created.scenario_id).toBe(1);
      expect(created.slug).toMatch(/^scn_/);
      const got = await getScenario(h, created.scenario_id);
      expect(got).toEqual(created);
      // By slug, or by the id written as digits, the same scenario.
      expect(await getScenario(h, created.slug)).toEqual(created);
      expect(await getScenario(h, "1")).toEqual(created);
      expect(got.steps).toEqual([
        { type: "prompt", expected_text: "Welcome", match: "contains" },
        { type: "intent", utterance: "balance", expected_intent: "check_balance", confidence_threshold: 0.7 },
        { type: "dtmf", digits: "1#" },
      ]);
      expect(got.timeout_seconds).toBe(90);
      expect(got.description).toBe("asks for the balance");
    });

    it("get of an unknown id is NotFound", async () => {
      const err = await rejection(getScenario(h, "nope"));
      expect(err).toBeInstanceOf(NotFoundError);
      expect((err as NotFoundError).message).toBe("scenario 'nope' not found");
    });

    it("bad input is refused by validation before anything is written", async () => {
      const err = await rejection(
        createScenario(h, { name: "x", target_phone: "+1", steps: [{ type: "dtmf", digits: "12x" }] }),
      );
      expect(err).toBeInstanceOf(Error);
      expect(String((err as Error).message)).toContain("DTMF");
      expect((await listScenarios(h)).items).toEqual([]);
    });

    it("list pages through every scenario once with a cursor, and filters by name", async () => {
      const names = ["alpha", "bravo", "charlie", "delta", "echo", "alpha two", "alpha"];
      const ids: string[] = [];
      for (const [i, name] of names.entries()) {
        ids.push((await createScenario(h, { slug: `s${i}`, name, target_phone: "+1", steps })).slug);
      }
      const { items, sizes } = await allPages((cursor) =>
        listScenarios(h, { limit: 2, ...(cursor ? { cursor } : {}) }),
      );
      expect(sizes).toEqual([2, 2, 2, 1]);
      expect(items.map((s) => s.slug).sort()).toEqual([...ids].sort());
      // Pages follow (name, id) descending, across equal names too.
      const keys = items.map((s) => [s.name, String(s.scenario_id).padStart(4, "0")].join("\u0000"));
      expect(keys).toEqual([...keys].sort().reverse());

      const alphas = await listScenarios(h, { name_contains: "alpha" });
      expect(alphas.items.map((s) => s.slug).sort()).toEqual(["s0", "s5", "s6"]);
      expect(alphas.nextCursor).toBeNull();

      const bad = await rejection(listScenarios(h, { cursor: "not-a-cursor" }));
      expect(bad).toBeInstanceOf(ValidationError);
    });

    it("update changes only the patched fields; unknown id is NotFound", async () => {
      // (scenario_id in a definition is the former name of slug)
      const s = await createScenario(h, { scenario_id: "u1", name: "n", target_phone: "+1", steps });
      expect(s.slug).toBe("u1");
      const u = await updateScenario(h, {
        scenario_id: "u1",
        patch: { target_phone: "+2", steps: [{ type: "prompt" }] },
      });
      expect(u.target_phone).toBe("+2");
      expect(u.steps).toEqual([{ type: "prompt", match: "contains" }]);
      expect(u.name).toBe(s.name);
      expect(u.timeout_seconds).toBe(s.timeout_seconds);
      expect(await getScenario(h, "u1")).toEqual(u);
      expect(await rejection(updateScenario(h, { scenario_id: "zz", patch: { name: "q" } }))).toBeInstanceOf(
        NotFoundError,
      );
    });

    it("delete removes it; deleting again is NotFound", async () => {
      await createScenario(h, { slug: "d1", name: "n", target_phone: "+1", steps });
      expect(await deleteScenario(h, "d1")).toEqual({ deleted: true, executions_deleted: 0 });
      expect(await rejection(getScenario(h, "d1"))).toBeInstanceOf(NotFoundError);
      expect(await rejection(deleteScenario(h, "d1"))).toBeInstanceOf(NotFoundError);
    });
  });

  describe("executions and step executions", () => {
    beforeEach(async () => {
      await createScenario(h, { slug: "A", name: "A", target_phone: "+1", steps });
      await createScenario(h, { slug: "B", name: "B", target_phone: "+1", steps });
    });

    it("start then finish then get", async () => {
      const e = await startExecution(h, {
        scenario_id: "A",
        call_id: "CA1",
        start_time: "2026-03-01T10:00:00.000Z",
      });
      expect(e).toMatchObject({ scenario_id: 1, status: "running", call_id: "CA1", end_time: null });
      expect(e.execution_id).toBe(1);

      const f = await finishExecution(h, {
        execution_id: e.execution_id,
        status: "completed",
        final_result: "pass",
        end_time: "2026-03-01T10:00:30.000Z",
      });
      expect(f).toMatchObject({ status: "completed", final_result: "pass", end_time: "2026-03-01T10:00:30.000Z" });
      expect(await getExecution(h, e.execution_id)).toEqual(f);

      // Finishing twice is a conflict; the stored row does not change.
      const again = await rejection(finishExecution(h, { execution_id: e.execution_id, status: "failed" }));
      expect(again).toBeInstanceOf(ConflictError);
      expect(await getExecution(h, e.execution_id)).toEqual(f);

      // A failure without an explicit result counts as fail.
      const e2 = await startExecution(h, { scenario_id: "A" });
      const f2 = await finishExecution(h, { execution_id: e2.execution_id, status: "timeout", error_message: "slow" });
      expect(f2).toMatchObject({ status: "timeout", final_result: "fail", error_message: "slow" });
      expect(await rejection(getExecution(h, 999))).toBeInstanceOf(NotFoundError);
    });

    it("list filters by scenario, status, result and date range, newest first, with pagination", async () => {
      const plan: [string, string, "completed" | "failed" | null][] = [
        ["A", "2026-03-01T00:00:00.000Z", "completed"],
        ["A", "2026-03-02T00:00:00.000Z", "failed"],
        ["A", "2026-03-03T00:00:00.000Z", null],
        ["B", "2026-03-04T00:00:00.000Z", "completed"],
        ["B", "2026-03-05T00:00:00.000Z", "failed"],
      ];
      for (const [i, [scenario, start, finish]] of plan.entries()) {
        const e = await startExecution(h, { scenario_id: scenario, start_time: start });
        expect(e.execution_id).toBe(i + 1);
        if (finish === "completed")
          await finishExecution(h, { execution_id: e.execution_id, status: "completed", final_result: "pass" });
        if (finish === "failed") await finishExecution(h, { execution_id: e.execution_id, status: "failed" });
      }
      const ids = async (input: Parameters<typeof listExecutions>[1]) =>
        (await listExecutions(h, input)).items.map((e) => e.execution_id);

      expect(await ids({})).toEqual([5, 4, 3, 2, 1]);
      expect(await ids({ scenario_id: "A" })).toEqual([3, 2, 1]);
      expect(await ids({ scenario_id: 1 })).toEqual([3, 2, 1]);
      expect(await ids({ status: "running" })).toEqual([3]);
      expect(await ids({ status: "failed" })).toEqual([5, 2]);
      expect(await ids({ final_result: "pass" })).toEqual([4, 1]);
      expect(await ids({ final_result: "fail", scenario_id: "B" })).toEqual([5]);
      expect(await ids({ since: "2026-03-02T00:00:00.000Z", until: "2026-03-04T00:00:00.000Z" })).toEqual([4, 3, 2]);
      const { items, sizes } = await allPages((cursor) =>
        listExecutions(h, { limit: 2, ...(cursor ? { cursor } : {}) }),
      );
      expect(sizes).toEqual([2, 2, 1]);
      expect(items.map((e) => e.execution_id)).toEqual([5, 4, 3, 2, 1]);
    });

    it("step executions: single, batch and list in step order", async () => {
      const e = await startExecution(h, { scenario_id: "A" });
      const ex = e.execution_id;
      const single = await recordStepExecution(h, {
        execution_id: ex,
        step_number: 2,
        step_type: "dtmf",
        dtmf_sent: "1#",
        status: "pass",
        latency_ms: 120,
      });
      expect(single).toMatchObject({ execution_id: ex, step_number: 2, dtmf_sent: "1#", latency_ms: 120 });
      expect(typeof single.id).toBe("number");

      const batch = await recordStepExecutions(h, [
        {
          execution_id: ex,
          step_number: 1,
          step_type: "intent",
          actual_intent: "check_balance",
          confidence: 0.9,
          status: "pass",
        },
        { execution_id: ex, step_number: 0, step_type: "prompt", transcript: "Welcome", status: "pass" },
      ]);
      expect(batch).toEqual({ inserted: 2, already_present: 0 });
      expect(await recordStepExecutions(h, [])).toEqual({ inserted: 0, already_present: 0 });

      const listed = await listStepExecutions(h, e.execution_id);
      expect(listed.map((s) => [s.step_number, s.step_type])).toEqual([
        [0, "prompt"],
        [1, "intent"],
        [2, "dtmf"],
      ]);
      expect(listed[1]?.confidence).toBe(0.9);
      expect(await listStepExecutions(h, 999)).toEqual([]);
    });

    it("a step batch is all-or-nothing: one bad row (CHECK or FK) and none land", async () => {
      const { execution_id: ex } = await startExecution(h, { scenario_id: "A" });
      const ok = { execution_id: ex, step_type: "prompt" as const, status: "pass" as const };
      const rows = Array.from({ length: 700 }, (_, i) => ({ ...ok, step_number: i }));
      // Row 650 lands in the second chunk of 500 and has no parent: the first chunk must roll back too.
      rows[650] = { ...ok, step_number: 650, execution_id: 999 };
      expect(await rejection(recordStepExecutions(h, rows))).toBeInstanceOf(Error);
      expect(await listStepExecutions(h, ex)).toEqual([]);

      // Validation failures are refused before the transaction starts.
      const invalid = [
        { ...ok, step_number: 0 },
        { ...ok, step_number: 1, confidence: 3 },
      ];
      expect(await rejection(recordStepExecutions(h, invalid))).toBeInstanceOf(Error);
      expect(await listStepExecutions(h, ex)).toEqual([]);
    });
  });

  describe("intent training data", () => {
    it("add, get, list with filters and pagination, all", async () => {
      const one = await addTrainingSample(h, { text_sample: "  what is my balance ", intent_label: "check_balance" });
      expect(one).toMatchObject({
        text_sample: "what is my balance",
        intent_label: "check_balance",
        confidence_threshold: 0.85,
        source: "manual",
        validation_status: "pending",
      });
      expect(await getTrainingSample(h, one.training_id)).toEqual(one);
      expect(await rejection(getTrainingSample(h, 999))).toBeInstanceOf(NotFoundError);

      const many = await addTrainingSamples(
        h,
        Array.from({ length: 9 }, (_, i) => ({
          text_sample: `sample ${i}`,
          intent_label: i % 3 === 0 ? "transfer" : "check_balance",
          source: i % 2 === 0 ? ("recorded" as const) : ("synthetic" as const),
          validation_status: i < 4 ? ("validated" as const) : ("pending" as const),
        })),
      );
      expect(many.inserted).toBe(9);
      // ids 2..10 (the single sample above is 1); t(i) below is sample i's id
      expect(many.ids).toEqual(Array.from({ length: 9 }, (_, i) => i + 2));
      const t = (...is: number[]) => is.map((i) => i + 2);

      const { items, sizes } = await allPages((cursor) =>
        listTrainingSamples(h, { limit: 4, ...(cursor ? { cursor } : {}) }),
      );
      expect(sizes).toEqual([4, 4, 2]);
      expect(new Set(items.map((t) => t.training_id)).size).toBe(10);

      const transfer = await listTrainingSamples(h, { intent_label: "transfer" });
      expect(transfer.items.map((x) => x.training_id).sort()).toEqual(t(0, 3, 6));
      const validatedRecorded = await listTrainingSamples(h, { validation_status: "validated", source: "recorded" });
      expect(validatedRecorded.items.map((x) => x.training_id).sort()).toEqual(t(0, 2));

      const all = await allTrainingSamples(h);
      expect(all).toHaveLength(10);
      const keys = all.map((x) => `${x.created_at}|${String(x.training_id).padStart(4, "0")}`);
      expect(keys).toEqual([...keys].sort());
      expect((await allTrainingSamples(h, { validation_status: "validated" })).map((x) => x.training_id)).toEqual(
        t(0, 1, 2, 3),
      );
      expect((await allTrainingSamples(h, { intent_label: "transfer", validation_status: "pending" })).length).toBe(1);
    });

    it("addMany is all-or-nothing", async () => {
      await addTrainingSample(h, { text_sample: "x", intent_label: "y" });
      // A trigger refuses the second row (the database failing mid-batch): the first must not land either.
      await h.client.execute(
        `CREATE TRIGGER refuse_c BEFORE INSERT ON intent_training_data WHEN NEW.text_sample = 'c'
         BEGIN SELECT RAISE(ABORT, 'refused by test'); END`,
      );
      const err = await rejection(
        addTrainingSamples(h, [
          { text_sample: "a", intent_label: "b" },
          { text_sample: "c", intent_label: "d" },
        ]),
      );
      expect(err).toBeInstanceOf(Error);
      expect((await allTrainingSamples(h)).map((x) => x.text_sample)).toEqual(["x"]);
    });

    it("setStatus updates the given samples; an unknown id is NotFound and changes nothing", async () => {
      await addTrainingSamples(h, [
        { text_sample: "a", intent_label: "l" },
        { text_sample: "b", intent_label: "l" },
        { text_sample: "c", intent_label: "l" },
      ]);
      expect(await setTrainingStatus(h, { training_ids: [1, 2, 1], validation_status: "validated" })).toEqual({
        updated: 2,
      });
      const status = async () =>
        Object.fromEntries((await allTrainingSamples(h)).map((t) => [t.text_sample, t.validation_status]));
      expect(await status()).toEqual({ a: "validated", b: "validated", c: "pending" });

      const err = await rejection(setTrainingStatus(h, { training_ids: [3, 404], validation_status: "rejected" }));
      expect(err).toBeInstanceOf(NotFoundError);
      expect((err as NotFoundError).message).toContain("404");
      expect(await status()).toEqual({ a: "validated", b: "validated", c: "pending" });

      // The handle still works after the refused transaction.
      expect(await setTrainingStatus(h, { training_ids: [3], validation_status: "rejected" })).toEqual({
        updated: 1,
      });
      expect((await status()).c).toBe("rejected");
    });
  });
});
