import { z } from "zod";
import { ivrTargetName } from "./ivr-targets.js";
import { isoTimestamp, nonNegativeInt, pageInput, rate01 } from "./common.js";

/** An execution's status (the seed's values): a queued execution lives in the queue, not here. */
export const executionStatus = z.enum(["running", "completed", "failed", "timeout"]);
export type ExecutionStatus = z.infer<typeof executionStatus>;
export const finalResult = z.enum(["pass", "fail"]);
export type FinalResult = z.infer<typeof finalResult>;
export const stepStatus = z.enum(["pass", "fail", "skipped", "error"]);
export type StepStatus = z.infer<typeof stepStatus>;
export const trainingSource = z.enum(["manual", "recorded", "synthetic"]);
export type TrainingSource = z.infer<typeof trainingSource>;
export const validationStatus = z.enum(["pending", "validated", "rejected"]);
export type ValidationStatus = z.infer<typeof validationStatus>;

export const DTMF_PATTERN = /^[0-9*#A-D]+$/;

const stepBase = {
  /** Human label shown in reports. */
  name: z.string().min(1).max(200).optional(),
  /** How long the step may take before it fails. */
  timeout_ms: z.number().int().positive().max(3_600_000).optional(),
};

const validRegex = (s: string) => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
};
const regexText = z.string().min(1).refine(validRegex, "not a valid regular expression");

/** How alike a prompt must be to the expected text for "similar" (normalized Levenshtein, 0..1). */
export const DEFAULT_SIMILARITY = 0.8;

/**
 * A check of a prompt's text, combinable with all/any:
 * { contains } | { exact } | { regex } | { similar, threshold? } | { all: [...] } | { any: [...] }.
 */
export type TextCheck =
  | { contains: string }
  | { exact: string }
  | { regex: string }
  | { similar: string; threshold?: number | undefined }
  | { all: TextCheck[] }
  | { any: TextCheck[] };
export const textCheck: z.ZodType<TextCheck> = z.lazy(() =>
  z.union([
    z.strictObject({ contains: z.string().min(1) }),
    z.strictObject({ exact: z.string().min(1) }),
    z.strictObject({ regex: regexText }),
    z.strictObject({ similar: z.string().min(1), threshold: rate01.optional() }),
    z.strictObject({ all: z.array(textCheck).min(1).max(50) }),
    z.strictObject({ any: z.array(textCheck).min(1).max(50) }),
  ]),
);

export const matchMode = z.enum(["contains", "exact", "regex", "similar"]);
export type MatchMode = z.infer<typeof matchMode>;

const textExpectation = {
  expected_text: z.string().min(1).optional(),
  match: matchMode.default("contains"),
  /** For match "similar": the least similarity that passes (default 0.8). */
  similarity: rate01.optional(),
  /** A combined check (all/any of contains, exact, regex, similar); instead of expected_text. */
  expect: textCheck.optional(),
};
const oneTextExpectation = (s: { expected_text?: string | undefined; expect?: TextCheck | undefined }) =>
  s.expected_text === undefined || s.expect === undefined;
const oneTextExpectationError = {
  message: "give expected_text (with match) or expect, not both",
  path: ["expect"],
};

/** Wait for the IVR to play a prompt; optionally check its text. */
export const promptStep = z
  .strictObject({
    type: z.literal("prompt"),
    ...textExpectation,
    ...stepBase,
  })
  .refine(oneTextExpectation, oneTextExpectationError);

/** Say something and expect the IVR's answer to be classified as an intent. */
export const intentStep = z.strictObject({
  type: z.literal("intent"),
  utterance: z.string().min(1).optional(),
  expected_intent: z.string().min(1).max(100),
  confidence_threshold: rate01.optional(),
  ...stepBase,
});

/** Send touch-tone digits. */
export const dtmfStep = z.strictObject({
  type: z.literal("dtmf"),
  digits: z.string().regex(DTMF_PATTERN, "DTMF digits must match [0-9*#A-D]+"),
  ...stepBase,
});

/** Check the last prompt (text and/or intent) without sending anything. */
export const validateStep = z
  .strictObject({
    type: z.literal("validate"),
    expected_intent: z.string().min(1).max(100).optional(),
    expected_text: z.string().min(1).optional(),
    ...stepBase,
  })
  .refine((s) => s.expected_intent !== undefined || s.expected_text !== undefined, {
    message: "a validate step needs expected_intent or expected_text",
    path: ["expected_intent"],
  });

/**
 * Stay silent for `seconds` and expect the IVR's no-input handling: its next prompt (checked like a
 * prompt step's). Recorded as a prompt step.
 */
export const noInputStep = z
  .strictObject({
    type: z.literal("no_input"),
    seconds: z.number().positive().max(600),
    ...textExpectation,
    ...stepBase,
  })
  .refine(oneTextExpectation, oneTextExpectationError);

/** Expect the IVR to have transferred the call (TwiML <Dial>), optionally to a given number or SIP URI. */
export const expectTransferStep = z.strictObject({
  type: z.literal("expect_transfer"),
  /** The number or SIP URI dialled; phone numbers compare ignoring spaces, dashes, dots and parentheses. */
  to: z.string().min(1).max(200).optional(),
  ...stepBase,
});

/** Expect the IVR to have ended the call (<Hangup>, <Reject>, or the end of its instructions). */
export const expectHangupStep = z.strictObject({
  type: z.literal("expect_hangup"),
  ...stepBase,
});

/** Expect the IVR to have played audio (<Play>) whose URL matches a regular expression. */
export const expectAudioStep = z.strictObject({
  type: z.literal("expect_audio"),
  url_pattern: regexText,
  ...stepBase,
});

export const stepDefinition = z.discriminatedUnion("type", [
  promptStep,
  intentStep,
  dtmfStep,
  validateStep,
  noInputStep,
  expectTransferStep,
  expectHangupStep,
  expectAudioStep,
]);
export type StepDefinition = z.infer<typeof stepDefinition>;
export type StepDefinitionInput = z.input<typeof stepDefinition>;
export type StepKind = StepDefinition["type"];
/** The step types a step execution is recorded under (the seed's four). */
export const stepType = z.enum(["prompt", "intent", "dtmf", "validate"]);
export type StepType = z.infer<typeof stepType>;

/** The type a step of this kind is recorded under: no_input is a prompt, the outcome checks are validations. */
export function recordedStepType(kind: StepKind): StepType {
  switch (kind) {
    case "prompt":
    case "intent":
    case "dtmf":
    case "validate":
      return kind;
    case "no_input":
      return "prompt";
    case "expect_transfer":
    case "expect_hangup":
    case "expect_audio":
      return "validate";
  }
}

/**
 * A scenario's human-readable key (what files and the CLI use, e.g. `banking-balance`): letters,
 * digits, `.`, `_` and `-`, never all digits, so it is never mistaken for a numeric scenario_id.
 */
export const scenarioSlug = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._-]+$/, "may hold only letters, digits, '.', '_' and '-'")
  .regex(/[^0-9]/, "must not be all digits (that would read as a numeric scenario_id)");

/** A database row id (scenario_id, execution_id, training_id): a positive integer; digits in a string are read as one. */
export const rowId = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** A scenario named by its numeric scenario_id or by its slug. */
export const scenarioRef = z.union([
  z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  z
    .string()
    .regex(/^[0-9]+$/)
    .transform(Number),
  scenarioSlug,
]);
export type ScenarioRef = z.input<typeof scenarioRef>;

/**
 * A scenario as written in a file or sent to the API. Strict at every level: a misspelled key
 * (`expect_text:`) is an error, never a step that silently checks nothing.
 */
export const scenarioInput = z.strictObject({
  /** The scenario's slug (unique); generated when left out. */
  slug: scenarioSlug.optional(),
  /** The key files used for the slug before it was called that; read as `slug`. */
  scenario_id: scenarioSlug.optional().describe("former name of slug; read as slug"),
  name: z.string().min(1).max(200),
  description: z.string().max(5000).nullish(),
  target_phone: z.string().min(1).max(64),
  steps: z.array(stepDefinition).min(1).max(500),
  timeout_seconds: z.number().int().positive().max(86_400).default(300),
  /** The stored IVR target (ivr_targets.name) its calls go to; a run's --target overrides it. */
  target: ivrTargetName.nullish(),
});
export type ScenarioInput = z.input<typeof scenarioInput>;

export const scenarioUpdate = z.strictObject({
  scenario_id: scenarioRef,
  patch: scenarioInput.omit({ scenario_id: true, slug: true }).partial(),
});
export type ScenarioUpdate = z.input<typeof scenarioUpdate>;

/** Replaces a scenario's whole definition (`verdict scenarios update ID FILE`); its executions stay. */
export const scenarioReplaceInput = z.strictObject({
  scenario_id: scenarioRef,
  scenario: scenarioInput,
});
export type ScenarioReplaceInput = z.input<typeof scenarioReplaceInput>;

export const scenario = z.object({
  scenario_id: z.number().int(),
  slug: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  target_phone: z.string(),
  steps: z.array(stepDefinition),
  timeout_seconds: z.number().int(),
  target: z.string().nullable().default(null),
  created_at: isoTimestamp,
  updated_at: isoTimestamp,
});
export type Scenario = z.infer<typeof scenario>;

export const scenarioListInput = pageInput.extend({
  name_contains: z.string().min(1).optional(),
});

export const executionStartInput = z.object({
  scenario_id: scenarioRef,
  call_id: z.string().min(1).max(200).nullish(),
  start_time: isoTimestamp.optional(),
});
export type ExecutionStartInput = z.input<typeof executionStartInput>;

export const executionFinishInput = z.object({
  execution_id: rowId,
  status: z.enum(["completed", "failed", "timeout"]),
  final_result: finalResult.nullish(),
  error_message: z.string().max(10_000).nullish(),
  end_time: isoTimestamp.optional(),
  call_id: z.string().min(1).max(200).nullish(),
});
export type ExecutionFinishInput = z.input<typeof executionFinishInput>;

export const execution = z.object({
  execution_id: z.number().int(),
  scenario_id: z.number().int(),
  status: executionStatus,
  start_time: isoTimestamp.nullable(),
  end_time: isoTimestamp.nullable(),
  call_id: z.string().nullable(),
  final_result: finalResult.nullable(),
  error_message: z.string().nullable(),
});
export type Execution = z.infer<typeof execution>;

export const executionListInput = pageInput.extend({
  scenario_id: scenarioRef.optional(),
  status: executionStatus.optional(),
  final_result: finalResult.optional(),
  since: isoTimestamp.optional(),
  until: isoTimestamp.optional(),
});
export type ExecutionListInput = z.input<typeof executionListInput>;

export const stepExecutionInput = z.strictObject({
  execution_id: rowId,
  step_number: nonNegativeInt,
  step_type: stepType,
  expected_intent: z.string().nullish(),
  actual_intent: z.string().nullish(),
  confidence: rate01.nullish(),
  transcript: z.string().max(100_000).nullish(),
  dtmf_sent: z.string().regex(DTMF_PATTERN).nullish(),
  status: stepStatus,
  started_at: isoTimestamp.nullish(),
  ended_at: isoTimestamp.nullish(),
  latency_ms: z.number().min(0).nullish(),
  error: z.string().max(10_000).nullish(),
});
export type StepExecutionInput = z.input<typeof stepExecutionInput>;

export const stepExecution = stepExecutionInput.extend({
  id: z.number().int(),
  execution_id: z.number().int(),
  expected_intent: z.string().nullable(),
  actual_intent: z.string().nullable(),
  confidence: z.number().nullable(),
  transcript: z.string().nullable(),
  dtmf_sent: z.string().nullable(),
  started_at: z.string().nullable(),
  ended_at: z.string().nullable(),
  latency_ms: z.number().nullable(),
  error: z.string().nullable(),
});
export type StepExecution = z.infer<typeof stepExecution>;

export const trainingInput = z.strictObject({
  text_sample: z.string().trim().min(1).max(5000),
  intent_label: z.string().trim().min(1).max(100),
  confidence_threshold: rate01.default(0.85),
  source: trainingSource.default("manual"),
  validation_status: validationStatus.default("pending"),
});
export type TrainingInput = z.input<typeof trainingInput>;

/**
 * One record of a training JSONL file (`verdict training import`): the fields of a sample, with the
 * short names `text`, `intent` and `threshold` accepted too, and the fields `training export` writes
 * (`training_id`, `created_at`) allowed so an export imports back. Any other key is an error.
 */
export const trainingFileRecord = z
  .strictObject({
    text_sample: z.unknown().optional(),
    text: z.unknown().optional(),
    intent_label: z.unknown().optional(),
    intent: z.unknown().optional(),
    confidence_threshold: z.unknown().optional(),
    threshold: z.unknown().optional(),
    source: z.unknown().optional(),
    validation_status: z.unknown().optional(),
    training_id: z.unknown().optional(),
    created_at: z.unknown().optional(),
  })
  .transform((r) => ({
    text_sample: r.text_sample ?? r.text,
    intent_label: r.intent_label ?? r.intent,
    ...((r.confidence_threshold ?? r.threshold) !== undefined
      ? { confidence_threshold: r.confidence_threshold ?? r.threshold }
      : {}),
    ...(r.source !== undefined ? { source: r.source } : {}),
    ...(r.validation_status !== undefined ? { validation_status: r.validation_status } : {}),
  }))
  .pipe(trainingInput);

export const trainingSample = z.object({
  training_id: z.number().int(),
  text_sample: z.string(),
  intent_label: z.string(),
  confidence_threshold: z.number(),
  source: trainingSource,
  validation_status: validationStatus,
  created_at: isoTimestamp,
});
export type TrainingSample = z.infer<typeof trainingSample>;

export const trainingListInput = pageInput.extend({
  intent_label: z.string().min(1).optional(),
  validation_status: validationStatus.optional(),
  source: trainingSource.optional(),
});
export type TrainingListInput = z.input<typeof trainingListInput>;

/** Per-intent confidence thresholds to set on every validated sample of each intent (`training thresholds --apply`). */
export const trainingSetThresholdsInput = z
  .object({
    thresholds: z
      .array(z.object({ intent_label: z.string().trim().min(1).max(200), confidence_threshold: rate01 }).strict())
      .min(1)
      .max(1000),
  })
  .strict();
export type TrainingSetThresholdsInput = z.infer<typeof trainingSetThresholdsInput>;

export const trainingSetStatusInput = z.object({
  training_ids: z.array(rowId).min(1).max(10_000),
  validation_status: validationStatus,
});
