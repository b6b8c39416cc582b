import { z } from "zod";
import { type JsonSchemaShape, jsonSchemaFragment } from "./common.js";
import { httpScenario } from "./http-scenario.js";
import { scenarioInput, trainingInput } from "./ivr.js";
import { thresholdsFile } from "./metrics-check.js";
import { benchmarkRunInput } from "./metrics.js";

/**
 * One training JSONL record as an editor sees it: trainingFileRecord's keys with their types (the
 * reader takes `unknown`s and checks them after mapping the short names; this says what it accepts).
 */
const trainingRecordDoc = z.strictObject({
  text_sample: trainingInput.shape.text_sample.optional(),
  text: trainingInput.shape.text_sample.optional().describe("short name of text_sample"),
  intent_label: trainingInput.shape.intent_label.optional(),
  intent: trainingInput.shape.intent_label.optional().describe("short name of intent_label"),
  confidence_threshold: trainingInput.shape.confidence_threshold,
  threshold: trainingInput.shape.confidence_threshold.describe("short name of confidence_threshold"),
  source: trainingInput.shape.source,
  validation_status: trainingInput.shape.validation_status,
  training_id: z
    .union([z.number().int(), z.string()])
    .optional()
    .describe("written by `verdict training export`; ignored on import"),
  created_at: z.string().optional().describe("written by `verdict training export`; ignored on import"),
});

interface FileSchema {
  title: string;
  description: string;
  schema: z.ZodType;
  /** Extra keywords zod cannot say (one of two alternative keys required). */
  extra?: JsonSchemaShape;
}

/** The files people write by hand, by the name `verdict schema json NAME` takes. */
export const FILE_SCHEMAS = {
  "ivr-scenario": {
    title: "Verdict IVR scenario",
    description: "An IVR test scenario file (YAML or JSON) for `verdict scenarios add` and `verdict ivr run`.",
    schema: scenarioInput,
  },
  "http-scenario": {
    title: "Verdict HTTP scenario",
    description: "An HTTP scenario file (YAML or JSON) for `verdict runs start`.",
    schema: httpScenario,
  },
  "training-record": {
    title: "Verdict training JSONL record",
    description: "One line of a training JSONL file for `verdict training import`.",
    schema: trainingRecordDoc,
    extra: {
      allOf: [
        { anyOf: [{ required: ["text_sample"] }, { required: ["text"] }] },
        { anyOf: [{ required: ["intent_label"] }, { required: ["intent"] }] },
      ],
    },
  },
  "metrics-run": {
    title: "Verdict benchmark run",
    description: "A benchmark run file (gao-dev BenchmarkMetrics shape, YAML or JSON) for `verdict metrics record`.",
    schema: benchmarkRunInput,
  },
  "metrics-thresholds": {
    title: "Verdict metrics thresholds",
    description: "A thresholds file for `verdict metrics check --thresholds`.",
    schema: thresholdsFile,
  },
} satisfies Record<string, FileSchema>;

export type FileSchemaName = keyof typeof FILE_SCHEMAS;
export const FILE_SCHEMA_NAMES = Object.keys(FILE_SCHEMAS) as FileSchemaName[];

/** The JSON Schema (draft 2020-12) of one hand-written file, generated from its zod schema. */
export function fileJsonSchema(name: FileSchemaName): JsonSchemaShape {
  const file: FileSchema = FILE_SCHEMAS[name];
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: file.title,
    description: file.description,
    ...jsonSchemaFragment(file.schema),
    ...file.extra,
  };
}
