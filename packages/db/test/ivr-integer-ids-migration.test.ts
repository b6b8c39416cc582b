/**
 * ivr/0004 (integer ids, slugs, no 'queued' executions) and queue/0001 (queued IVR executions live in
 * the queue) on a database holding data in the shape before them: up keeps every row and link, down
 * gives back the previous shape with the same rows and ids.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DEFAULT_MIGRATIONS_DIR, type VerdictDb, migrateDown, migrateUp, openDatabase } from "@verdict/db";
import { rejection } from "./helpers.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A copy of the shipped migrations without the two under test, and a function that adds them. */
function migrationsBefore(): { dir: string; addNew: () => void } {
  const root = mkdtempSync(join(tmpdir(), "verdict-ivr-ids-"));
  dirs.push(root);
  const dir = join(root, "migrations");
  cpSync(DEFAULT_MIGRATIONS_DIR, dir, {
    recursive: true,
    filter: (src) => !/ivr[/\\]0004_|queue[/\\]0001_/.test(src),
  });
  return { dir, addNew: () => cpSync(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true }) };
}

const OLD_DATA = [
  `INSERT INTO test_scenarios (scenario_id, name, target_phone, steps, created_at, updated_at, target) VALUES
     ('banking-balance', 'Balance', '+15550001', '[{"type":"dtmf","digits":"1"}]', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', NULL),
     ('card.block_v2', 'Block card', '+15550002', '[]', '2026-01-02T00:00:00.000Z', '2026-01-02T00:00:00.000Z', NULL),
     ('123', 'Digits only', '+15550003', '[]', '2026-01-03T00:00:00.000Z', '2026-01-03T00:00:00.000Z', NULL)`,
  `INSERT INTO test_executions (execution_id, scenario_id, status, start_time, end_time, call_id, final_result, error_message) VALUES
     ('exe_done', 'banking-balance', 'completed', '2026-01-05T00:00:00.000Z', '2026-01-05T00:01:00.000Z', 'CA123', 'pass', NULL),
     ('exe_running', 'card.block_v2', 'running', '2026-01-05T01:00:00.000Z', NULL, NULL, NULL, NULL),
     ('exe_queued', 'banking-balance', 'queued', '2026-01-05T02:00:00.000Z', NULL, NULL, NULL, NULL),
     ('exe_digits', '123', 'failed', '2026-01-05T03:00:00.000Z', '2026-01-05T03:00:01.000Z', NULL, 'fail', 'no answer')`,
  `INSERT INTO step_executions (id, execution_id, step_number, step_type, status, dtmf_sent, transcript) VALUES
     (1, 'exe_done', 0, 'dtmf', 'pass', '1', NULL),
     (2, 'exe_done', 1, 'prompt', 'pass', NULL, 'your balance is'),
     (3, 'exe_running', 0, 'prompt', 'fail', NULL, 'hello')`,
  `INSERT INTO intent_training_data (training_id, text_sample, intent_label, source, validation_status, created_at) VALUES
     ('trn_a', 'check my balance', 'balance', 'manual', 'validated', '2026-01-01T00:00:00.000Z'),
     ('trn_b', 'kartımı kapat', 'block_card', 'recorded', 'pending', '2026-01-01T00:00:01.000Z')`,
  `INSERT INTO work_items (id, kind, scenario_id, execution_id, status, timeout_seconds, enqueued_at) VALUES
     ('wi_queued', 'ivr', 'banking-balance', 'exe_queued', 'queued', 300, '2026-01-05T02:00:00.000Z')`,
  `INSERT INTO work_items (id, kind, scenario_id, execution_id, status, attempts, timeout_seconds, claimed_by, lease_token,
       enqueued_at, started_at, deadline_at, finished_at) VALUES
     ('wi_done', 'ivr', 'banking-balance', 'exe_done', 'done', 1, 300, 'w1', 'lease', '2026-01-04T23:59:00.000Z',
      '2026-01-05T00:00:00.000Z', '2026-01-05T00:05:00.000Z', '2026-01-05T00:01:00.000Z')`,
];

const TABLES = ["test_scenarios", "test_executions", "step_executions", "intent_training_data", "work_items"];

async function dump(h: VerdictDb): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of TABLES)
    out[t] = (await h.client.execute(`SELECT * FROM ${t} ORDER BY 1`)).rows.map((r) => ({ ...r }));
  return out;
}

async function rows(h: VerdictDb, sql: string): Promise<Record<string, unknown>[]> {
  return (await h.client.execute(sql)).rows.map((r) => ({ ...r }));
}

describe("ivr/0004 + queue/0001 carry data over and back", () => {
  let h: VerdictDb;
  afterEach(() => h?.close());

  async function oldDatabase(): Promise<{ addNew: () => void; dir: string; before: Record<string, unknown[]> }> {
    const { dir, addNew } = migrationsBefore();
    h = await openDatabase({ url: ":memory:", skipSchemaCheck: true, migrationsDir: dir });
    await migrateUp(h.client, { migrationsDir: dir, domains: ["ivr", "runs", "queue"] });
    for (const sql of OLD_DATA) await h.client.execute(sql);
    return { dir, addNew, before: await dump(h) };
  }

  it("up keeps every row and link; a queued execution becomes a queue item; down restores the old shape and ids", async () => {
    const { dir, addNew, before } = await oldDatabase();
    addNew();
    await migrateUp(h.client, { migrationsDir: dir, domains: ["ivr", "runs", "queue"] });

    expect(await rows(h, "SELECT scenario_id, slug, name FROM test_scenarios ORDER BY scenario_id")).toEqual([
      { scenario_id: 1, slug: "banking-balance", name: "Balance" },
      { scenario_id: 2, slug: "card.block_v2", name: "Block card" },
      { scenario_id: 3, slug: "scenario-3", name: "Digits only" },
    ]);
    // Executions by their scenario's slug; the queued one is gone from test_executions.
    expect(
      await rows(
        h,
        `SELECT e.execution_id, s.slug, e.status, e.call_id, e.final_result FROM test_executions e
         JOIN test_scenarios s USING (scenario_id) ORDER BY e.execution_id`,
      ),
    ).toEqual([
      { execution_id: 1, slug: "banking-balance", status: "completed", call_id: "CA123", final_result: "pass" },
      { execution_id: 2, slug: "card.block_v2", status: "running", call_id: null, final_result: null },
      { execution_id: 3, slug: "scenario-3", status: "failed", call_id: null, final_result: "fail" },
    ]);
    expect(
      await rows(
        h,
        `SELECT st.id, st.execution_id, e.call_id, st.step_number, st.transcript FROM step_executions st
         JOIN test_executions e USING (execution_id) ORDER BY st.id`,
      ),
    ).toEqual([
      { id: 1, execution_id: 1, call_id: "CA123", step_number: 0, transcript: null },
      { id: 2, execution_id: 1, call_id: "CA123", step_number: 1, transcript: "your balance is" },
      { id: 3, execution_id: 2, call_id: null, step_number: 0, transcript: "hello" },
    ]);
    expect(await rows(h, "SELECT training_id, intent_label FROM intent_training_data ORDER BY training_id")).toEqual([
      { training_id: 1, intent_label: "balance" },
      { training_id: 2, intent_label: "block_card" },
    ]);
    expect(
      await rows(
        h,
        "SELECT id, scenario_id, execution_id, status, payload, started_at FROM work_items ORDER BY enqueued_at",
      ),
    ).toEqual([
      {
        id: "wi_done",
        scenario_id: "banking-balance",
        execution_id: 1,
        status: "done",
        payload: '{"scenario_id":1}',
        started_at: "2026-01-05T00:00:00.000Z",
      },
      {
        id: "wi_queued",
        scenario_id: "banking-balance",
        execution_id: null,
        status: "queued",
        payload: '{"scenario_id":1}',
        started_at: null,
      },
    ]);
    expect(await rows(h, "SELECT kind, old_id, new_id FROM ivr_ids_0004 ORDER BY kind, old_id")).toEqual([
      { kind: "execution", old_id: "exe_digits", new_id: 3 },
      { kind: "execution", old_id: "exe_done", new_id: 1 },
      { kind: "execution", old_id: "exe_queued", new_id: null },
      { kind: "execution", old_id: "exe_running", new_id: 2 },
      { kind: "scenario", old_id: "123", new_id: 3 },
      { kind: "scenario", old_id: "banking-balance", new_id: 1 },
      { kind: "scenario", old_id: "card.block_v2", new_id: 2 },
      { kind: "training", old_id: "trn_a", new_id: 1 },
      { kind: "training", old_id: "trn_b", new_id: 2 },
    ]);
    expect(await rows(h, "SELECT * FROM pragma_foreign_key_check")).toEqual([]);
    // 'queued' is no longer an execution status.
    await expect(
      h.client.execute("INSERT INTO test_executions (scenario_id, status) VALUES (1, 'queued')"),
    ).rejects.toThrow(/test_executions_status_enum/);

    // The IVR domain cannot go back while the queue still points at its integer ids.
    const refused = await rejection(
      migrateDown(h.client, { migrationsDir: dir, domains: ["ivr"], to: "0003_ivr_targets" }),
    );
    expect(String(refused)).toContain("revert_queue_0001_ivr_queue_items_first");

    await migrateDown(h.client, { migrationsDir: dir, domains: ["queue"], to: "0000_init_queue" });
    await migrateDown(h.client, { migrationsDir: dir, domains: ["ivr"], to: "0003_ivr_targets" });
    expect(await dump(h)).toEqual(before);
    expect(await rows(h, "SELECT * FROM pragma_foreign_key_check")).toEqual([]);
    expect(await rows(h, "SELECT name FROM sqlite_master WHERE name LIKE '%0004%' OR name LIKE '%copied%'")).toEqual(
      [],
    );
  });

  it("down after work done under the new shape: new rows get text ids, a queued item becomes a queued execution", async () => {
    const { dir, addNew } = await oldDatabase();
    addNew();
    await migrateUp(h.client, { migrationsDir: dir, domains: ["ivr", "runs", "queue"] });
    // A worker starts the item queued before the migration; a new scenario and a new queued item arrive.
    await h.client.execute(
      "INSERT INTO test_executions (scenario_id, status, start_time) VALUES (1, 'running', '2026-02-01T00:00:00.000Z')",
    );
    await h.client.execute(
      `UPDATE work_items SET status = 'running', execution_id = 4, attempts = 1, claimed_by = 'w', lease_token = 'l',
         lease_expires_at = '2026-02-01T00:01:00.000Z', started_at = '2026-02-01T00:00:00.000Z',
         deadline_at = '2026-02-01T00:05:00.000Z' WHERE id = 'wi_queued'`,
    );
    await h.client.execute(
      "INSERT INTO test_scenarios (slug, name, target_phone, steps) VALUES ('new-one', 'New', '+1555', '[]')",
    );
    await h.client.execute(
      `INSERT INTO work_items (id, kind, scenario_id, payload, timeout_seconds, enqueued_at)
       VALUES ('wi_new', 'ivr', 'new-one', '{"scenario_id":4}', 60, '2026-02-02T00:00:00.000Z')`,
    );
    await migrateDown(h.client, { migrationsDir: dir, domains: ["queue"], to: "0000_init_queue" });
    await migrateDown(h.client, { migrationsDir: dir, domains: ["ivr"], to: "0003_ivr_targets" });
    expect(
      await rows(
        h,
        `SELECT w.id, w.scenario_id, w.execution_id, e.status FROM work_items w
         LEFT JOIN test_executions e USING (execution_id) ORDER BY w.enqueued_at`,
      ),
    ).toEqual([
      { id: "wi_done", scenario_id: "banking-balance", execution_id: "exe_done", status: "completed" },
      { id: "wi_queued", scenario_id: "banking-balance", execution_id: "exe_queued", status: "running" },
      { id: "wi_new", scenario_id: "new-one", execution_id: "exe_wi_new", status: "queued" },
    ]);
    expect(await rows(h, "SELECT * FROM pragma_foreign_key_check")).toEqual([]);
  });
});
