/**
 * Writes a JunitReport back as JUnit XML, one document per file of the report. Elements come out in
 * the order the reporters write them (properties, testcases, nested suites, system-out, system-err;
 * in a testcase: properties, results, system-out, system-err), attributes in the order read, texts
 * exactly as read (escaped by the XML builder), so reading the output gives the same report.
 */
import { XMLBuilder } from "fast-xml-parser";
import type { JunitCase, JunitProperty, JunitReport, JunitResult, JunitSuite, RawElement } from "./model.js";

const ATTRS = "$attrs";
const TEXT = "#text";

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  attributesGroupName: ATTRS,
  textNodeName: TEXT,
  format: true,
  indentBy: "  ",
  suppressEmptyNode: true,
  suppressBooleanAttributes: false,
  processEntities: true,
});

type Node = Record<string, unknown>;

function el(attrs: Record<string, string>, text: string | null = null): Node {
  const n: Node = {};
  if (Object.keys(attrs).length > 0) n[ATTRS] = attrs;
  if (text !== null && text !== "") n[TEXT] = text;
  return n;
}

function props(p: JunitProperty[] | null): Node | null {
  if (p === null) return null;
  return { property: p.map((q) => el(q.attrs, q.text)) };
}

function resultNode(r: JunitResult): Node {
  const n = el(r.attrs, r.text);
  for (const c of r.children) {
    const list = (n[c.name] as Node[] | undefined) ?? [];
    list.push(el({}, c.text));
    n[c.name] = list;
  }
  return n;
}

function addOther(n: Node, other: Record<string, RawElement[]>): void {
  for (const [k, v] of Object.entries(other)) n[k] = v;
}

function caseNode(c: JunitCase): Node {
  const n = el(c.attrs);
  const p = props(c.properties);
  if (p) n.properties = [p];
  for (const r of c.results) {
    const list = (n[r.kind] as Node[] | undefined) ?? [];
    list.push(resultNode(r));
    n[r.kind] = list;
  }
  if (c.system_out.length > 0) n["system-out"] = c.system_out.map((t) => el({}, t));
  if (c.system_err.length > 0) n["system-err"] = c.system_err.map((t) => el({}, t));
  addOther(n, c.other);
  return n;
}

function suiteNode(report: JunitReport, index: number, s: JunitSuite): Node {
  const n = el(s.attrs);
  const p = props(s.properties);
  if (p) n.properties = [p];
  const cases = report.cases.filter((c) => c.suite === index).map(caseNode);
  if (cases.length > 0) n.testcase = cases;
  const nested = report.suites
    .map((x, i) => [x, i] as const)
    .filter(([x]) => x.parent === index)
    .map(([x, i]) => suiteNode(report, i, x));
  if (nested.length > 0) n.testsuite = nested;
  if (s.system_out.length > 0) n["system-out"] = s.system_out.map((t) => el({}, t));
  if (s.system_err.length > 0) n["system-err"] = s.system_err.map((t) => el({}, t));
  addOther(n, s.other);
  return n;
}

/** The XML documents of a report, one per file, as [file name, text]. */
export function renderJunit(report: JunitReport): [string, string][] {
  return report.files.map((f, fi) => {
    const top = report.suites
      .map((s, i) => [s, i] as const)
      .filter(([s]) => s.file === fi && s.parent === null)
      .map(([s, i]) => suiteNode(report, i, s));
    const doc =
      f.root === "testsuites"
        ? { testsuites: [{ ...el(f.attrs), ...(top.length > 0 ? { testsuite: top } : {}) }] }
        : { testsuite: top.slice(0, 1) };
    return [f.name, `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build(doc) as string}`];
  });
}
