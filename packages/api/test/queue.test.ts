/**
 * The queue router over real HTTP on 127.0.0.1 against a libSQL file: scopes (a read token cannot
 * claim), the worker protocol end to end through the typed client, and how errors come back
 * (unknown scenario → NOT_FOUND, a lease that is gone → CONFLICT, a bad scenario → BAD_REQUEST
 * naming the field).
 */
import { TRPCClientError } from "@trpc/client";
import { type RunningServer, type VerdictClient, createVerdictClient, startServer } from "@verdict/api";
import { createScenario, createToken, openDatabase } from "@verdict/db";
import { tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const dir = tempDir("verdict-queue-api-");
let server: RunningServer;
let worker: VerdictClient;
let reader: VerdictClient;
let scenarioId: number;

beforeAll(async () => {
  const db = await openDatabase({ url: `file:${dir.file("api.db")}`, migrate: true });
  const write = await createToken(db, "worker-1", "write");
  const read = await createToken(db, "viewer", "read");
  scenarioId = (
    await createScenario(db, {
      name: "menu",
      target_phone: "+15550100",
      steps: [{ type: "dtmf", digits: "1" }],
    })
  ).scenario_id;
  server = await startServer({ db, port: 0, log: () => undefined });
  worker = createVerdictClient({ url: server.url, token: write.token });
  reader = createVerdictClient({ url: server.url, token: read.token });
});
afterAll(async () => {
  await server.close();
  dir.cleanup();
});

function codeOf(e: unknown): string | undefined {
  return e instanceof TRPCClientError ? (e.data as { code?: string } | undefined)?.code : undefined;
}

describe("queue router", () => {
  it("a read token may list the queue but not claim from it", async () => {
    await expect(reader.queue.list.query({})).resolves.toMatchObject({ items: [] });
    const err = await reader.queue.claim.mutate({ worker_id: "w" }).catch((e: unknown) => e);
    expect(codeOf(err)).toBe("FORBIDDEN");
  });

  it("enqueue → claim → report → complete over HTTP; queued ones in the queue, started ones in executions", async () => {
    const q = await worker.queue.enqueue.mutate({ scenario_id: scenarioId, repeat: 2 });
    // Queued executions are queue items (no execution row yet); the scenario comes back by id and slug.
    const queued = await worker.queue.list.query({ kind: "ivr", status: "queued" });
    expect(queued.items.map((i) => i.id).sort()).toEqual([...q.item_ids].sort());
    expect(queued.items.map((i) => [i.execution_id, i.scenario_ref, i.scenario_id])).toEqual(
      q.item_ids.map(() => [null, scenarioId, q.slug]),
    );
    expect((await worker.ivr.executions.list.query({})).items).toHaveLength(0);
    // The same scenario by slug or by id.
    expect((await reader.ivr.scenarios.get.query({ scenario_id: q.slug })).scenario_id).toBe(scenarioId);
    expect((await reader.ivr.scenarios.get.query({ scenario_id: scenarioId })).slug).toBe(q.slug);

    const [item] = await worker.queue.claim.mutate({ worker_id: "w1", kinds: ["ivr"] });
    if (item?.kind !== "ivr") throw new Error("expected an IVR item");
    expect(item.scenario.steps[0]).toEqual({ type: "dtmf", digits: "1" });
    expect((await worker.ivr.executions.list.query({ status: "running" })).items).toHaveLength(1);

    const t = new Date().toISOString();
    const step = { step_number: 0, step_type: "dtmf" as const, dtmf_sent: "1", status: "pass" as const };
    const rep = await worker.queue.report.mutate({
      worker_id: "w1",
      reports: [
        { item_id: item.item_id, lease: item.lease, steps: [{ ...step, started_at: t, ended_at: t, latency_ms: 4 }] },
      ],
    });
    expect(rep[0]).toMatchObject({ held: true, accepted: 1 });
    const done = await worker.queue.complete.mutate({
      kind: "ivr",
      worker_id: "w1",
      item_id: item.item_id,
      lease: item.lease,
      final_result: "pass",
      steps: [{ ...step, started_at: t, ended_at: t, latency_ms: 4 }],
    });
    expect(done.status).toBe("done");
    const completed = await worker.ivr.executions.list.query({ status: "completed" });
    expect(completed.items.map((e) => e.execution_id)).toEqual([item.execution_id]);
    expect(await worker.ivr.steps.list.query({ execution_id: item.execution_id })).toHaveLength(1);
    expect((await reader.queue.counts.query()).ivr).toMatchObject({ queued: 1, done: 1 });

    // A stale lease is a CONFLICT, with the reason.
    const err = await worker.queue.fail
      .mutate({ worker_id: "w1", item_id: item.item_id, lease: "not-the-lease", error: "x" })
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe("CONFLICT");
    expect((err as Error).message).toMatch(/already ended with status done/);
  });

  it("an unknown scenario is NOT_FOUND; a bad HTTP scenario is BAD_REQUEST naming the field", async () => {
    const nf = await worker.queue.enqueue.mutate({ scenario_id: "missing" }).catch((e: unknown) => e);
    expect(codeOf(nf)).toBe("NOT_FOUND");
    const bad = await worker.queue.startRun
      .mutate({
        scenario: { id: "s", steps: [{ name: "a", request: { url: "http://127.0.0.1:1/{{token}}" } }] },
      })
      .catch((e: unknown) => e);
    expect(codeOf(bad)).toBe("BAD_REQUEST");
    expect((bad as Error).message).toMatch(/^scenario\.steps\.0\.request\.url: \{\{token\}\} is not defined/);
    const run = await worker.queue.startRun.mutate({
      scenario: { id: "s", steps: [{ name: "a", request: { url: "http://127.0.0.1:1/" } }] },
      instances: 2,
      sut_name: "shop",
    });
    expect(run.instances).toBe(2);
    expect((await reader.runs.get.query({ run_id: run.run.id })).sut_name).toBe("shop");
    expect((await reader.queue.list.query({ run_id: run.run.id })).items).toHaveLength(2);
  });
});
