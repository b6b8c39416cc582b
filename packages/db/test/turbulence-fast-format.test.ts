/**
 * The import's hand-written line checks (src/turbulence/fast-format.ts) never accept a line that the
 * zod schemas of format.ts refuse, and accept the ordinary valid lines (else the import would be
 * no faster). Each field of each line kind is replaced by valid and invalid values in turn.
 */
import { describe, expect, it } from "vitest";
import { isAssertionLine, isInstanceCurrent, isStepCurrent } from "../src/turbulence/fast-format.js";
import { assertionLine, instanceCurrent, stepCurrent } from "../src/turbulence/format.js";

type Obj = Record<string, unknown>;

const instance: Obj = {
  instance_id: "inst-1",
  run_id: "run-1",
  correlation_id: "c-1",
  scenario_id: "checkout",
  started_at: "2025-03-01T09:00:00.000000Z",
  completed_at: "2025-03-01T09:00:01+02:00",
  duration_ms: 12.5,
  passed: true,
  entry_data: { seed_data: { variation: { tier: "gold" } } },
  error: null,
};
const step: Obj = {
  instance_id: "inst-1",
  run_id: "run-1",
  correlation_id: "c-1",
  step_index: 0,
  step_name: "login",
  step_type: "http",
  timestamp: "2025-03-01T09:00:00Z",
  observation: {
    ok: true,
    protocol: "http",
    status_code: 200,
    latency_ms: 3.2,
    errors: [],
    action_name: "login",
    service: "accounts",
    attempts: [{ n: 1 }],
    extra: { any: "thing" },
  },
};
const assertion: Obj = {
  instance_id: "inst-1",
  run_id: "run-1",
  correlation_id: "c-1",
  step_index: 1,
  assertion_name: "status_ok",
  passed: false,
  expected: 200,
  actual: 500,
  message: "expected 200",
  timestamp: "2025-03-01T09:00:00.5-05:30",
};

/** Values every field is tried with: right and wrong types, edge cases of the formats. */
const VALUES: unknown[] = [
  undefined,
  null,
  true,
  false,
  0,
  -0,
  1,
  -1,
  1.5,
  2 ** 53,
  "",
  "x",
  "has space",
  "a".repeat(200),
  "a".repeat(201),
  "2025-03-01T09:00:00Z",
  "2024-02-29T23:59:59.123456+00:00",
  "2025-02-29T09:00:00Z",
  "2025-04-31T09:00:00Z",
  "2025-03-01T24:00:00Z",
  "2025-03-01T09:00Z",
  "2025-03-01T09:00:00",
  "2025-03-01 09:00:00Z",
  "2025-03-01T09:00:00+0100",
  [],
  [1],
  {},
  { seed_data: null },
  { seed_data: [] },
  { seed_data: { variation: 1 } },
  { ok: "yes" },
  { latency_ms: -1 },
  { status_code: 200.5 },
  { errors: "none" },
];

function agree(
  name: string,
  base: Obj,
  fast: (o: Obj) => boolean,
  zod: { safeParse(v: unknown): { success: boolean } },
  nested?: string,
) {
  let accepted = 0;
  const keys = Object.keys(base);
  for (const key of keys) {
    for (const v of VALUES) {
      const o: Obj = structuredClone(base);
      if (v === undefined) delete o[key];
      else o[key] = structuredClone(v);
      if (fast(o)) {
        accepted++;
        expect(zod.safeParse(o).success, `${name}.${key} = ${JSON.stringify(v)}`).toBe(true);
      }
    }
  }
  if (nested) {
    const inner = base[nested] as Obj;
    for (const key of Object.keys(inner))
      for (const v of VALUES) {
        const o: Obj = structuredClone(base);
        const i = o[nested] as Obj;
        if (v === undefined) delete i[key];
        else i[key] = structuredClone(v);
        if (fast(o)) expect(zod.safeParse(o).success, `${name}.${nested}.${key} = ${JSON.stringify(v)}`).toBe(true);
      }
  }
  return accepted;
}

describe("fast line checks", () => {
  it("accept the ordinary valid lines", () => {
    expect(isInstanceCurrent(structuredClone(instance))).toBe(true);
    expect(isStepCurrent(structuredClone(step))).toBe(true);
    expect(isAssertionLine(structuredClone(assertion))).toBe(true);
    expect(instanceCurrent.safeParse(instance).success).toBe(true);
    expect(stepCurrent.safeParse(step).success).toBe(true);
    expect(assertionLine.safeParse(assertion).success).toBe(true);
  });

  it("accept nothing that zod refuses (instances)", () => {
    expect(agree("instance", instance, isInstanceCurrent, instanceCurrent)).toBeGreaterThan(20);
  });

  it("accept nothing that zod refuses (steps, their observation too)", () => {
    expect(agree("step", step, isStepCurrent, stepCurrent, "observation")).toBeGreaterThan(20);
  });

  it("accept nothing that zod refuses (assertions)", () => {
    expect(agree("assertion", assertion, isAssertionLine, assertionLine)).toBeGreaterThan(20);
  });

  it("refuse what zod refuses for the usual mistakes", () => {
    expect(isStepCurrent({ ...step, step_index: -1 })).toBe(false);
    expect(isStepCurrent({ ...step, observation: { latency_ms: -2 } })).toBe(false);
    expect(isInstanceCurrent({ ...instance, passed: undefined })).toBe(false);
    expect(isInstanceCurrent({ ...instance, started_at: "2025-02-30T00:00:00Z" })).toBe(false);
    expect(isAssertionLine({ ...assertion, run_id: null })).toBe(false);
  });
});
