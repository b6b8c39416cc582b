/**
 * One line of instances/steps/assertions.jsonl from stored columns, exactly as turbulence writes it:
 * pydantic's `model_dump_json()` of InstanceRecord/StepRecord/AssertionRecord (models/manifest.py),
 * i.e. compact JSON, keys in model order. JSON-valued fields (entry_data, observation, expected,
 * actual) are spliced in as the stored source text, never re-serialized, so numbers a double cannot
 * hold (2^53+1, -0.0, 1e-07) come back as written.
 *
 * The importer renders every line it reads with these same functions: when the result equals the
 * line, the columns alone hold it; otherwise (another key order or spacing, 30.0 for 30, a missing
 * or extra key, a null correlation id) the line itself is kept in the row's `source` column and
 * export writes that instead. Either way export gives back the exact line.
 *
 * What turbulence's models require of a line (fields without a default; `extra="forbid"` on all):
 * - InstanceRecord: instance_id, run_id, correlation_id, scenario_id (str). Defaults: started_at
 *   (now), completed_at/duration_ms/passed/error (None), entry_data ({}: a dict, never null).
 * - StepRecord: instance_id, run_id, correlation_id (str), step_index (int), step_name, step_type
 *   (str). Defaults: timestamp (now), observation ({}: a dict).
 * - AssertionRecord: instance_id, run_id, correlation_id (str), step_index (int), assertion_name
 *   (str), passed (bool). Defaults: expected/actual (None), message ("": a str, never null),
 *   timestamp (now).
 * - RunManifest: run_id, sut_name. Defaults: timestamp, scenario_ids ([]), seed (None), config
 *   (RunConfig: seed, concurrency, timeout_seconds, extra keys allowed), turbulence_version.
 * - RunSummary: run_id. Everything else has a default (completed_at now, counts 0, rates 0.0), but
 *   a present key must have its type: completed_at a datetime and duration_ms a float, not null.
 * So a rendered line never writes null for correlation_id, entry_data, observation or message, and
 * leaves out started_at/timestamp when unknown.
 */

const j = JSON.stringify;
/** A number column as JSON; a stored value is always finite (JSON has no NaN). */
const num = (v: number | null): string => (v === null ? "null" : j(v));
/** A datetime with a default in the model: left out when unknown (the model refuses null). */
const opt = (key: string, v: string | null): string => (v === null ? "" : `,"${key}":${j(v)}`);
const bool = (v: boolean | null): string => (v === null ? "null" : v ? "true" : "false");

export interface InstanceLine {
  instance_id: string;
  run_id: string;
  correlation_id: string | null;
  scenario_id: string;
  started_at: string | null;
  completed_at: string | null;
  duration_ms: number | null;
  passed: boolean | null;
  /** entry_data as JSON text. */
  entry_data: string;
  error: string | null;
}

/** Everything before the entry_data value, and everything after it. */
export function instanceParts(r: InstanceLine): [string, string] {
  return [
    `{"instance_id":${j(r.instance_id)},"run_id":${j(r.run_id)},"correlation_id":${j(r.correlation_id ?? "")},"scenario_id":${j(
      r.scenario_id,
    )}${opt("started_at", r.started_at)},"completed_at":${j(r.completed_at)},"duration_ms":${num(r.duration_ms)},"passed":${bool(
      r.passed,
    )},"entry_data":`,
    `,"error":${j(r.error)}}`,
  ];
}

export function renderInstance(r: InstanceLine): string {
  const [head, tail] = instanceParts(r);
  return head + r.entry_data + tail;
}

export interface StepLine {
  instance_id: string;
  run_id: string;
  correlation_id: string | null;
  step_index: number;
  step_name: string;
  step_type: string;
  timestamp: string | null;
  /** observation as JSON text. */
  observation: string;
}

/** Everything before the observation value (the line ends with the observation and `}`). */
export function stepHead(r: Omit<StepLine, "observation">): string {
  return `{"instance_id":${j(r.instance_id)},"run_id":${j(r.run_id)},"correlation_id":${j(r.correlation_id ?? "")},"step_index":${
    r.step_index
  },"step_name":${j(r.step_name)},"step_type":${j(r.step_type)}${opt("timestamp", r.timestamp)},"observation":`;
}

export function renderStep(r: StepLine): string {
  return `${stepHead(r)}${r.observation}}`;
}

export interface AssertionLine {
  instance_id: string;
  run_id: string;
  correlation_id: string | null;
  step_index: number | null;
  assertion_name: string;
  passed: boolean;
  /** expected and actual as JSON text ("null" for none). */
  expected: string;
  actual: string;
  message: string | null;
  timestamp: string | null;
}

export function assertionHead(r: Omit<AssertionLine, "expected" | "actual">): string {
  return `{"instance_id":${j(r.instance_id)},"run_id":${j(r.run_id)},"correlation_id":${j(r.correlation_id ?? "")},"step_index":${num(
    r.step_index,
  )},"assertion_name":${j(r.assertion_name)},"passed":${bool(r.passed)},"expected":`;
}

export function assertionTail(r: Pick<AssertionLine, "message" | "timestamp">): string {
  return `,"message":${j(r.message ?? "")}${opt("timestamp", r.timestamp)}}`;
}

export function renderAssertion(r: AssertionLine): string {
  return `${assertionHead(r)}${r.expected},"actual":${r.actual}${assertionTail(r)}`;
}
