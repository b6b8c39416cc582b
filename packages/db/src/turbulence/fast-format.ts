/**
 * Hand-written checks for the hot path of an import: the current shape's instance and step lines and
 * assertion lines (format.ts). Each returns true only for a value the zod schema accepts too (it
 * accepts a subset of what zod accepts); on false the mapper asks zod, which either accepts the line
 * after all or words the problem (`field: problem`) exactly as before. So messages cannot change,
 * and zod still decides every line these checks are not sure of.
 *
 * Why: zod per line was 8-9% of an import's CPU (profile of a 206,158-row run, see bench/RESULTS.md);
 * these checks cost a few property reads per line. test/turbulence-fast-format.test.ts checks every
 * field against the zod schemas with valid and invalid values.
 */
import { isoTimestamp } from "@verdict/schema";
import type { AssertionLine, InstanceCurrent, StepCurrent } from "./format.js";

type Obj = Record<string, unknown>;

const WS = /\s/;
/** `identifier` of @verdict/schema: 1-200 characters, no whitespace. */
const isIdentifier = (v: unknown): v is string =>
  typeof v === "string" && v.length >= 1 && v.length <= 200 && !WS.test(v);
const isNonEmpty = (v: unknown): boolean => typeof v === "string" && v.length >= 1;
const nullish = (v: unknown): boolean => v === undefined || v === null;
const strOrNullish = (v: unknown): boolean => nullish(v) || typeof v === "string";
const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const intMin0 = (v: unknown): boolean => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const intOrNullish = (v: unknown): boolean => nullish(v) || (typeof v === "number" && Number.isSafeInteger(v));
const nonNegOrNullish = (v: unknown): boolean => nullish(v) || (typeof v === "number" && Number.isFinite(v) && v >= 0);

/** The time of day and offset of zod's `z.iso.datetime({ offset: true })`, after the `T`. */
const TIME = /^(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;
/** Dates (YYYY-MM-DD) already checked by zod; runs use few distinct dates, so this stays small. */
const goodDates = new Set<string>();
function isTimestamp(v: unknown): boolean {
  if (typeof v !== "string" || v.length < 20 || v.charCodeAt(10) !== 84 /* T */ || !TIME.test(v.slice(11)))
    return false;
  const date = v.slice(0, 10);
  if (goodDates.has(date)) return true;
  // The date part decides alone (leap years, month lengths): zod checks it once per distinct date.
  if (!isoTimestamp.safeParse(`${date}T00:00:00Z`).success) return false;
  if (goodDates.size < 10_000) goodDates.add(date);
  return true;
}
const tsOrNullish = (v: unknown): boolean => nullish(v) || isTimestamp(v);

/** instanceCurrent. */
export function isInstanceCurrent(o: Obj): o is Obj & InstanceCurrent {
  if (!isIdentifier(o.instance_id) || !isIdentifier(o.run_id) || !isNonEmpty(o.scenario_id)) return false;
  if (!strOrNullish(o.correlation_id) || !strOrNullish(o.error)) return false;
  if (!(o.passed === null || typeof o.passed === "boolean")) return false;
  if (!nonNegOrNullish(o.duration_ms) || !tsOrNullish(o.started_at) || !tsOrNullish(o.completed_at)) return false;
  const e = o.entry_data;
  if (nullish(e)) return true;
  return isObject(e) && (nullish(e.seed_data) || isObject(e.seed_data));
}

/** observationFormat: the named keys' types; other keys are anything. */
function isObservation(v: unknown): boolean {
  if (!isObject(v)) return false;
  if (!(nullish(v.ok) || typeof v.ok === "boolean")) return false;
  if (!strOrNullish(v.protocol) || !strOrNullish(v.action_name) || !strOrNullish(v.service)) return false;
  if (!intOrNullish(v.status_code) || !nonNegOrNullish(v.latency_ms)) return false;
  return (nullish(v.errors) || Array.isArray(v.errors)) && (nullish(v.attempts) || Array.isArray(v.attempts));
}

/** stepCurrent. */
export function isStepCurrent(o: Obj): o is Obj & StepCurrent {
  return (
    isIdentifier(o.instance_id) &&
    isIdentifier(o.run_id) &&
    strOrNullish(o.correlation_id) &&
    intMin0(o.step_index) &&
    isNonEmpty(o.step_name) &&
    isNonEmpty(o.step_type) &&
    tsOrNullish(o.timestamp) &&
    isObservation(o.observation)
  );
}

/** assertionLine. */
export function isAssertionLine(o: Obj): o is Obj & AssertionLine {
  return (
    isIdentifier(o.instance_id) &&
    (o.run_id === undefined || isIdentifier(o.run_id)) &&
    strOrNullish(o.correlation_id) &&
    (nullish(o.step_index) || intMin0(o.step_index)) &&
    isNonEmpty(o.assertion_name) &&
    typeof o.passed === "boolean" &&
    strOrNullish(o.message) &&
    tsOrNullish(o.timestamp)
  );
}
