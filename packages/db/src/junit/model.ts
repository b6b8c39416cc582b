/**
 * JUnit XML as Verdict keeps it. The format has no single spec: Ant's original, Maven Surefire's
 * XSD (surefire-test-report-3.0.xsd: flakyFailure/rerunFailure with stackTrace and system-out),
 * pytest's xunit1/xunit2 families (file/line attributes, properties per testcase) and the JS
 * reporters (vitest, jest-junit: a `testsuites` root with totals, one suite per test file). The
 * model therefore keeps every attribute as written (strings, in file order) and every element it
 * knows, and keeps unknown elements as the parser read them, so nothing a reporter wrote is lost.
 */

/** Attributes exactly as written, in file order (values are strings: `time="0.010"` stays "0.010"). */
export type Attrs = Record<string, string>;

/** One element that Verdict has no column for, as parsed (kept to write it back). */
export type RawElement = unknown;

/** `<property name=… value=…/>`, or the older `<property name=…>text</property>`. */
export interface JunitProperty {
  attrs: Attrs;
  text: string | null;
}

export const RESULT_KINDS = [
  "failure",
  "error",
  "skipped",
  "flakyFailure",
  "flakyError",
  "rerunFailure",
  "rerunError",
] as const;
export type ResultKind = (typeof RESULT_KINDS)[number];

/** A result element of a testcase: failure, error, skipped, or Surefire's flaky/rerun entries. */
export interface JunitResult {
  kind: ResultKind;
  attrs: Attrs;
  /** The element's own text (stack trace of failure/error/skipped); null when empty. */
  text: string | null;
  /** Surefire's flaky/rerun children: stackTrace, system-out, system-err (each in file order). */
  children: { name: "stackTrace" | "system-out" | "system-err"; text: string }[];
}

export interface JunitCase {
  /** Index into JunitReport.suites of the testsuite holding it. */
  suite: number;
  attrs: Attrs;
  properties: JunitProperty[] | null;
  results: JunitResult[];
  system_out: string[];
  system_err: string[];
  /** Elements of the testcase that none of the above covers, by name. */
  other: Record<string, RawElement[]>;
}

export interface JunitSuite {
  /** Index of the testsuite holding this one (nested testsuites, as Ant and Jenkins allow), or null. */
  parent: number | null;
  /** Index into JunitReport.files of the file it came from. */
  file: number;
  attrs: Attrs;
  properties: JunitProperty[] | null;
  system_out: string[];
  system_err: string[];
  other: Record<string, RawElement[]>;
}

export interface JunitFile {
  /** The file's name (no folder), as found. */
  name: string;
  /** 'testsuites' (pytest, vitest, jest-junit) or 'testsuite' (Surefire, Ant: one class per file). */
  root: "testsuites" | "testsuite";
  /** The `testsuites` element's attributes (empty for a `testsuite` root). */
  attrs: Attrs;
}

export interface JunitReport {
  files: JunitFile[];
  suites: JunitSuite[];
  cases: JunitCase[];
}

/** How a testcase ended, from its result elements (flaky/rerun entries are history, not the outcome). */
export type CaseOutcome = "passed" | "failed" | "errored" | "skipped";

export function caseOutcome(c: Pick<JunitCase, "results">): CaseOutcome {
  if (c.results.some((r) => r.kind === "error")) return "errored";
  if (c.results.some((r) => r.kind === "failure")) return "failed";
  if (c.results.some((r) => r.kind === "skipped")) return "skipped";
  return "passed";
}

/** A testcase's scenario: `classname::name` (pytest's node-id separator), or the name alone. */
export function caseScenario(c: Pick<JunitCase, "attrs">): string {
  const name = c.attrs.name ?? "";
  const cls = c.attrs.classname ?? "";
  return cls === "" ? name : `${cls}::${name}`;
}

/** Seconds as written (`time="0.034"`) to milliseconds; null when missing or not a number. */
export function secondsToMs(time: string | undefined): number | null {
  if (time === undefined || time.trim() === "") return null;
  const n = Number(time.trim());
  return Number.isFinite(n) && n >= 0 ? n * 1000 : null;
}
