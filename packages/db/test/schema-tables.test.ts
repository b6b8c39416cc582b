import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type VerdictDb, openDatabase } from "@verdict/db";
import { TARGETS, TABLES } from "./helpers.js";

const OUR_DOMAINS = ["ivr", "metrics", "runs"] as const;

/**
 * Named (CREATE INDEX) indexes each table must have, with the columns they must lead with. A later
 * migration may widen an index (extra trailing columns still serve the same filters) or add others.
 */
const NAMED_INDEXES: Record<string, Record<string, string[]>> = {
  test_scenarios: {
    test_scenarios_name_idx: ["name"],
    test_scenarios_target_idx: ["target"],
    test_scenarios_slug_uq: ["slug"],
  },
  ivr_targets: {},
  test_executions: {
    test_executions_scenario_id_idx: ["scenario_id"],
    test_executions_status_idx: ["status"],
    test_executions_call_id_idx: ["call_id"],
    test_executions_start_time_idx: ["start_time"],
  },
  step_executions: {
    step_executions_execution_id_idx: ["execution_id"],
    step_executions_status_idx: ["status"],
  },
  intent_training_data: {
    intent_training_data_intent_label_idx: ["intent_label"],
    intent_training_data_validation_status_idx: ["validation_status"],
  },
  benchmark_runs: {
    benchmark_runs_timestamp_idx: ["timestamp"],
    benchmark_runs_project_timestamp_idx: ["project_name", "timestamp"],
    benchmark_runs_benchmark_timestamp_idx: ["benchmark_name", "timestamp"],
    benchmark_runs_scope_timestamp_idx: ["project_name", "benchmark_name", "timestamp"],
  },
  metric_alerts: { metric_alerts_run_metric_test_idx: ["run_id", "metric", "test"] },
  performance_metrics: {},
  autonomy_metrics: {},
  quality_metrics: {},
  workflow_metrics: {},
  runs: { runs_sut_started_idx: ["sut_name", "started_at"], runs_started_at_idx: ["started_at"] },
  instances: {
    instances_run_status_idx: ["run_id", "status"],
    instances_run_scenario_idx: ["run_id", "scenario_id"],
    instances_run_started_idx: ["run_id", "started_at"],
  },
  steps: {
    steps_run_instance_idx: ["run_id", "instance_id", "step_index"],
    steps_run_action_type_idx: ["run_id", "action_type"],
    steps_run_service_idx: ["run_id", "service"],
  },
  assertions: {
    assertions_run_instance_idx: ["run_id", "instance_id"],
    assertions_run_passed_name_idx: ["run_id", "passed", "assertion_name"],
  },
};

/** Primary keys that are not the rowid, so SQLite backs them with an automatic index. */
const PRIMARY_KEY_INDEXES: Record<string, string[]> = {
  ivr_targets: ["name"],
  ivr_ids_0004: ["kind", "old_id"],
  benchmark_runs: ["run_id"],
  performance_metrics: ["run_id"],
  autonomy_metrics: ["run_id"],
  quality_metrics: ["run_id"],
  workflow_metrics: ["run_id"],
  metric_alerts: ["alert_id"],
  runs: ["id"],
  instances: ["run_id", "id"],
  run_artifacts: ["run_id", "path"],
  run_stats: ["run_id"],
  run_stat_groups: ["run_id", "dimension", "measure", "ord"],
  run_error_categories: ["run_id", "category"],
  run_report_groups: ["run_id", "kind", "ord"],
};

/** The foreign keys the schema must have: child(columns) -> parent(columns), all ON DELETE CASCADE. */
const FOREIGN_KEYS = [
  "test_executions(scenario_id)->test_scenarios(scenario_id)",
  "step_executions(execution_id)->test_executions(execution_id)",
  "performance_metrics(run_id)->benchmark_runs(run_id)",
  "autonomy_metrics(run_id)->benchmark_runs(run_id)",
  "quality_metrics(run_id)->benchmark_runs(run_id)",
  "workflow_metrics(run_id)->benchmark_runs(run_id)",
  "metric_alerts(run_id)->benchmark_runs(run_id)",
  "instances(run_id)->runs(id)",
  "steps(run_id,instance_id)->instances(run_id,id)",
  "assertions(run_id,instance_id)->instances(run_id,id)",
  "run_artifacts(run_id)->runs(id)",
  "run_stats(run_id)->runs(id)",
  "run_stat_groups(run_id)->runs(id)",
  "run_error_categories(run_id)->runs(id)",
  "run_report_groups(run_id)->runs(id)",
];

/**
 * Frequent filters and the index the planner must pick for them. The runs tables are always queried
 * per run, so their filters come after run_id.
 */
const FILTER_QUERIES: [string, string, string][] = [
  ["call_id", "SELECT * FROM test_executions WHERE call_id = ?", "test_executions_call_id_idx"],
  ["status", "SELECT * FROM test_executions WHERE status = ?", "test_executions_status_idx"],
  ["scenario_id", "SELECT * FROM test_executions WHERE scenario_id = ?", "test_executions_scenario_id_idx"],
  ["execution_id", "SELECT * FROM step_executions WHERE execution_id = ?", "step_executions_execution_id_idx"],
  ["step status", "SELECT * FROM step_executions WHERE status = ?", "step_executions_status_idx"],
  [
    "intent_label",
    "SELECT * FROM intent_training_data WHERE intent_label = ?",
    "intent_training_data_intent_label_idx",
  ],
  [
    "validation_status",
    "SELECT * FROM intent_training_data WHERE validation_status = ?",
    "intent_training_data_validation_status_idx",
  ],
  ["benchmark timestamp", "SELECT * FROM benchmark_runs WHERE timestamp >= ?", "benchmark_runs_timestamp_idx"],
  [
    "benchmark project",
    "SELECT * FROM benchmark_runs WHERE project_name = ? ORDER BY timestamp DESC",
    "benchmark_runs_project_timestamp_idx",
  ],
  [
    "benchmark name",
    "SELECT * FROM benchmark_runs WHERE benchmark_name = ? ORDER BY timestamp DESC",
    "benchmark_runs_benchmark_timestamp_idx",
  ],
  ["instance status", "SELECT * FROM instances WHERE run_id = ? AND status = ?", "instances_run_status_idx"],
  [
    "instance scenario_id",
    "SELECT * FROM instances WHERE run_id = ? AND scenario_id = ?",
    "instances_run_scenario_idx",
  ],
  ["action_type", "SELECT * FROM steps WHERE run_id = ? AND action_type = ?", "steps_run_action_type_idx"],
  ["service", "SELECT * FROM steps WHERE run_id = ? AND service = ?", "steps_run_service_idx"],
  ["passed", "SELECT * FROM assertions WHERE run_id = ? AND passed = ?", "assertions_run_passed_name_idx"],
];

interface IndexInfo {
  name: string;
  origin: string;
  columns: string[];
}

async function indexesOf(h: VerdictDb, table: string): Promise<IndexInfo[]> {
  const list = await h.client.execute(`PRAGMA index_list("${table}")`);
  const out: IndexInfo[] = [];
  for (const r of list.rows) {
    const name = String(r.name);
    const info = await h.client.execute(`PRAGMA index_info("${name}")`);
    const columns = [...info.rows].sort((a, b) => Number(a.seqno) - Number(b.seqno)).map((c) => String(c.name));
    out.push({ name, origin: String(r.origin), columns });
  }
  return out;
}

async function foreignKeysOf(h: VerdictDb, table: string) {
  const rs = await h.client.execute(`PRAGMA foreign_key_list("${table}")`);
  const byId = new Map<number, { parent: string; from: string[]; to: string[]; onDelete: string }>();
  for (const r of rs.rows) {
    const id = Number(r.id);
    const fk = byId.get(id) ?? { parent: String(r.table), from: [], to: [], onDelete: String(r.on_delete) };
    fk.from.push(String(r.from));
    fk.to.push(String(r.to));
    byId.set(id, fk);
  }
  return [...byId.values()];
}

describe.each(TARGETS)("schema on %s", (_label, url) => {
  let h: VerdictDb;
  beforeEach(async () => {
    h = await openDatabase({ url: url(), migrate: true, domains: OUR_DOMAINS });
  });
  afterEach(() => h.close());

  it(`has exactly the ${TABLES.length} tables of the ivr, metrics and runs domains`, async () => {
    const rs = await h.client.execute(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_verdict_migrations' ORDER BY name",
    );
    expect(rs.rows.map((r) => String(r.name))).toEqual([...TABLES].sort());
  });

  it.each(TABLES)("%s has its named and primary-key indexes", async (table) => {
    const indexes = await indexesOf(h, table);
    const named = Object.fromEntries(indexes.filter((i) => i.origin === "c").map((i) => [i.name, i.columns]));
    for (const [name, columns] of Object.entries(NAMED_INDEXES[table] ?? {})) {
      expect(named[name]?.slice(0, columns.length), `${table}.${name}`).toEqual(columns);
    }
    const pk = indexes.find((i) => i.origin === "pk");
    expect(pk?.columns ?? null).toEqual(PRIMARY_KEY_INDEXES[table] ?? null);
  });

  it("has every foreign key, cascading, and each one's child columns lead some index", async () => {
    const found: string[] = [];
    for (const table of TABLES) {
      const indexes = await indexesOf(h, table);
      for (const fk of await foreignKeysOf(h, table)) {
        const name = `${table}(${fk.from.join(",")})->${fk.parent}(${fk.to.join(",")})`;
        found.push(name);
        expect(fk.onDelete, name).toBe("CASCADE");
        const covering = indexes.filter(
          (i) => [...i.columns.slice(0, fk.from.length)].sort().join(",") === [...fk.from].sort().join(","),
        );
        expect(covering.length, `no index covers ${name}`).toBeGreaterThan(0);
      }
    }
    expect(found.sort()).toEqual([...FOREIGN_KEYS].sort());
  });

  it.each(FILTER_QUERIES)("the %s filter is answered from an index like %s", async (_what, sql, index) => {
    const args = sql
      .split("?")
      .slice(1)
      .map(() => "x");
    const rs = await h.client.execute({ sql: `EXPLAIN QUERY PLAN ${sql}`, args });
    const plan = rs.rows.map((r) => String(r.detail)).join(" | ");
    const used = /^SEARCH (\w+) USING (?:COVERING )?INDEX (\w+)/.exec(plan);
    expect(used, plan).not.toBeNull();
    // The planner may pick a wider index that leads with the same columns (a later migration's).
    const table = used?.[1] ?? "";
    const expected = NAMED_INDEXES[table]?.[index] ?? [];
    expect(expected.length, `${index} is not a known index of ${table}`).toBeGreaterThan(0);
    const chosen = (await indexesOf(h, table)).find((i) => i.name === used?.[2]);
    expect(chosen?.columns.slice(0, expected.length), plan).toEqual(expected);
  });

  it("has the updated_at triggers on test_scenarios and ivr_targets", async () => {
    const rs = await h.client.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' ORDER BY name");
    expect(rs.rows.map((r) => [String(r.name), String(r.tbl_name)])).toEqual([
      ["ivr_targets_updated_at", "ivr_targets"],
      ["test_scenarios_updated_at", "test_scenarios"],
    ]);
  });
});
