import { XMLBuilder } from "fast-xml-parser";

/**
 * JUnit XML (the form CI servers read: testsuites > testsuite > testcase with failure, error or
 * skipped) built with fast-xml-parser's XMLBuilder, and written without clobbering: to a temp
 * file next to the target, then linked into place (fails if the target exists) or, with force,
 * renamed over it. A reader never sees half a file.
 */
export interface JunitCase {
  name: string;
  classname: string;
  seconds: number;
  status: "pass" | "fail" | "error" | "skipped";
  message: string | null;
  /** Extra detail shown in the report (what the IVR said). */
  output: string | null;
}

export interface JunitSuite {
  name: string;
  timestamp: string;
  seconds: number;
  properties: Record<string, string>;
  cases: JunitCase[];
}

const count = (cases: JunitCase[], status: JunitCase["status"]) => cases.filter((c) => c.status === status).length;
const secs = (s: number) => s.toFixed(3);

export function junitXml(name: string, suites: JunitSuite[]): string {
  const all = suites.flatMap((s) => s.cases);
  const builder = new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: "@_",
    format: true,
    indentBy: "  ",
    suppressEmptyNode: true,
  });
  const doc = {
    "?xml": { "@_version": "1.0", "@_encoding": "UTF-8" },
    testsuites: {
      "@_name": name,
      "@_tests": all.length,
      "@_failures": count(all, "fail"),
      "@_errors": count(all, "error"),
      "@_skipped": count(all, "skipped"),
      "@_time": secs(suites.reduce((t, s) => t + s.seconds, 0)),
      testsuite: suites.map((s) => ({
        "@_name": s.name,
        "@_tests": s.cases.length,
        "@_failures": count(s.cases, "fail"),
        "@_errors": count(s.cases, "error"),
        "@_skipped": count(s.cases, "skipped"),
        "@_time": secs(s.seconds),
        "@_timestamp": s.timestamp,
        properties: { property: Object.entries(s.properties).map(([k, v]) => ({ "@_name": k, "@_value": v })) },
        testcase: s.cases.map((c) => ({
          "@_name": c.name,
          "@_classname": c.classname,
          "@_time": secs(c.seconds),
          ...(c.status === "fail" ? { failure: { "@_message": c.message ?? "failed", "@_type": "fail" } } : {}),
          ...(c.status === "error" ? { error: { "@_message": c.message ?? "error", "@_type": "error" } } : {}),
          ...(c.status === "skipped" ? { skipped: { "@_message": c.message ?? "skipped" } } : {}),
          ...(c.output !== null ? { "system-out": c.output } : {}),
        })),
      })),
    },
  };
  return builder.build(doc) as string;
}
