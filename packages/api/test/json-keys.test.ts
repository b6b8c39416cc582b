/**
 * Issue 9, defect 4: JSON keys `__proto__`, `constructor` and `prototype` in any JSON value (run
 * config, benchmark metadata, metric maps, an HTTP scenario's body, a step's observation, an
 * assertion's actual value) are data. They travel both ways through the typed client over real
 * HTTP (and through the CLI's local client) and come back exactly, on every read that returns the
 * row; nothing reaches a prototype. On the old transport the write threw (500) after committing and
 * every later read of the row was 500.
 */
import {
  type RunningServer,
  type VerdictClient,
  createLocalClient,
  createVerdictClient,
  startServer,
} from "@verdict/api";
import { type VerdictDb, createToken, openDatabase } from "@verdict/db";
import type { JsonValue } from "@verdict/schema";
import { tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const dir = tempDir("verdict-json-keys-");
let db: VerdictDb;
let server: RunningServer;
let api: VerdictClient;

/** A fresh value each time, with the three keys as own properties (as JSON.parse makes them). */
function hostile(): { [key: string]: JsonValue } {
  return JSON.parse(
    '{"__proto__":{"polluted":"yes","n":[1,{"__proto__":2}]},"constructor":{"prototype":{"x":null}},"prototype":"p","plain":{"constructor":"c"}}',
  ) as { [key: string]: JsonValue };
}
const HOSTILE_TEXT = JSON.stringify(hostile());

/** Exact round trip: same JSON text (so same keys, same order, same values) and plain prototypes. */
function expectExact(value: unknown) {
  expect(JSON.stringify(value)).toBe(HOSTILE_TEXT);
  expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  expect(Object.keys(value as object)).toEqual(["__proto__", "constructor", "prototype", "plain"]);
}

function expectNoPollution() {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty("polluted");
}

beforeAll(async () => {
  db = await openDatabase({ url: `file:${dir.file("keys.db")}`, migrate: true });
  const admin = await createToken(db, "admin", "admin");
  server = await startServer({ db, port: 0, log: () => undefined });
  api = createVerdictClient({ url: server.url, token: admin.token });
});
afterAll(async () => {
  await server.close();
  dir.cleanup();
});

describe("prototype-named JSON keys round-trip over HTTP", () => {
  it("run config: create answers, get and list return it exactly", async () => {
    const created = await api.runs.create.mutate({
      id: "run-keys",
      started_at: "2026-01-01T00:00:00.000Z",
      sut_name: "keys",
      config: hostile(),
    });
    expectExact(created.config);
    expectExact((await api.runs.get.query({ run_id: "run-keys" })).config);
    const listed = (await api.runs.list.query({ sut_name: "keys" })).items;
    expect(listed).toHaveLength(1);
    expectExact(listed[0]?.config);
    expectNoPollution();
  });

  it("benchmark metadata and metric maps: record, get, list", async () => {
    const phases = JSON.parse('{"__proto__":1.5,"constructor":2,"prototype":3}') as Record<string, number>;
    const rec = await api.metrics.record.mutate({
      run_id: "bench-keys",
      timestamp: "2026-01-01T00:00:00.000Z",
      project_name: "p",
      benchmark_name: "b",
      metadata: hostile(),
      performance: { phase_times: phases },
    });
    expectExact(rec.metadata);
    const got = await api.metrics.get.query({ run_id: "bench-keys" });
    expectExact(got.metadata);
    expect(JSON.stringify(got.performance.phase_times)).toBe(JSON.stringify(phases));
    expect(Object.keys(got.performance.phase_times)).toEqual(["__proto__", "constructor", "prototype"]);
    const listed = await api.metrics.list.query({});
    expectExact(listed.items.find((r) => r.run_id === "bench-keys")?.metadata);
    expectNoPollution();
  });

  it("a worker completes an HTTP item whose scenario and response bodies use the keys", async () => {
    const run = await api.queue.startRun.mutate({
      scenario: {
        id: "keys",
        steps: [{ name: "post", request: { method: "POST", url: "http://127.0.0.1:1/x", json: hostile() } }],
      },
      sut_name: "keys-sut",
    });
    const [item] = await api.queue.claim.mutate({ worker_id: "w1", kinds: ["http"] });
    if (item?.kind !== "http") throw new Error("expected an HTTP item");
    expectExact(item.scenario.steps[0]?.request?.json);
    const t = new Date().toISOString();
    const done = await api.queue.complete.mutate({
      kind: "http",
      worker_id: "w1",
      item_id: item.item_id,
      lease: item.lease,
      instance: { status: "pass", started_at: t, completed_at: t, duration_ms: 3 },
      steps: [
        {
          step_index: 0,
          action_name: "post",
          action_type: "http",
          ok: true,
          status_code: 200,
          observation: { ...JSON.parse('{"ok":true,"status_code":200}'), body: hostile(), ...hostile() },
        },
      ],
      assertions: [{ step_index: 0, assertion_name: "body", passed: true, expected: hostile(), actual: hostile() }],
    });
    expect(done.status).toBe("done");
    const steps = await api.runs.steps.query.query({ run_id: run.run.id });
    expect(steps.items).toHaveLength(1);
    const obs = steps.items[0]?.observation as Record<string, unknown>;
    expectExact(obs.body);
    expect(Object.hasOwn(obs, "__proto__")).toBe(true);
    expect(JSON.stringify(Object.getOwnPropertyDescriptor(obs, "__proto__")?.value)).toBe(
      JSON.stringify(Object.getOwnPropertyDescriptor(hostile(), "__proto__")?.value),
    );
    const assertions = await api.runs.assertions.query.query({ run_id: run.run.id });
    expectExact(assertions.items[0]?.actual);
    expectExact(assertions.items[0]?.expected);
    expectNoPollution();
  });

  it("the CLI's local client keeps the keys too", async () => {
    const local = createLocalClient(db);
    const created = await local.runs.create.mutate({
      id: "run-keys-local",
      started_at: "2026-01-01T00:00:00.000Z",
      sut_name: "keys-local",
      config: hostile(),
    });
    expectExact(created.config);
    expectExact((await local.runs.get.query({ run_id: "run-keys-local" })).config);
    // and the same row read over HTTP
    expectExact((await api.runs.get.query({ run_id: "run-keys-local" })).config);
    expectNoPollution();
  });
});
