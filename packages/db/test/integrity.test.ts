import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConflictError,
  NotFoundError,
  ValidationError,
  type VerdictDb,
  addTrainingSamples,
  createScenario,
  deleteScenario,
  getScenario,
  listStepExecutions,
  migrateDown,
  migrateUp,
  openDatabase,
  readApplied,
  recordStepExecution,
  recordStepExecutions,
  replaceScenario,
  startExecution,
} from "@verdict/db";
import { TARGETS, fileUrl, rejection } from "./helpers.js";

const steps = [{ type: "prompt" as const, expected_text: "Welcome" }];
const step = {
  execution_id: 1,
  step_number: 0,
  step_type: "prompt" as const,
  transcript: "Welcome to Acme",
  status: "pass" as const,
  latency_ms: 12.5,
};

async function count(h: VerdictDb, table: string, where = ""): Promise<number> {
  const rs = await h.client.execute(`SELECT count(*) AS n FROM "${table}" ${where}`);
  return Number(rs.rows[0]?.n);
}

describe.each(TARGETS)("integrity on %s", (_label, url) => {
  let h: VerdictDb;
  beforeEach(async () => {
    h = await openDatabase({ url: url(), migrate: true, domains: ["ivr"] });
    await createScenario(h, { slug: "A", name: "A", target_phone: "1", steps });
    await startExecution(h, { scenario_id: "A" }); // execution 1
  });
  afterEach(() => h.close());

  describe("step executions: one row per (execution, step number)", () => {
    it("recording the same step twice returns the first row and writes nothing", async () => {
      const first = await recordStepExecution(h, step);
      const again = await recordStepExecution(h, { ...step });
      expect(again).toEqual(first);
      expect(await count(h, "step_executions")).toBe(1);
    });

    it("the same key with different content is a CONFLICT naming the fields; the first row stays", async () => {
      const first = await recordStepExecution(h, step);
      const err = await rejection(recordStepExecution(h, { ...step, status: "fail", latency_ms: 13 }));
      expect(err).toBeInstanceOf(ConflictError);
      expect((err as ConflictError).code).toBe("CONFLICT");
      expect((err as Error).message).toBe(
        "step 0 of execution '1' is already recorded with a different status, latency_ms; a step is recorded once",
      );
      expect(await listStepExecutions(h, 1)).toEqual([first]);
    });

    it("the database itself refuses a second row with the same key (the unique index)", async () => {
      await recordStepExecution(h, step);
      const err = await rejection(
        h.client.execute(
          "INSERT INTO step_executions (execution_id, step_number, step_type, status) VALUES (1, 0, 'prompt', 'pass')",
        ),
      );
      expect(String(err)).toMatch(
        /UNIQUE constraint failed: step_executions\.execution_id, step_executions\.step_number/,
      );
    });

    it("a batch sent again adds nothing; a batch that contradicts a recorded step lands not at all", async () => {
      const batch = [step, { ...step, step_number: 1, transcript: "Say balance" }];
      expect(await recordStepExecutions(h, batch)).toEqual({ inserted: 2, already_present: 0 });
      expect(await recordStepExecutions(h, [...batch, { ...step, step_number: 2 }])).toEqual({
        inserted: 1,
        already_present: 2,
      });
      expect(await count(h, "step_executions")).toBe(3);

      const contradicting = [
        { ...step, step_number: 3 },
        { ...step, step_number: 1, transcript: "other" },
      ];
      const err = await rejection(recordStepExecutions(h, contradicting));
      expect(err).toBeInstanceOf(ConflictError);
      expect((err as Error).message).toContain(
        "step 1 of execution '1' is already recorded with a different transcript",
      );
      expect(await count(h, "step_executions")).toBe(3);

      const twice = await rejection(
        recordStepExecutions(h, [
          { ...step, step_number: 4 },
          { ...step, step_number: 4, status: "fail" },
        ]),
      );
      expect((twice as Error).message).toBe("step 4 of execution '1' is listed twice with a different status");
      expect(await count(h, "step_executions")).toBe(3);
    });
  });

  describe("training samples: idempotent by text and intent label", () => {
    it("importing the same samples twice adds them once; the second import reports them already present", async () => {
      const samples = [
        { text_sample: "what is my balance", intent_label: "check_balance" },
        { text_sample: "send money", intent_label: "transfer_funds", confidence_threshold: 0.7 },
        { text_sample: "send money", intent_label: "transfer_funds" }, // repeated within the file
        { text_sample: "send money", intent_label: "speak_to_agent" }, // same text, another intent: a new sample
      ];
      const first = await addTrainingSamples(h, samples);
      expect(first).toMatchObject({ inserted: 3, already_present: 1 });
      expect(first.ids).toHaveLength(3);
      const second = await addTrainingSamples(h, samples);
      expect(second).toEqual({ inserted: 0, already_present: 4, ids: [] });
      expect(await count(h, "intent_training_data")).toBe(3);
      const third = await addTrainingSamples(h, [
        ...samples,
        { text_sample: "lost card", intent_label: "report_lost_card" },
      ]);
      expect(third).toMatchObject({ inserted: 1, already_present: 4 });
      expect(await count(h, "intent_training_data")).toBe(4);
    });
  });

  describe("scenarios: deleting history needs force; a scenario can be replaced", () => {
    it("rm refuses a scenario with executions, naming how many, and deletes nothing", async () => {
      await recordStepExecution(h, step);
      await startExecution(h, { scenario_id: "A" });
      const err = await rejection(deleteScenario(h, "A"));
      expect(err).toBeInstanceOf(ConflictError);
      expect((err as Error).message).toMatch(/^scenario 'A' has 2 execution\(s\); deleting it would delete them/);
      expect(await count(h, "test_scenarios")).toBe(1);
      expect(await count(h, "test_executions")).toBe(2);
      expect(await count(h, "step_executions")).toBe(1);

      expect(await deleteScenario(h, "A", { force: true })).toEqual({ deleted: true, executions_deleted: 2 });
      expect(await count(h, "test_executions")).toBe(0);
      expect(await count(h, "step_executions")).toBe(0);
      expect(await rejection(deleteScenario(h, "A"))).toBeInstanceOf(NotFoundError);
    });

    it("rm deletes a scenario without executions", async () => {
      await createScenario(h, { slug: "B", name: "B", target_phone: "2", steps });
      expect(await deleteScenario(h, "B")).toEqual({ deleted: true, executions_deleted: 0 });
    });

    it("replace sets every field from the new definition and keeps the executions", async () => {
      await createScenario(h, {
        slug: "C",
        name: "C",
        description: "old",
        target_phone: "3",
        steps,
        timeout_seconds: 30,
      });
      const replaced = await replaceScenario(h, {
        scenario_id: "C",
        scenario: { name: "C2", target_phone: "4", steps: [{ type: "dtmf", digits: "1#" }] },
      });
      expect(replaced).toMatchObject({
        scenario_id: 2,
        slug: "C",
        name: "C2",
        description: null,
        target_phone: "4",
        steps: [{ type: "dtmf", digits: "1#" }],
        timeout_seconds: 300,
      });
      expect(await count(h, "test_executions")).toBe(1);
      const mismatch = await rejection(
        replaceScenario(h, { scenario_id: "C", scenario: { slug: "D", name: "x", target_phone: "1", steps } }),
      );
      expect(mismatch).toBeInstanceOf(ValidationError);
      expect((await getScenario(h, "C")).name).toBe("C2");
      const missing = await rejection(
        replaceScenario(h, { scenario_id: "nope", scenario: { name: "x", target_phone: "1", steps } }),
      );
      expect(missing).toBeInstanceOf(NotFoundError);
    });
  });
});

describe("migration ivr/0002_step_unique on a database holding duplicate steps", () => {
  let h: VerdictDb;
  afterEach(() => h.close());

  it("keeps the earliest row of each key, moves the others aside, and its down puts them back", async () => {
    const url = fileUrl();
    h = await openDatabase({ url, skipSchemaCheck: true });
    await migrateUp(h.client, { domains: ["ivr"], to: "0001_updated_at_trigger" });
    await h.client.execute(
      "INSERT INTO test_scenarios (scenario_id, name, target_phone, steps) VALUES ('A', 'A', '1', '[]')",
    );
    await h.client.execute("INSERT INTO test_executions (execution_id, scenario_id) VALUES ('ex', 'A')");
    const insert = (n: number, status: string, transcript: string) =>
      h.client.execute({
        sql: "INSERT INTO step_executions (execution_id, step_number, step_type, status, transcript) VALUES ('ex', ?, 'prompt', ?, ?)",
        args: [n, status, transcript],
      });
    await insert(0, "pass", "first"); // id 1: kept
    await insert(0, "pass", "first"); // id 2: an exact repeat
    await insert(1, "pass", "one"); // id 3: kept
    await insert(0, "fail", "retried"); // id 4: same key, other content
    const before = (await h.client.execute("SELECT * FROM step_executions ORDER BY id")).rows.map((r) => ({ ...r }));

    const up = await migrateUp(h.client, { domains: ["ivr"], to: "0002_step_unique" });
    expect(up.applied.map((s) => s.name)).toEqual(["0002_step_unique"]);
    const kept = await h.client.execute("SELECT id, step_number, transcript FROM step_executions ORDER BY id");
    expect(kept.rows.map((r) => [r.id, r.step_number, r.transcript])).toEqual([
      [1, 0, "first"],
      [3, 1, "one"],
    ]);
    const moved = await h.client.execute("SELECT id, transcript, moved_at FROM step_executions_duplicates ORDER BY id");
    expect(moved.rows.map((r) => [r.id, r.transcript])).toEqual([
      [2, "first"],
      [4, "retried"],
    ]);
    expect(String(moved.rows[0]?.moved_at)).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await count(h, "step_executions_duplicates")).toBe(2);

    // The runner refuses to drop a table holding rows without force; with it, the rows go back first.
    const refused = await rejection(migrateDown(h.client, { domains: ["ivr"], to: "0001_updated_at_trigger" }));
    expect((refused as Error).message).toContain("step_executions_duplicates holds 2 row(s)");
    await migrateDown(h.client, { domains: ["ivr"], to: "0001_updated_at_trigger", force: true });
    const after = (await h.client.execute("SELECT * FROM step_executions ORDER BY id")).rows.map((r) => ({ ...r }));
    expect(after).toEqual(before);
    expect((await readApplied(h.client)).map((a) => a.name)).toEqual(["0000_init_ivr", "0001_updated_at_trigger"]);
  });

  it("a database without duplicates migrates with nothing moved and the unique index in place", async () => {
    h = await openDatabase({ url: fileUrl(), migrate: true, domains: ["ivr"] });
    expect(await count(h, "step_executions_duplicates")).toBe(0);
    const indexes = await h.client.execute('PRAGMA index_list("step_executions")');
    expect(indexes.rows.find((r) => r.name === "step_executions_execution_step_uq")?.unique).toBe(1);
  });
});
