/**
 * Pure row mappers, one per file kind: a parsed line (and its text) → the row the importer writes.
 * No I/O: the loader feeds them lines and the variation lookup (artifacts/<id>/variation.json).
 *
 * Each line is rendered back with render.ts; when that gives the line exactly, the row's `source`
 * is null, otherwise the line is kept there. JSON-valued columns (entry_data, observation, expected,
 * actual) always hold the value's source text, sliced from the line, never JSON.stringify of the
 * parsed value: numbers a double cannot hold stay exact in the database too.
 */
import { ASSERTION_COLUMNS, INSTANCE_COLUMNS, STEP_COLUMNS } from "../queries/runs.js";
import {
  type FieldProblem,
  type RunShape,
  applyAliases,
  assertionLine,
  check,
  instanceCurrent,
  instanceLegacy,
  stepCurrent,
  stepLegacy,
} from "./format.js";
import { isAssertionLine, isInstanceCurrent, isStepCurrent } from "./fast-format.js";
import { topLevelValues } from "./json-text.js";
import { assertionHead, assertionTail, instanceParts, stepHead } from "./render.js";

export const IMPORT_COLUMNS = {
  instances: [...INSTANCE_COLUMNS, "passed", "entry_data", "source"],
  steps: [...STEP_COLUMNS, "correlation_id", "source"],
  assertions: [...ASSERTION_COLUMNS, "correlation_id", "message", "timestamp", "source"],
} as const;

export type InstanceRow = [
  run_id: string,
  id: string,
  scenario_id: string,
  correlation_id: string | null,
  status: "pass" | "fail",
  started_at: string | null,
  completed_at: string | null,
  duration_ms: number | null,
  variations: string | null,
  error: string | null,
  passed: 0 | 1 | null,
  entry_data: string | null,
  source: string | null,
];
export type StepRow = [
  run_id: string,
  instance_id: string,
  step_index: number,
  action_name: string,
  action_type: string,
  service: string | null,
  started_at: string | null,
  latency_ms: number | null,
  status_code: number | null,
  ok: 0 | 1 | null,
  observation: string,
  correlation_id: string | null,
  source: string | null,
];
export type AssertionRow = [
  run_id: string,
  instance_id: string,
  step_index: number | null,
  assertion_name: string,
  passed: 0 | 1,
  expected: string | null,
  actual: string | null,
  error: string | null,
  correlation_id: string | null,
  message: string | null,
  timestamp: string | null,
  source: string | null,
];

export type Json = Record<string, unknown>;
export type RowResult<T> =
  | { ok: true; row: T }
  | { ok: false; problem: FieldProblem; file?: string; line?: number | null };

export interface MapContext {
  runId: string;
  shape: RunShape;
  /** The variation of an instance (JSON text), from entry_data or artifacts/<id>/variation.json. */
  variationOf(instanceId: string, fromEntry: unknown): RowResult<string | null>;
  /** Legacy steps carry no index: their order within the instance is the index. */
  nextIndex: Map<string, number>;
}

const keyCount = (obj: Json): number => {
  let n = 0;
  for (const _ in obj) n++;
  return n;
};

function runMismatch(ctx: MapContext, got: string | undefined): RowResult<never> | null {
  return got !== undefined && got !== ctx.runId
    ? { ok: false, problem: { field: "run_id", problem: `'${got}' is not this run ('${ctx.runId}')` } }
    : null;
}

/** A JSON value's column text: null for JSON null or absent. */
const jsonColumn = (raw: string | undefined): string | null => (raw === undefined || raw === "null" ? null : raw);

export function mapInstance(ctx: MapContext, obj: Json, text: string): RowResult<InstanceRow> {
  applyAliases("instance", ctx.shape, obj);
  let v: {
    instance_id: string;
    run_id?: string | undefined;
    correlation_id?: string | null | undefined;
    scenario_id: string;
    started_at?: string | null | undefined;
    completed_at?: string | null | undefined;
    duration_ms?: number | null | undefined;
    passed?: boolean | null | undefined;
    error?: string | null | undefined;
  };
  let entry: { seed_data?: { variation?: unknown } | null | undefined } | null | undefined;
  if (ctx.shape === "current") {
    const r = isInstanceCurrent(obj) ? { ok: true as const, value: obj } : check(instanceCurrent, obj);
    if (!r.ok) return r;
    v = r.value;
    entry = r.value.entry_data;
  } else {
    const r = check(instanceLegacy, obj);
    if (!r.ok) return r;
    v = r.value;
    entry = r.value.entry;
  }
  const bad = runMismatch(ctx, v.run_id);
  if (bad) return bad;
  const variation = ctx.variationOf(v.instance_id, entry?.seed_data?.variation);
  if (!variation.ok) return variation;
  const passed = v.passed === undefined || v.passed === null ? null : v.passed;
  const line = {
    instance_id: v.instance_id,
    run_id: ctx.runId,
    correlation_id: v.correlation_id ?? null,
    scenario_id: v.scenario_id,
    started_at: v.started_at ?? null,
    completed_at: v.completed_at ?? null,
    duration_ms: v.duration_ms ?? null,
    passed,
    error: v.error ?? null,
  };
  let entryData: string | null;
  let source: string | null = null;
  const [head, tail] = instanceParts({ ...line, entry_data: "" });
  if (keyCount(obj) === 10 && text.startsWith(head) && text.endsWith(tail) && text.length > head.length + tail.length) {
    entryData = text.slice(head.length, text.length - tail.length);
  } else {
    source = text;
    const raw = topLevelValues(text);
    entryData = raw.get("entry_data") ?? raw.get("entry") ?? null;
  }
  return {
    ok: true,
    row: [
      ctx.runId,
      line.instance_id,
      line.scenario_id,
      line.correlation_id,
      passed === true ? "pass" : "fail",
      line.started_at,
      line.completed_at,
      line.duration_ms,
      variation.row,
      line.error,
      passed === null ? null : passed ? 1 : 0,
      entryData,
      source,
    ],
  };
}

export function mapStep(ctx: MapContext, obj: Json, text: string): RowResult<StepRow> {
  applyAliases("step", ctx.shape, obj);
  let instanceId: string;
  let stepIndex: number;
  let name: string;
  let type: string;
  let at: string | null;
  let correlation: string | null = null;
  let obs: {
    ok?: boolean | null | undefined;
    status_code?: number | null | undefined;
    latency_ms?: number | null | undefined;
    service?: string | null | undefined;
  };
  if (ctx.shape === "current") {
    const r = isStepCurrent(obj) ? { ok: true as const, value: obj } : check(stepCurrent, obj);
    if (!r.ok) return r;
    const bad = runMismatch(ctx, r.value.run_id);
    if (bad) return bad;
    ({ instance_id: instanceId, step_index: stepIndex, step_name: name, step_type: type } = r.value);
    at = r.value.timestamp ?? null;
    correlation = r.value.correlation_id ?? null;
    obs = r.value.observation;
  } else {
    const r = check(stepLegacy, obj);
    if (!r.ok) return r;
    const bad = runMismatch(ctx, r.value.run_id);
    if (bad) return bad;
    ({ instance_id: instanceId, action_name: name, action_type: type } = r.value);
    if (r.value.step_index === undefined) {
      stepIndex = ctx.nextIndex.get(instanceId) ?? 0;
      ctx.nextIndex.set(instanceId, stepIndex + 1);
    } else stepIndex = r.value.step_index;
    at = r.value.started_at ?? null;
    const c = obj.correlation_id;
    correlation = typeof c === "string" ? c : null;
    obs = r.value.observation;
  }
  let observation: string;
  let source: string | null = null;
  const head = stepHead({
    instance_id: instanceId,
    run_id: ctx.runId,
    correlation_id: correlation,
    step_index: stepIndex,
    step_name: name,
    step_type: type,
    timestamp: at,
  });
  if (ctx.shape === "current" && keyCount(obj) === 8 && text.startsWith(head) && text.endsWith("}")) {
    observation = text.slice(head.length, -1);
  } else {
    source = text;
    observation = topLevelValues(text).get("observation") ?? JSON.stringify(obj.observation);
  }
  return {
    ok: true,
    row: [
      ctx.runId,
      instanceId,
      stepIndex,
      name,
      type,
      obs.service ?? null,
      at,
      obs.latency_ms ?? null,
      obs.status_code ?? null,
      obs.ok === undefined || obs.ok === null ? null : obs.ok ? 1 : 0,
      observation,
      correlation,
      source,
    ],
  };
}

export function mapAssertion(ctx: MapContext, obj: Json, text: string): RowResult<AssertionRow> {
  const r = isAssertionLine(obj) ? { ok: true as const, value: obj } : check(assertionLine, obj);
  if (!r.ok) return r;
  const v = r.value;
  const bad = runMismatch(ctx, v.run_id);
  if (bad) return bad;
  const line = {
    instance_id: v.instance_id,
    run_id: ctx.runId,
    correlation_id: v.correlation_id ?? null,
    step_index: v.step_index ?? null,
    assertion_name: v.assertion_name,
    passed: v.passed,
    message: v.message ?? null,
    timestamp: v.timestamp ?? null,
  };
  let expected: string | undefined;
  let actual: string | undefined;
  let source: string | null = null;
  const expectedText = v.expected === undefined ? undefined : JSON.stringify(v.expected);
  const head = `${assertionHead(line)}${expectedText},"actual":`;
  const tail = assertionTail(line);
  if (
    expectedText !== undefined &&
    keyCount(obj) === 10 &&
    text.startsWith(head) &&
    text.endsWith(tail) &&
    text.length > head.length + tail.length
  ) {
    expected = expectedText;
    actual = text.slice(head.length, text.length - tail.length);
  } else {
    source = text;
    const raw = topLevelValues(text);
    expected = raw.get("expected");
    actual = raw.get("actual");
  }
  return {
    ok: true,
    row: [
      ctx.runId,
      line.instance_id,
      line.step_index,
      line.assertion_name,
      v.passed ? 1 : 0,
      jsonColumn(expected),
      jsonColumn(actual),
      v.passed ? null : line.message,
      line.correlation_id,
      line.message,
      line.timestamp,
      source,
    ],
  };
}
