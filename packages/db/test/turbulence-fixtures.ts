/**
 * Builds real turbulence run folders on disk for the tests (both shapes), file by file, exactly as
 * the tool writes them: pretty manifest/summary JSON, one JSON object per line elsewhere.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

type Json = Record<string, unknown>;

export interface RunFolderSpec {
  manifest: Json;
  instances: Json[];
  steps: Json[];
  assertions?: Json[];
  summary?: Json;
  /** artifacts/<instance_id>/variation.json contents. */
  variationFiles?: Record<string, unknown>;
}

export function writeRunFolder(dir: string, spec: RunFolderSpec): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(spec.manifest, null, 2)}\n`);
  const jsonl = (rows: Json[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join("");
  writeFileSync(join(dir, "instances.jsonl"), jsonl(spec.instances));
  writeFileSync(join(dir, "steps.jsonl"), jsonl(spec.steps));
  if (spec.assertions) writeFileSync(join(dir, "assertions.jsonl"), jsonl(spec.assertions));
  if (spec.summary) writeFileSync(join(dir, "summary.json"), `${JSON.stringify(spec.summary, null, 2)}\n`);
  for (const [id, v] of Object.entries(spec.variationFiles ?? {})) {
    mkdirSync(join(dir, "artifacts", id), { recursive: true });
    writeFileSync(join(dir, "artifacts", id, "variation.json"), JSON.stringify(v, null, 2));
  }
  return dir;
}

/** Replaces line `line` (1-based) of a file with `text`. */
export function replaceLine(file: string, line: number, text: string): void {
  const lines = readFileSync(file, "utf8").split("\n");
  lines[line - 1] = text;
  writeFileSync(file, lines.join("\n"));
}

/** sha256 of every file under `dir`, by relative path: proves source folders were not touched. */
export function hashTree(dir: string, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    if (statSync(p).isDirectory()) Object.assign(out, hashTree(p, rel));
    else out[rel] = `${statSync(p).mtimeMs}:${createHash("sha256").update(readFileSync(p)).digest("hex")}`;
  }
  return out;
}

const ts = (sec: number) => new Date(Date.UTC(2025, 0, 15, 10, 0, 0) + sec * 1000).toISOString().replace("Z", "123Z");

export interface InstancePlan {
  scenario: string;
  /** true pass, false fail, null errored. */
  passed: boolean | null;
  variation?: Json;
  error?: string | null;
  /** Step latencies; one http step per entry. */
  latencies?: number[];
  durationMs?: number;
}

/**
 * A current-shape run: one instance per plan entry, with http steps (latency from the plan), an
 * assertion per instance, and extra keys in the manifest and observations.
 */
export function currentRun(
  runId: string,
  plans: InstancePlan[],
  opts: { sut?: string; startSec?: number; summary?: boolean; seed?: number } = {},
): RunFolderSpec {
  const start = opts.startSec ?? 0;
  const scenarios = [...new Set(plans.map((p) => p.scenario))];
  const instances: Json[] = [];
  const steps: Json[] = [];
  const assertions: Json[] = [];
  plans.forEach((p, i) => {
    const id = `inst-${String(i).padStart(4, "0")}`;
    const corr = `corr-${runId}-${i}`;
    const lat = p.latencies ?? [10 + i, 20 + i];
    instances.push({
      instance_id: id,
      run_id: runId,
      correlation_id: corr,
      scenario_id: p.scenario,
      started_at: ts(start + i),
      completed_at: ts(start + i + 1),
      duration_ms: p.durationMs ?? lat.reduce((a, b) => a + b, 0),
      passed: p.passed,
      entry_data: p.variation ? { seed_data: { variation: p.variation } } : {},
      error: p.error ?? (p.passed === null ? "connection reset by peer" : null),
    });
    lat.forEach((l, k) => {
      steps.push({
        instance_id: id,
        run_id: runId,
        correlation_id: corr,
        step_index: k,
        step_name: k === 0 ? "create_order" : `step_${k}`,
        step_type: "http",
        timestamp: ts(start + i),
        observation: {
          ok: p.passed !== false || k === 0,
          protocol: "http",
          status_code: p.passed === false && k > 0 ? 500 : 200,
          latency_ms: l,
          headers: { "content-type": "application/json" },
          body: { n: k, nested: { list: [1, "two", null] } },
          errors: p.passed === false && k > 0 ? ["HTTP 500 from orders"] : [],
          action_name: k === 0 ? "create_order" : `step_${k}`,
          service: k === 0 ? "orders" : "payments",
          attempts: [{ n: 1 }],
          retry_budget: 3,
        },
      });
    });
    assertions.push({
      instance_id: id,
      run_id: runId,
      correlation_id: corr,
      step_index: 0,
      assertion_name: "status_is_200",
      passed: p.passed === true,
      expected: 200,
      actual: p.passed === true ? 200 : 500,
      message: p.passed === true ? "ok" : "expected 200, got 500",
      timestamp: ts(start + i),
    });
  });
  const spec: RunFolderSpec = {
    manifest: {
      run_id: runId,
      timestamp: ts(start),
      sut_name: opts.sut ?? "shop",
      scenario_ids: scenarios,
      seed: opts.seed ?? 42,
      config: { concurrency: 4, target: "http://localhost:8080", nested: { a: [1, 2] } },
      turbulence_version: "0.9.1",
      operator: "ci",
    },
    instances,
    steps,
    assertions,
  };
  if (opts.summary !== false) {
    const pass = plans.filter((p) => p.passed === true).length;
    spec.summary = {
      run_id: runId,
      completed_at: ts(start + plans.length + 1),
      total_instances: plans.length,
      pass_count: pass,
      fail_count: plans.filter((p) => p.passed === false).length,
      error_count: plans.filter((p) => p.passed === null).length,
      pass_rate: plans.length ? (100 * pass) / plans.length : 0,
      duration_ms: 1234.5,
      total_steps: steps.length,
      total_assertions: assertions.length,
      assertions_passed: pass,
      assertions_failed: plans.length - pass,
      p50_latency_ms: 11,
      p95_latency_ms: 30,
      p99_latency_ms: 31,
    };
  }
  return spec;
}

/** A legacy-shape run: no run ids or times on lines, action_name/action_type, `entry`, no step_index. */
export function legacyRun(plans: InstancePlan[]): RunFolderSpec {
  const instances: Json[] = [];
  const steps: Json[] = [];
  plans.forEach((p, i) => {
    const id = `L${i}`;
    instances.push({
      instance_id: id,
      correlation_id: `lc-${i}`,
      scenario_id: p.scenario,
      passed: p.passed,
      duration_ms: p.durationMs ?? 100 + i,
      error: p.error ?? null,
      ...(p.variation ? { entry: { seed_data: { variation: p.variation } } } : {}),
    });
  });
  // Interleaved like a concurrent tool writes them: instance order is only kept within an instance.
  const lat = plans.map((p, i) => p.latencies ?? [5 + i, 6 + i, 7 + i]);
  const longest = Math.max(0, ...lat.map((l) => l.length));
  for (let k = 0; k < longest; k++) {
    plans.forEach((p, i) => {
      const l = lat[i]?.[k];
      if (l === undefined) return;
      steps.push({
        instance_id: `L${i}`,
        action_name: `legacy_action_${k}`,
        action_type: k === 1 ? "wait" : "http",
        observation: {
          ok: p.passed !== false,
          status_code: k === 1 ? null : 200,
          latency_ms: l,
          headers: {},
          body: null,
          errors: [],
        },
      });
    });
  }
  return {
    manifest: {
      sut_name: "legacy-sut",
      scenarios: [...new Set(plans.map((p) => p.scenario))],
      started_at: "2024-06-01T08:00:00.000001Z",
      completed_at: "2024-06-01T08:05:00.000002Z",
      tool: "turbulence-legacy",
    },
    instances,
    steps,
  };
}
