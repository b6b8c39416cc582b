/** Inputs of the run questions beyond plain listing: the report's questions, one instance, compare. */
import { z } from "zod";
import { identifier } from "./common.js";
import { percentileMethod } from "./run-gates.js";

export const runReportInput = z.object({
  run_id: identifier,
  percentiles: percentileMethod.default("linear"),
  /** Rows of the ranked lists (failing assertions, slowest instances). */
  top: z.number().int().min(1).max(1000).default(10),
  /** Example instances per error category. */
  examples: z.number().int().min(0).max(100).default(5),
});
export type RunReportInput = z.input<typeof runReportInput>;

export const instanceGetInput = z.object({ run_id: identifier, instance_id: z.string().min(1).max(500) });
export type InstanceGetInput = z.input<typeof instanceGetInput>;
