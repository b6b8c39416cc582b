import { TRPCClientError } from "@trpc/client";
import { type RunningServer, createVerdictClient, startServer, type LogEntry, type VerdictClient } from "@verdict/api";
import {
  type VerdictDb,
  createToken,
  insertInstances,
  insertSteps,
  insertAssertions,
  openDatabase,
  revokeToken,
  seed,
} from "@verdict/db";
import { tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let db: VerdictDb;
let server: RunningServer;
const requests: LogEntry[] = [];
const tokens = { read: "", write: "", admin: "" };
let api: VerdictClient;
const dir = tempDir("verdict-api-");

function errorOf(e: unknown): {
  code: string | undefined;
  field: string | null | undefined;
  message: string;
  status: number | undefined;
} {
  if (!(e instanceof TRPCClientError)) throw e;
  const data = e.data as { code?: string; field?: string | null; httpStatus?: number } | undefined;
  return { code: data?.code, field: data?.field, message: e.message, status: data?.httpStatus };
}

async function failure(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    return errorOf(e);
  }
  throw new Error("expected the call to fail");
}

beforeAll(async () => {
  db = await openDatabase({ url: `file:${dir.file("api.db")}`, migrate: true });
  await seed(db);
  for (const scope of ["read", "write", "admin"] as const)
    tokens[scope] = (await createToken(db, `t-${scope}`, scope)).token;
  server = await startServer({ db, port: 0, log: (e) => requests.push(e), bodyLimitBytes: 64 * 1024 });
  api = createVerdictClient({ url: server.url, token: tokens.admin });
});

afterAll(async () => {
  await server?.close();
  dir.cleanup();
});

describe("ivr procedures over HTTP", () => {
  it("scenarios: create, get, list with cursor, update, delete", async () => {
    const created = await api.ivr.scenarios.create.mutate({
      scenario_id: "api-s1",
      name: "API scenario",
      target_phone: "+15550001",
      steps: [
        { type: "prompt", expected_text: "Welcome" },
        { type: "dtmf", digits: "1#" },
      ],
    });
    expect(created.timeout_seconds).toBe(300);
    expect((await api.ivr.scenarios.get.query({ scenario_id: "api-s1" })).steps).toHaveLength(2);
    const first = await api.ivr.scenarios.list.query({ limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await api.ivr.scenarios.list.query({ limit: 2, cursor: first.nextCursor ?? undefined });
    const ids = [...first.items, ...second.items].map((s) => s.scenario_id);
    expect(new Set(ids).size).toBe(4);
    const updated = await api.ivr.scenarios.update.mutate({ scenario_id: "api-s1", patch: { name: "Renamed" } });
    expect(updated.name).toBe("Renamed");
    expect(await api.ivr.scenarios.delete.mutate({ scenario_id: "api-s1" })).toEqual({
      deleted: true,
      executions_deleted: 0,
    });
    const gone = await failure(api.ivr.scenarios.get.query({ scenario_id: "api-s1" }));
    expect(gone.code).toBe("NOT_FOUND");
    expect(gone.status).toBe(404);
  });

  it("scenarios.delete refuses a scenario with executions (CONFLICT naming how many) unless force; replace keeps them", async () => {
    await api.ivr.scenarios.create.mutate({
      scenario_id: "api-hist",
      name: "History",
      target_phone: "+15550002",
      steps: [{ type: "prompt", expected_text: "Welcome" }],
    });
    const exe = await api.ivr.executions.start.mutate({ scenario_id: "api-hist" });
    const refused = await failure(api.ivr.scenarios.delete.mutate({ scenario_id: "api-hist" }));
    expect(refused).toMatchObject({ code: "CONFLICT", status: 409 });
    expect(refused.message).toMatch(/^scenario 'api-hist' has 1 execution\(s\)/);
    const hist = await api.ivr.scenarios.get.query({ scenario_id: "api-hist" });
    expect((await api.ivr.executions.get.query({ execution_id: exe.execution_id })).scenario_id).toBe(hist.scenario_id);

    const replaced = await api.ivr.scenarios.replace.mutate({
      scenario_id: "api-hist",
      scenario: { name: "History v2", target_phone: "+15550003", steps: [{ type: "dtmf", digits: "9" }] },
    });
    expect(replaced).toMatchObject({ name: "History v2", steps: [{ type: "dtmf", digits: "9" }] });
    const typo = await failure(
      api.ivr.scenarios.replace.mutate({
        scenario_id: "api-hist",
        // @ts-expect-error a misspelled key is refused, not dropped
        scenario: { name: "x", target_phone: "1", steps: [{ type: "prompt", expect_text: "Hi" }] },
      }),
    );
    expect(typo).toMatchObject({ code: "BAD_REQUEST", status: 400 });

    expect(await api.ivr.scenarios.delete.mutate({ scenario_id: "api-hist", force: true })).toEqual({
      deleted: true,
      executions_deleted: 1,
    });
    expect((await failure(api.ivr.executions.get.query({ execution_id: exe.execution_id }))).code).toBe("NOT_FOUND");
  });

  it("executions and step executions: start, record single and batch, finish, list with filters", async () => {
    const exe = await api.ivr.executions.start.mutate({ scenario_id: "bank-balance", call_id: "CA-api-1" });
    expect(exe.status).toBe("running");
    const one = await api.ivr.steps.record.mutate({
      execution_id: exe.execution_id,
      step_number: 0,
      step_type: "prompt",
      status: "pass",
      transcript: "Welcome",
    });
    expect(one.id).toBeGreaterThan(0);
    const many = await api.ivr.steps.recordMany.mutate({
      steps: [
        {
          execution_id: exe.execution_id,
          step_number: 1,
          step_type: "intent",
          expected_intent: "check_balance",
          actual_intent: "check_balance",
          confidence: 0.9,
          status: "pass",
        },
        { execution_id: exe.execution_id, step_number: 2, step_type: "dtmf", dtmf_sent: "1", status: "pass" },
      ],
    });
    expect(many.inserted).toBe(2);
    // A report sent again is answered with the recorded row; a different one for the same step is a CONFLICT.
    const repeat = await api.ivr.steps.record.mutate({
      execution_id: exe.execution_id,
      step_number: 0,
      step_type: "prompt",
      status: "pass",
      transcript: "Welcome",
    });
    expect(repeat).toEqual(one);
    const contradicting = await failure(
      api.ivr.steps.record.mutate({
        execution_id: exe.execution_id,
        step_number: 0,
        step_type: "prompt",
        status: "fail",
      }),
    );
    expect(contradicting).toMatchObject({ code: "CONFLICT", status: 409 });
    expect(contradicting.message).toContain("already recorded with a different");
    expect((await api.ivr.steps.list.query({ execution_id: exe.execution_id })).map((s) => s.step_number)).toEqual([
      0, 1, 2,
    ]);
    const done = await api.ivr.executions.finish.mutate({
      execution_id: exe.execution_id,
      status: "completed",
      final_result: "pass",
    });
    expect(done.final_result).toBe("pass");
    const again = await failure(api.ivr.executions.finish.mutate({ execution_id: exe.execution_id, status: "failed" }));
    expect(again.code).toBe("CONFLICT");
    const byScenario = await api.ivr.executions.list.query({
      scenario_id: "bank-balance",
      status: "completed",
      final_result: "pass",
    });
    expect(byScenario.items.map((e) => e.execution_id)).toContain(exe.execution_id);
    const failed = await api.ivr.executions.list.query({ status: "failed" });
    expect(failed.items.every((e) => e.status === "failed")).toBe(true);
    const inRange = await api.ivr.executions.list.query({
      since: "2026-11-20T08:04:00.000Z",
      until: "2026-11-20T08:06:00.000Z",
    });
    expect(inRange.items.map((e) => e.call_id)).toEqual(["CA-seed-002"]);
    expect((await api.ivr.executions.get.query({ execution_id: exe.execution_id })).call_id).toBe("CA-api-1");
  });

  it("a batch of step executions is all or nothing", async () => {
    const exe = await api.ivr.executions.start.mutate({ scenario_id: "bank-agent" });
    const bad = await failure(
      api.ivr.steps.recordMany.mutate({
        steps: [
          { execution_id: exe.execution_id, step_number: 0, step_type: "prompt", status: "pass" },
          { execution_id: 999_999, step_number: 1, step_type: "prompt", status: "pass" },
        ],
      }),
    );
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.message).toMatch(/FOREIGN KEY/);
    expect(await api.ivr.steps.list.query({ execution_id: exe.execution_id })).toHaveLength(0);
  });

  it("training data: add, addMany, list with filters, setStatus, export", async () => {
    const s = await api.ivr.training.add.mutate({ text_sample: "what do I owe", intent_label: "check_balance" });
    expect(s.confidence_threshold).toBe(0.85);
    expect(s.validation_status).toBe("pending");
    const many = await api.ivr.training.addMany.mutate({
      samples: [
        { text_sample: "wire money abroad", intent_label: "transfer_funds", source: "synthetic" },
        { text_sample: "operator please", intent_label: "speak_to_agent", source: "recorded" },
      ],
    });
    expect(many.ids).toHaveLength(2);
    const pending = await api.ivr.training.list.query({ validation_status: "pending", limit: 100 });
    expect(pending.items.map((i) => i.training_id)).toEqual(expect.arrayContaining([s.training_id, ...many.ids]));
    expect(
      (await api.ivr.training.list.query({ source: "synthetic", intent_label: "transfer_funds" })).items.every(
        (i) => i.source === "synthetic",
      ),
    ).toBe(true);
    expect(
      await api.ivr.training.setStatus.mutate({
        training_ids: [s.training_id, ...many.ids],
        validation_status: "validated",
      }),
    ).toEqual({ updated: 3 });
    const exported = await api.ivr.training.export.query({ validation_status: "validated" });
    expect(exported.map((e) => e.training_id)).toEqual(expect.arrayContaining([s.training_id, ...many.ids]));
    expect(exported.every((e) => e.validation_status === "validated")).toBe(true);
    const missing = await failure(
      api.ivr.training.setStatus.mutate({ training_ids: [s.training_id, 999_999], validation_status: "rejected" }),
    );
    expect(missing.code).toBe("NOT_FOUND");
    expect(
      (await api.ivr.training.export.query({ intent_label: "check_balance" })).find(
        (e) => e.training_id === s.training_id,
      )?.validation_status,
    ).toBe("validated");
  });
});

describe("metrics procedures over HTTP", () => {
  it("record, get, list, latest, average, trend, compare, delete", async () => {
    const base = { project_name: "api-proj", benchmark_name: "b1", version: "1.0.0" };
    const runs = [];
    for (let i = 0; i < 4; i++) {
      runs.push(
        await api.metrics.record.mutate({
          ...base,
          run_id: `api-bench-${i}`,
          timestamp: `2026-10-0${i + 1}T00:00:00.000Z`,
          performance: { total_time_seconds: 100 - i * 10, token_usage_total: 1000 },
          quality: { tests_written: 10, tests_passing: 8 + (i % 2), code_coverage_percentage: 70 + i },
        }),
      );
    }
    expect(runs[0]?.autonomy.one_shot_success_rate).toBe(0);
    expect((await api.metrics.get.query({ run_id: "api-bench-2" })).performance.total_time_seconds).toBe(80);
    const list = await api.metrics.list.query({ project_name: "api-proj", since: "2026-10-02T00:00:00.000Z" });
    expect(list.items.map((r) => r.run_id)).toEqual(["api-bench-3", "api-bench-2", "api-bench-1"]);
    expect((await api.metrics.latest.query({ project_name: "api-proj", last: 2 })).map((r) => r.run_id)).toEqual([
      "api-bench-3",
      "api-bench-2",
    ]);
    const avg = await api.metrics.average.query({ project_name: "api-proj", last: 4 });
    expect(avg.runs).toBe(4);
    expect(avg.averages?.total_time_seconds).toBe(85);
    const trend = await api.metrics.trend.query({ project_name: "api-proj", metric: "total_time_seconds", last: 4 });
    expect(trend.points.map((p) => p.value)).toEqual([100, 90, 80, 70]);
    expect(trend.stats?.slope).toBeCloseTo(-10);
    expect(trend.stats?.median).toBe(85);
    expect(trend.stats?.stddev).toBeCloseTo(12.91, 2);
    expect(trend.stats?.pct_change).toBeCloseTo(-30);
    expect(trend.verdict).toBe("improving"); // time goes down: lower is better
    const cov = await api.metrics.trend.query({
      project_name: "api-proj",
      metric: "code_coverage_percentage",
      last: 4,
    });
    expect(cov.verdict).toBe("stable"); // +3 points on ~71.5 is 4.2%, under the 5% threshold
    const cmp = await api.metrics.compare.query({ run_a: "api-bench-0", run_b: "api-bench-3" });
    const byName = new Map(cmp.metrics.map((m) => [m.metric, m]));
    expect(byName.get("total_time_seconds")).toMatchObject({ a: 100, b: 70, delta: -30, verdict: "improved" });
    expect(byName.get("tests_passing")).toMatchObject({ a: 8, b: 9, verdict: "improved" });
    expect(byName.get("token_usage_total")?.verdict).toBe("unchanged");
    const strict = await api.metrics.compare.query({
      run_a: "api-bench-0",
      run_b: "api-bench-3",
      threshold_percent: 50,
    });
    expect(strict.metrics.find((m) => m.metric === "total_time_seconds")?.verdict).toBe("unchanged");
    expect(await api.metrics.delete.mutate({ run_id: "api-bench-0" })).toEqual({ deleted: true });
    expect((await failure(api.metrics.get.query({ run_id: "api-bench-0" }))).code).toBe("NOT_FOUND");
  });
});

describe("runs procedures over HTTP", () => {
  it("create, complete, get, list, instances/steps/assertions queries, delete", async () => {
    await api.runs.create.mutate({
      id: "api-run",
      started_at: "2026-11-01T00:00:00.000000Z",
      sut_name: "svc",
      scenario_ids: ["a", "b"],
      seed: 7,
    });
    const dup = await failure(
      api.runs.create.mutate({ id: "api-run", started_at: "2026-11-01T00:00:00.000Z", sut_name: "svc" }),
    );
    expect(dup.code).toBe("CONFLICT");
    await insertInstances(db.client, [
      ["api-run", "i1", "a", "c1", "pass", null, null, 10, null, null],
      ["api-run", "i2", "b", "c2", "fail", null, null, 20, null, "boom"],
      ["api-run", "i3", "a", "c3", "fail", null, null, 30, null, "boom again"],
    ]);
    await insertSteps(db.client, [
      ["api-run", "i1", 0, "login", "http", "auth", null, 12.5, 200, 1, JSON.stringify({ ok: true, extra: 1 })],
      ["api-run", "i2", 0, "login", "http", "auth", null, 950, 503, 0, JSON.stringify({ ok: false })],
    ]);
    await insertAssertions(db.client, [["api-run", "i2", 0, "status 200", 0, "200", "503", "expected 200"]]);
    const completed = await api.runs.complete.mutate({ run_id: "api-run", completed_at: "2026-11-01T00:10:00.000Z" });
    expect(completed.completed_at).toBe("2026-11-01T00:10:00.000Z");
    expect((await api.runs.get.query({ run_id: "api-run" })).seed).toBe(7);
    expect((await api.runs.list.query({ sut_name: "svc" })).items.map((r) => r.id)).toEqual(["api-run"]);
    const fails = await api.runs.instances.query.query({
      run_id: "api-run",
      status: "fail",
      limit: 1,
      with_total: true,
    });
    expect(fails.total).toBe(2);
    expect(fails.items.map((i) => i.id)).toEqual(["i2"]);
    const next = await api.runs.instances.query.query({
      run_id: "api-run",
      status: "fail",
      limit: 1,
      cursor: fails.nextCursor ?? undefined,
    });
    expect(next.items.map((i) => i.id)).toEqual(["i3"]);
    expect(
      (await api.runs.instances.query.query({ run_id: "api-run", error_contains: "again" })).items.map((i) => i.id),
    ).toEqual(["i3"]);
    const slow = await api.runs.steps.query.query({ run_id: "api-run", min_latency_ms: 100 });
    expect(slow.items).toHaveLength(1);
    expect(slow.items[0]).toMatchObject({
      instance_id: "i2",
      scenario_id: "b",
      instance_status: "fail",
      ok: false,
      status_code: 503,
    });
    expect((await api.runs.steps.query.query({ run_id: "api-run", ok: true })).items[0]?.observation).toEqual({
      ok: true,
      extra: 1,
    });
    const failedAssertions = await api.runs.assertions.query.query({ run_id: "api-run", passed: false });
    expect(failedAssertions.items[0]).toMatchObject({ assertion_name: "status 200", expected: 200, actual: 503 });
    expect(await api.runs.delete.mutate({ run_id: "api-run" })).toEqual({ deleted: true });
    expect((await api.runs.instances.query.query({ run_id: "api-run" })).items).toHaveLength(0);
  });
});

describe("run analytics procedures over HTTP", () => {
  it("summary, failures, compare, flaky and gate on the seeded run", async () => {
    const summary = await api.runs.summary.query({ run_id: "seed-run-001" });
    expect(summary.run.id).toBe("seed-run-001");
    expect(summary.instances).toMatchObject({ instances: 12, pass: 10, fail: 2 });
    expect(summary.instances.pass_rate).toBeCloseTo((10 / 12) * 100, 9);
    expect(summary.steps.total).toBe(36);
    expect(summary.steps.latency_ms.p99).toBe(2400);
    expect(summary.by_scenario.map((s) => s.scenario_id).sort()).toEqual(["checkout", "login", "search"]);
    const failures = await api.runs.failures.query({ run_id: "seed-run-001", top: 5 });
    expect(failures.length).toBeGreaterThan(0);
    expect(JSON.stringify(failures)).toMatch(/503/);
    const gate = await api.runs.gate.query({ run_id: "seed-run-001", fail_on: ["pass_rate>=99", "fail_count<=5"] });
    expect(gate.passed).toBe(false);
    expect(gate.violations.map((v) => v.expr)).toEqual(["pass_rate>=99"]);
    const same = await api.runs.compare.query({ run_a: "seed-run-001", run_b: "seed-run-001" });
    expect(same.regressions).toEqual([]);
    expect(same.run.verdict).toBe("no significant change");
    expect(same.paired).toMatchObject({ regressions: 0, fixes: 0 });
    const latest = await api.runs.compare.query({ run_a: "latest", run_b: "latest", sut_name: "shop-api" });
    expect(latest.b).toBe("seed-run-001");
    const report = await api.runs.report.query({ run_id: "seed-run-001", top: 3 });
    expect(report.slowest_instances).toHaveLength(3);
    const one = await api.runs.instances.get.query({
      run_id: "seed-run-001",
      instance_id: report.slowest_instances[0]?.instance_id ?? "",
    });
    expect(one.steps.length).toBeGreaterThan(0);
    const flaky = await api.runs.flaky.query({ sut_name: "shop-api", last: 5 });
    expect(flaky.runs.map((r) => r.id)).toEqual(["seed-run-001"]);
    expect(flaky.scenarios).toEqual([]); // one run cannot flip
    const badRule = await failure(api.runs.gate.query({ run_id: "seed-run-001", fail_on: ["latency<5"] }));
    expect(badRule.code).toBe("BAD_REQUEST");
    expect((await failure(api.runs.summary.query({ run_id: "missing" }))).code).toBe("NOT_FOUND");
  });
});

describe("admin procedures, auth and transport", () => {
  it("health and schema status", async () => {
    expect((await api.admin.health.query()).ok).toBe(true);
    const status = await api.admin.schemaStatus.query();
    expect(status.up_to_date).toBe(true);
    expect(status.migrations.map((m) => `${m.domain}/${m.name}`)).toContain("ivr/0000_init_ivr");
  });

  it("tokens: create shows the value once, list never shows it, revoke makes it fail with 401", async () => {
    const created = await api.admin.tokens.create.mutate({ name: "temp-1", scope: "read" });
    expect(created.token).toMatch(/^vdt_/);
    const listed = await api.admin.tokens.list.query();
    expect(JSON.stringify(listed)).not.toContain(created.token);
    const stored = await db.client.execute({
      sql: "SELECT token_hash FROM api_tokens WHERE name = 'temp-1'",
      args: [],
    });
    expect(String(stored.rows[0]?.token_hash)).not.toContain(created.token);
    const reader = createVerdictClient({ url: server.url, token: created.token });
    expect((await reader.admin.schemaStatus.query()).up_to_date).toBe(true);
    await api.admin.tokens.revoke.mutate({ name: "temp-1" });
    const after = await failure(reader.admin.schemaStatus.query());
    expect(after.code).toBe("UNAUTHORIZED");
    expect(after.status).toBe(401);
    expect((await failure(api.admin.tokens.create.mutate({ name: "t-read", scope: "read" }))).code).toBe("CONFLICT");
  });

  it("no token or an unknown token → 401; too small a scope → 403", async () => {
    const anonymous = createVerdictClient({ url: server.url });
    const none = await failure(anonymous.ivr.scenarios.list.query({}));
    expect(none).toMatchObject({ code: "UNAUTHORIZED", status: 401 });
    const unknown = await failure(
      createVerdictClient({ url: server.url, token: "vdt_not-a-real-token" }).ivr.scenarios.list.query({}),
    );
    expect(unknown.status).toBe(401);
    expect(unknown.message).toMatch(/unknown or revoked/);
    const reader = createVerdictClient({ url: server.url, token: tokens.read });
    expect((await reader.ivr.scenarios.list.query({})).items.length).toBeGreaterThan(0);
    const write = await failure(reader.ivr.training.add.mutate({ text_sample: "x", intent_label: "y" }));
    expect(write).toMatchObject({ code: "FORBIDDEN", status: 403 });
    const writer = createVerdictClient({ url: server.url, token: tokens.write });
    expect((await failure(writer.admin.tokens.list.query())).status).toBe(403);
    expect((await anonymous.admin.health.query()).ok).toBe(true);
    await revokeToken(db, "t-read").then(() => createToken(db, "t-read-2", "read"));
  });

  it("invalid input → BAD_REQUEST naming the field path", async () => {
    const bad = await failure(
      api.ivr.scenarios.create.mutate({
        name: "bad",
        target_phone: "1",
        steps: [{ type: "prompt" }, { type: "dtmf", digits: "12X" }],
      }),
    );
    expect(bad).toMatchObject({ code: "BAD_REQUEST", status: 400, field: "steps.1.digits" });
    expect(bad.message).toMatch(/^steps\.1\.digits: /);
    const range = await failure(
      api.ivr.training.add.mutate({ text_sample: "hi", intent_label: "x", confidence_threshold: 1.5 }),
    );
    expect(range.field).toBe("confidence_threshold");
    const quality = await failure(
      api.metrics.record.mutate({
        project_name: "p",
        benchmark_name: "b",
        timestamp: "2026-01-01T00:00:00Z",
        quality: { tests_written: 1, tests_passing: 2 },
      }),
    );
    expect(quality.field).toBe("quality.tests_passing");
    const cursor = await failure(api.runs.instances.query.query({ run_id: "seed-run-001", cursor: "garbage" }));
    expect(cursor).toMatchObject({ code: "BAD_REQUEST", field: "cursor" });
  });

  it("calls made together travel in one HTTP request", async () => {
    const before = requests.filter((r) => r.msg === "request").length;
    const results = await Promise.all([
      api.ivr.scenarios.list.query({}),
      api.metrics.latest.query({ last: 1 }),
      api.runs.list.query({}),
      api.admin.health.query(),
      api.ivr.training.list.query({ limit: 1 }),
    ]);
    expect(results).toHaveLength(5);
    const after = requests.filter((r) => r.msg === "request");
    expect(after.length - before).toBe(1);
    expect(after.at(-1)?.path).toMatch(
      /ivr\.scenarios\.list,metrics\.latest,runs\.list,admin\.health,ivr\.training\.list/,
    );
    expect(typeof after.at(-1)?.request_id).toBe("string");
  });

  it("a body over the limit gets 413, /health answers, unknown paths 404", async () => {
    const big = await fetch(`${server.url}/trpc/ivr.training.add`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tokens.admin}` },
      body: JSON.stringify({ json: { text_sample: "x".repeat(100_000), intent_label: "y" } }),
    });
    expect(big.status).toBe(413);
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, database: "file" });
    expect(health.headers.get("x-request-id")).toBeTruthy();
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });
});
