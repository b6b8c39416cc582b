/**
 * `runs instance RUN INSTANCE`: one instance's timeline: the instance, its steps in the order they ran
 * (file order: a branch's chosen action follows the branch step, with its own step_index), each with
 * its whole observation (status, latency, headers, body, errors, attempts, injected turbulence,
 * branch/skip) and the assertions written with its step_index (under the first step of that index),
 * and all assertions in order.
 */
import type { Assertion, Instance, Step } from "@verdict/schema";
import { NotFoundError } from "../../errors.js";
import type { VerdictDb } from "../../open.js";
import { toAssertion, toInstance, toStep } from "../runs.js";
import { requireRun } from "./shared.js";

export interface InstanceTimeline {
  instance: Instance;
  steps: (Step & { assertions: Assertion[] })[];
  assertions: Assertion[];
}

export async function getInstanceTimeline(h: VerdictDb, runId: string, instanceId: string): Promise<InstanceTimeline> {
  await requireRun(h, runId);
  const inst = await h.client.execute({
    sql: "SELECT * FROM instances WHERE run_id = ? AND id = ?",
    args: [runId, instanceId],
  });
  const row = inst.rows[0];
  if (!row) throw new NotFoundError("instance", instanceId);
  const steps = await h.client.execute({
    sql: "SELECT * FROM steps INDEXED BY steps_run_instance_idx WHERE run_id = ? AND instance_id = ? ORDER BY id",
    args: [runId, instanceId],
  });
  const asserts = await h.client.execute({
    sql: "SELECT * FROM assertions INDEXED BY assertions_run_instance_idx WHERE run_id = ? AND instance_id = ? ORDER BY id",
    args: [runId, instanceId],
  });
  const assertions = asserts.rows.map(toAssertion);
  const placed = new Set<number | null>();
  return {
    instance: toInstance(row),
    steps: steps.rows.map((r) => {
      const s = toStep(r);
      const first = !placed.has(s.step_index);
      placed.add(s.step_index);
      return { ...s, assertions: first ? assertions.filter((a) => a.step_index === s.step_index) : [] };
    }),
    assertions,
  };
}
