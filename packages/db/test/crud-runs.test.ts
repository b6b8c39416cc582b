import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AssertionTuple,
  ConflictError,
  type InstanceTuple,
  NotFoundError,
  type StepTuple,
  type VerdictDb,
  completeRun,
  createRun,
  deleteRun,
  getRun,
  insertAssertions,
  insertInstances,
  insertSteps,
  listRuns,
  openDatabase,
  queryAssertions,
  queryInstances,
  querySteps,
} from "@verdict/db";
import { TARGETS, allPages, rejection } from "./helpers.js";

const BASE_MS = Date.parse("2026-02-01T00:00:00.000Z");
const at = (s: number) => new Date(BASE_MS + s * 1000).toISOString();
const SCENARIOS = ["login", "checkout", "search"];

/**
 * Run R1: 20 instances i00..i19, scenario by i % 3, instance i starts at second i; every 5th fails
 * with a timeout error, i07 fails with a 500. Each has 2 steps (auth http, then orders/catalog),
 * the second of a failed one with ok = 0 and latency 1000 + i. One assertion per instance.
 * Run R2 has one instance with the same id i00, to show queries stay inside their run.
 */
function fixture() {
  const instances: InstanceTuple[] = [];
  const steps: StepTuple[] = [];
  const assertions: AssertionTuple[] = [];
  for (let i = 0; i < 20; i++) {
    const id = `i${String(i).padStart(2, "0")}`;
    const failed = i % 5 === 0 || i === 7;
    const error = i === 7 ? "HTTP 500 from orders" : failed ? "timeout after 3000 ms" : null;
    instances.push([
      "R1",
      id,
      SCENARIOS[i % 3] ?? "login",
      `c${i}`,
      failed ? "fail" : "pass",
      at(i),
      at(i + 1),
      900 + i,
      JSON.stringify({ tier: i % 2 ? "gold" : "basic" }),
      error,
    ]);
    steps.push(["R1", id, 0, "login", "http", "auth", at(i), 10 + i, 200, 1, JSON.stringify({ ok: true })]);
    steps.push([
      "R1",
      id,
      1,
      "act",
      i % 4 === 0 ? "wait" : "http",
      i % 3 === 2 ? "catalog" : "orders",
      at(i),
      failed ? 1000 + i : 50 + i,
      failed ? 500 : 200,
      failed ? 0 : 1,
      JSON.stringify({ ok: !failed, body: { i } }),
    ]);
    assertions.push([
      "R1",
      id,
      1,
      i % 2 ? "status ok" : "body ok",
      failed ? 0 : 1,
      "200",
      String(failed ? 500 : 200),
      failed ? "mismatch" : null,
    ]);
  }
  return { instances, steps, assertions };
}

describe.each(TARGETS)("runs helpers on %s", (_label, url) => {
  let h: VerdictDb;
  beforeEach(async () => {
    h = await openDatabase({ url: url(), migrate: true, domains: ["runs"] });
  });
  afterEach(() => h.close());

  it("createRun, getRun, completeRun; a duplicate id is a conflict; unknown ids are NotFound", async () => {
    const created = await createRun(h, {
      id: "R1",
      started_at: at(0),
      sut_name: "shop",
      scenario_ids: ["login", "checkout"],
      seed: 7,
      config: { concurrency: 4, target: { host: "127.0.0.1" } },
    });
    expect(await getRun(h, "R1")).toEqual(created);
    expect(created.completed_at).toBeNull();

    const done = await completeRun(h, "R1", at(60));
    expect(done).toEqual({ ...created, completed_at: at(60) });
    expect(await getRun(h, "R1")).toEqual(done);

    const dup = await rejection(createRun(h, { id: "R1", started_at: at(0), sut_name: "other" }));
    expect(dup).toBeInstanceOf(ConflictError);
    expect((await getRun(h, "R1")).sut_name).toBe("shop");

    expect(await rejection(getRun(h, "nope"))).toBeInstanceOf(NotFoundError);
    expect(await rejection(completeRun(h, "nope", at(1)))).toBeInstanceOf(NotFoundError);
    expect(await rejection(deleteRun(h, "nope"))).toBeInstanceOf(NotFoundError);
  });

  it("listRuns filters by system and time, newest first, with pagination; deleteRun removes one", async () => {
    for (let i = 0; i < 5; i++) {
      await createRun(h, { id: `run${i}`, started_at: at(i * 60), sut_name: i < 3 ? "shop" : "bank" });
    }
    const ids = async (input: Parameters<typeof listRuns>[1]) => (await listRuns(h, input)).items.map((r) => r.id);
    expect(await ids({})).toEqual(["run4", "run3", "run2", "run1", "run0"]);
    expect(await ids({ sut_name: "shop" })).toEqual(["run2", "run1", "run0"]);
    expect(await ids({ since: at(60), until: at(180) })).toEqual(["run3", "run2", "run1"]);
    const { items, sizes } = await allPages((cursor) => listRuns(h, { limit: 2, ...(cursor ? { cursor } : {}) }));
    expect(sizes).toEqual([2, 2, 1]);
    expect(items.map((r) => r.id)).toEqual(["run4", "run3", "run2", "run1", "run0"]);

    expect(await deleteRun(h, "run2")).toEqual({ deleted: true });
    expect(await ids({ sut_name: "shop" })).toEqual(["run1", "run0"]);
  });

  describe("with a run's instances, steps and assertions", () => {
    beforeEach(async () => {
      await createRun(h, { id: "R1", started_at: at(0), sut_name: "shop" });
      await createRun(h, { id: "R2", started_at: at(0), sut_name: "shop" });
      const f = fixture();
      await insertInstances(h.client, f.instances);
      await insertSteps(h.client, f.steps);
      await insertAssertions(h.client, f.assertions);
      await insertInstances(h.client, [["R2", "i00", "login", null, "fail", at(0), null, null, null, "timeout"]]);
      await insertSteps(h.client, [["R2", "i00", 0, "x", "http", "orders", null, 5000, 500, 0, "{}"]]);
      await insertAssertions(h.client, [["R2", "i00", null, "status ok", 0, null, null, null]]);
    });

    it("bulk inserts round-trip every column", async () => {
      const page = await queryInstances(h, { run_id: "R1", limit: 1 });
      expect(page.items[0]).toEqual({
        id: "i00",
        run_id: "R1",
        scenario_id: "login",
        correlation_id: "c0",
        status: "fail",
        started_at: at(0),
        completed_at: at(1),
        duration_ms: 900,
        variations: { tier: "basic" },
        error: "timeout after 3000 ms",
      });
      const steps = await querySteps(h, { run_id: "R1", limit: 2 });
      expect(steps.items[1]).toMatchObject({
        run_id: "R1",
        instance_id: "i00",
        step_index: 1,
        action_name: "act",
        action_type: "wait",
        service: "orders",
        started_at: at(0),
        latency_ms: 1000,
        status_code: 500,
        ok: false,
        observation: { ok: false, body: { i: 0 } },
        scenario_id: "login",
        instance_status: "fail",
      });
      const asserts = await queryAssertions(h, { run_id: "R1", limit: 1 });
      expect(asserts.items[0]).toMatchObject({
        instance_id: "i00",
        step_index: 1,
        assertion_name: "body ok",
        passed: false,
        expected: 200,
        actual: 500,
        error: "mismatch",
      });
    });

    it("queryInstances filters by status, scenario, time range and error text, with totals", async () => {
      const ids = async (input: Omit<Parameters<typeof queryInstances>[1], "run_id">) =>
        (await queryInstances(h, { run_id: "R1", ...input })).items.map((i) => i.id);
      expect(await ids({ status: "fail" })).toEqual(["i00", "i05", "i07", "i10", "i15"]);
      expect(await ids({ scenario_id: "checkout" })).toEqual(["i01", "i04", "i07", "i10", "i13", "i16", "i19"]);
      expect(await ids({ status: "fail", scenario_id: "checkout" })).toEqual(["i07", "i10"]);
      expect(await ids({ since: at(3), until: at(6) })).toEqual(["i03", "i04", "i05", "i06"]);
      expect(await ids({ error_contains: "HTTP 500" })).toEqual(["i07"]);
      expect(await ids({ error_contains: "timeout" })).toEqual(["i00", "i05", "i10", "i15"]);

      const withTotal = await queryInstances(h, { run_id: "R1", status: "pass", limit: 3, with_total: true });
      expect(withTotal.items).toHaveLength(3);
      expect(withTotal.total).toBe(15);
      expect((await queryInstances(h, { run_id: "R1", limit: 3 })).total).toBeNull();
      expect((await queryInstances(h, { run_id: "R2", with_total: true })).total).toBe(1);
    });

    it("queryInstances pages through a filtered set once each", async () => {
      const { items, sizes } = await allPages((cursor) =>
        queryInstances(h, { run_id: "R1", status: "pass", limit: 4, ...(cursor ? { cursor } : {}) }),
      );
      expect(sizes).toEqual([4, 4, 4, 3]);
      const ids = items.map((i) => i.id);
      expect(new Set(ids).size).toBe(15);
      expect(ids).toEqual([...ids].sort());
      expect(items.every((i) => i.status === "pass" && i.run_id === "R1")).toBe(true);
    });

    it("queryInstances without a filter pages through a run in insertion order, passes and failures merged, other runs' rows between skipped", async () => {
      // R3's instances interleave with R4's in rowid order; ids run against insertion order.
      await createRun(h, { id: "R3", started_at: at(0), sut_name: "shop" });
      await createRun(h, { id: "R4", started_at: at(0), sut_name: "shop" });
      const inserted: string[] = [];
      for (let i = 0; i < 23; i++) {
        const id = `z${String(99 - i)}`;
        inserted.push(id);
        const status = i % 3 === 0 || i % 7 === 0 ? "fail" : "pass";
        await insertInstances(h.client, [
          ["R3", id, "login", null, status, at(i), null, null, null, null],
          ["R4", id, "login", null, "pass", at(i), null, null, null, null],
        ]);
      }
      for (const limit of [1, 4, 5, 23, 50]) {
        const { items, sizes } = await allPages((cursor) =>
          queryInstances(h, { run_id: "R3", limit, ...(cursor ? { cursor } : {}) }),
        );
        expect(
          items.map((i) => i.id),
          `limit ${limit}`,
        ).toEqual(inserted);
        expect(items.every((i) => i.run_id === "R3")).toBe(true);
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(23);
      }
      const fails = await queryInstances(h, { run_id: "R3", status: "fail", limit: 50 });
      expect(fails.items.length).toBeGreaterThan(0);
      expect(fails.items.length).toBeLessThan(23);
    });

    it("querySteps filters by action type, service, ok, latency and instance status, joined with the instance", async () => {
      const keys = async (input: Omit<Parameters<typeof querySteps>[1], "run_id">) =>
        (await querySteps(h, { run_id: "R1", limit: 1000, ...input })).items.map(
          (s) => `${s.instance_id}/${s.step_index}`,
        );
      expect(await keys({ action_type: "wait" })).toEqual(["i00/1", "i04/1", "i08/1", "i12/1", "i16/1"]);
      expect(await keys({ service: "catalog" })).toEqual(["i02/1", "i05/1", "i08/1", "i11/1", "i14/1", "i17/1"]);
      expect(await keys({ ok: false })).toEqual(["i00/1", "i05/1", "i07/1", "i10/1", "i15/1"]);
      expect(await keys({ min_latency_ms: 1007 })).toEqual(["i07/1", "i10/1", "i15/1"]);
      expect(await keys({ service: "orders", ok: false, action_type: "http" })).toEqual(["i07/1", "i10/1", "i15/1"]);
      expect(await keys({ instance_status: "fail", ok: true })).toEqual(["i00/0", "i05/0", "i07/0", "i10/0", "i15/0"]);
      const joined = await querySteps(h, { run_id: "R1", service: "catalog", limit: 1 });
      expect(joined.items[0]).toMatchObject({ instance_id: "i02", scenario_id: "search", instance_status: "pass" });
      expect(joined.nextCursor).not.toBeNull();
      const { items } = await allPages((cursor) =>
        querySteps(h, { run_id: "R1", limit: 7, ...(cursor ? { cursor } : {}) }),
      );
      expect(items).toHaveLength(40);
      expect(new Set(items.map((s) => s.id)).size).toBe(40);
      expect((await querySteps(h, { run_id: "R2" })).items.map((s) => s.latency_ms)).toEqual([5000]);
    });

    it("queryAssertions filters by passed and name, with pagination", async () => {
      const failed = await queryAssertions(h, { run_id: "R1", passed: false, limit: 1000 });
      expect(failed.items.map((a) => a.instance_id)).toEqual(["i00", "i05", "i07", "i10", "i15"]);
      const named = await queryAssertions(h, { run_id: "R1", assertion_name: "status ok", passed: true, limit: 1000 });
      expect(named.items.map((a) => a.instance_id)).toEqual(["i01", "i03", "i09", "i11", "i13", "i17", "i19"]);
      const { items, sizes } = await allPages((cursor) =>
        queryAssertions(h, { run_id: "R1", limit: 8, ...(cursor ? { cursor } : {}) }),
      );
      expect(sizes).toEqual([8, 8, 4]);
      expect(new Set(items.map((a) => a.id)).size).toBe(20);
      expect((await queryAssertions(h, { run_id: "R2" })).items).toHaveLength(1);
    });
  });
});
