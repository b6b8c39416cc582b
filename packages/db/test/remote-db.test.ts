import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SqldServer, sqldForTests, startSqld } from "@verdict/testing";
import {
  type AssertionTuple,
  ConstraintError,
  DOMAINS,
  type InstanceTuple,
  SEED_TRAINING,
  SchemaMismatchError,
  type StepTuple,
  type VerdictDb,
  createRun,
  createScenario,
  errorTextOf,
  finishExecution,
  listExecutions,
  getBenchmarkRun,
  insertAssertions,
  insertInstances,
  insertSteps,
  loadMigrationFiles,
  migrateDown,
  migrateUp,
  migrationStatus,
  openDatabase,
  queryAssertions,
  queryInstances,
  querySteps,
  recordBenchmarkRun,
  recordStepExecutions,
  seed,
  startExecution,
  validateSchema,
} from "@verdict/db";

/**
 * The whole database layer against a real libSQL server (sqld), once over Hrana-over-HTTP and once
 * over Hrana-over-WebSockets: the two transports `--db http://…` and `--db ws://…` use.
 */
const sqld = sqldForTests("packages/db remote libSQL tests (remote-db.test.ts)");

const TOTAL_MIGRATIONS = DOMAINS.reduce((n, d) => n + loadMigrationFiles(d).length, 0);

async function count(h: VerdictDb, sql: string, args: (string | number)[] = []): Promise<number> {
  const rs = await h.client.execute({ sql, args });
  return Number(rs.rows[0]?.n ?? -1);
}

/** A synthetic load-test run: `n` instances of 3 scenarios, 3 steps and 1 assertion each; every 7th fails. */
function syntheticRun(runId: string, n: number) {
  const instances: InstanceTuple[] = [];
  const steps: StepTuple[] = [];
  const assertions: AssertionTuple[] = [];
  const base = Date.parse("2026-11-21T10:00:00.000Z");
  for (let i = 0; i < n; i++) {
    const id = `i${String(i).padStart(5, "0")}`;
    const failed = i % 7 === 3;
    const scenario = ["login", "checkout", "search"][i % 3] ?? "login";
    const start = new Date(base + i * 10).toISOString();
    instances.push([
      runId,
      id,
      scenario,
      `corr-${i}`,
      failed ? "fail" : "pass",
      start,
      new Date(base + i * 10 + 300).toISOString(),
      300,
      JSON.stringify({ tier: i % 2 ? "gold" : "basic" }),
      failed ? `upstream 503 on ${scenario}` : null,
    ]);
    for (let k = 0; k < 3; k++) {
      const bad = failed && k === 2;
      steps.push([
        runId,
        id,
        k,
        `${scenario}-${k}`,
        "http",
        k === 0 ? "auth" : "orders",
        start,
        bad ? 2500 : 20 + k * 10 + (i % 50),
        bad ? 503 : 200,
        bad ? 0 : 1,
        JSON.stringify({ ok: !bad, status_code: bad ? 503 : 200 }),
      ]);
    }
    assertions.push([
      runId,
      id,
      2,
      "status is 200",
      failed ? 0 : 1,
      "200",
      failed ? "503" : "200",
      failed ? "expected 200 got 503" : null,
    ]);
  }
  return { instances, steps, assertions };
}

describe.skipIf(!sqld.available).each([
  ["http", (s: SqldServer) => s.url],
  ["ws", (s: SqldServer) => s.wsUrl],
])("remote libSQL over %s", (_transport, urlOf) => {
  let server: SqldServer;
  let url: string;
  let h: VerdictDb;

  beforeAll(async () => {
    server = await startSqld();
    url = urlOf(server);
  });
  afterAll(async () => {
    h?.close();
    await server?.stop();
  });

  it("refuses to open an empty server database until it is migrated, naming the fix", async () => {
    const err = await openDatabase({ url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaMismatchError);
    expect((err as SchemaMismatchError).message).toMatch(/no \w+ tables yet \(fix: verdict migrate up/);
  });

  it("migrates up, validates, reverts to 0 and migrates up again", async () => {
    const raw = await openDatabase({ url, skipSchemaCheck: true });
    try {
      expect(raw.kind).toBe("remote");
      const up = await migrateUp(raw.client);
      expect(up.applied).toHaveLength(TOTAL_MIGRATIONS);
      let status = await migrationStatus(raw.client);
      expect(status.map((s) => s.state)).toEqual(Array(TOTAL_MIGRATIONS).fill("applied"));
      expect(await validateSchema(raw.client)).toEqual([]);
      expect((await migrateUp(raw.client)).applied).toEqual([]);

      const down = await migrateDown(raw.client, { to: "0" });
      expect(down.applied).toHaveLength(TOTAL_MIGRATIONS);
      status = await migrationStatus(raw.client);
      expect(status.map((s) => s.state)).toEqual(Array(TOTAL_MIGRATIONS).fill("pending"));
      const left = await raw.client.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'libsql_%' AND name <> '_verdict_migrations'",
      );
      expect(left.rows).toEqual([]);

      expect((await migrateUp(raw.client)).applied).toHaveLength(TOTAL_MIGRATIONS);
      expect(await validateSchema(raw.client)).toEqual([]);
      status = await migrationStatus(raw.client);
      expect(status.every((s) => s.state === "applied" && s.applied_at !== null)).toBe(true);
    } finally {
      raw.close();
    }
    h = await openDatabase({ url });
    expect(h.kind).toBe("remote");
  });

  it("rejects a CHECK violation with a ConstraintError naming the constraint", async () => {
    await createScenario(h, {
      slug: "remote-check",
      name: "remote check",
      target_phone: "+15550100100",
      steps: [{ type: "prompt", name: "hello", expected_text: "hi" }],
    });
    const started = await startExecution(h, {
      scenario_id: "remote-check",
      start_time: "2026-11-21T10:00:00.000Z",
    });
    const err = await finishExecution(h, {
      execution_id: started.execution_id,
      status: "completed",
      end_time: "2026-11-21T09:00:00.000Z",
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConstraintError);
    expect((err as ConstraintError).kind).toBe("check");
    expect((err as ConstraintError).constraint).toBe("test_executions_end_after_start");
    const rs = await h.client.execute({
      sql: "SELECT status, end_time FROM test_executions WHERE execution_id = ?",
      args: [started.execution_id],
    });
    expect(rs.rows[0]).toMatchObject({ status: "running", end_time: null });
  });

  it("rejects a FOREIGN KEY violation with a ConstraintError naming the missing parent", async () => {
    const err = await recordStepExecutions(h, [
      { execution_id: 999_999, step_number: 0, step_type: "prompt", status: "pass" },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConstraintError);
    expect((err as ConstraintError).kind).toBe("foreign_key");
    expect((err as ConstraintError).constraint).toBe("step_executions(execution_id)->test_executions(execution_id)");
  });

  it("a recordStepExecutions batch that fails part-way leaves nothing behind", async () => {
    const [exe] = (await listExecutions(h, { scenario_id: "remote-check" })).items;
    const step = (i: number, execution_id = exe?.execution_id ?? 0) => ({
      execution_id,
      step_number: i,
      step_type: "prompt" as const,
      status: "pass" as const,
    });
    const good = Array.from({ length: 700 }, (_, i) => step(i));
    // Rows go in 500 at a time, so the first statement succeeds before the bad row's one fails.
    const batch = [...good.slice(0, 600), step(600, 999_999)];
    const err = await recordStepExecutions(h, batch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConstraintError);
    expect(await count(h, "SELECT count(*) AS n FROM step_executions")).toBe(0);
    expect(await recordStepExecutions(h, good)).toEqual({ inserted: 700, already_present: 0 });
    expect(await count(h, "SELECT count(*) AS n FROM step_executions")).toBe(700);
  });

  it("recordBenchmarkRun is atomic: a failure at its last insert leaves no part of the run", async () => {
    // A real failure inside the transaction: the server rejects the fifth insert of this one run.
    await h.client.execute(
      "CREATE TRIGGER remote_test_reject BEFORE INSERT ON workflow_metrics WHEN NEW.run_id = 'bench-poison' BEGIN SELECT RAISE(ABORT, 'workflow metrics rejected by test trigger'); END",
    );
    try {
      const input = { timestamp: "2026-11-21T10:00:00.000Z", project_name: "p", benchmark_name: "b" };
      const err = await recordBenchmarkRun(h, { ...input, run_id: "bench-poison" }).catch((e: unknown) => e);
      expect(errorTextOf(err)).toMatch(/workflow metrics rejected by test trigger/);
      for (const table of ["benchmark_runs", "performance_metrics", "autonomy_metrics", "quality_metrics"]) {
        expect(await count(h, `SELECT count(*) AS n FROM ${table} WHERE run_id = 'bench-poison'`), table).toBe(0);
      }
      const ok = await recordBenchmarkRun(h, {
        ...input,
        run_id: "bench-ok",
        quality: { tests_written: 10, tests_passing: 9 },
      });
      expect(ok.quality.tests_passing).toBe(9);
      expect((await getBenchmarkRun(h, "bench-ok")).workflow.stories_created).toBe(0);
    } finally {
      await h.client.execute("DROP TRIGGER remote_test_reject");
    }
  });

  const N = 3000;
  it(`bulk-inserts a run of ${N} instances, ${3 * N} steps and ${N} assertions in one transaction`, async () => {
    const data = syntheticRun("remote-run", N);
    const tx = await h.client.transaction("write");
    try {
      await createRun(h, { id: "remote-run", started_at: "2026-11-21T10:00:00.000Z", sut_name: "shop" }, tx);
      for (let i = 0; i < N; i += 1000) await insertInstances(tx, data.instances.slice(i, i + 1000));
      for (let i = 0; i < 3 * N; i += 1000) await insertSteps(tx, data.steps.slice(i, i + 1000));
      for (let i = 0; i < N; i += 1000) await insertAssertions(tx, data.assertions.slice(i, i + 1000));
      await tx.commit();
    } finally {
      tx.close();
    }
    expect(await count(h, "SELECT count(*) AS n FROM instances WHERE run_id = 'remote-run'")).toBe(N);
    expect(await count(h, "SELECT count(*) AS n FROM steps WHERE run_id = 'remote-run'")).toBe(3 * N);
    expect(await count(h, "SELECT count(*) AS n FROM assertions WHERE run_id = 'remote-run'")).toBe(N);

    // The same import rolled back leaves nothing, not even the run row.
    const tx2 = await h.client.transaction("write");
    try {
      await createRun(h, { id: "remote-run-2", started_at: "2026-11-21T11:00:00.000Z", sut_name: "shop" }, tx2);
      await insertInstances(tx2, syntheticRun("remote-run-2", 500).instances);
      await tx2.rollback();
    } finally {
      tx2.close();
    }
    expect(await count(h, "SELECT count(*) AS n FROM runs WHERE id = 'remote-run-2'")).toBe(0);
    expect(await count(h, "SELECT count(*) AS n FROM instances WHERE run_id = 'remote-run-2'")).toBe(0);
  });

  it("queries instances by status with cursor pagination, and steps and assertions with filters", async () => {
    const expectedFails = Array.from({ length: N }, (_, i) => i).filter((i) => i % 7 === 3).length;
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await queryInstances(h, {
        run_id: "remote-run",
        status: "fail",
        limit: 100,
        with_total: pages === 0,
        ...(cursor ? { cursor } : {}),
      });
      if (pages === 0) expect(page.total).toBe(expectedFails);
      expect(page.items.every((i) => i.status === "fail" && i.error?.startsWith("upstream 503"))).toBe(true);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(Math.ceil(expectedFails / 100));
    expect(new Set(seen).size).toBe(expectedFails);
    expect(seen).toEqual([...seen].sort());

    const checkout = await queryInstances(h, {
      run_id: "remote-run",
      scenario_id: "checkout",
      error_contains: "503 on checkout",
      limit: 1000,
    });
    expect(checkout.items.length).toBe(
      Array.from({ length: N }, (_, i) => i).filter((i) => i % 7 === 3 && i % 3 === 1).length,
    );

    const slow = await querySteps(h, { run_id: "remote-run", ok: false, min_latency_ms: 2000, limit: 5 });
    expect(slow.items).toHaveLength(5);
    expect(slow.nextCursor).not.toBeNull();
    for (const s of slow.items) {
      expect(s).toMatchObject({ ok: false, status_code: 503, instance_status: "fail", step_index: 2 });
    }
    const next = await querySteps(h, { run_id: "remote-run", ok: false, limit: 5, cursor: slow.nextCursor ?? "" });
    expect(next.items[0]?.id ?? 0).toBeGreaterThan(slow.items[4]?.id ?? Number.POSITIVE_INFINITY);

    const failedAssertions = await queryAssertions(h, { run_id: "remote-run", passed: false, limit: 1000 });
    expect(failedAssertions.items).toHaveLength(expectedFails);
    expect(failedAssertions.items[0]).toMatchObject({ passed: false, expected: 200, actual: 503 });
  });

  it("seeds sample data once: seeding again adds nothing", async () => {
    const first = await seed(h);
    expect(first.added).toEqual({
      scenarios: 3,
      executions: 2,
      training: SEED_TRAINING.length,
      benchmarks: 2,
      runs: 1,
    });
    const tables = ["test_scenarios", "test_executions", "intent_training_data", "benchmark_runs", "instances"];
    const before = await Promise.all(tables.map((t) => count(h, `SELECT count(*) AS n FROM ${t}`)));
    const second = await seed(h);
    expect(second.added).toEqual({ scenarios: 0, executions: 0, training: 0, benchmarks: 0, runs: 0 });
    const after = await Promise.all(tables.map((t) => count(h, `SELECT count(*) AS n FROM ${t}`)));
    expect(after).toEqual(before);
  });
});
