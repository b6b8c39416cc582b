/**
 * Reads JUnit XML (any of the dialects model.ts names) into a JunitReport. Files are read through
 * the bounded read-only input path (regular files only, size-limited). A file that is not
 * well-formed XML, or whose root is neither `testsuites` nor `testsuite`, is refused with
 * `file:line: field: problem`; a DOCTYPE is refused (no reporter writes one, and its entities are
 * the classic expansion attack).
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { RunFileError } from "../turbulence/errors.js";
import {
  type Attrs,
  type JunitCase,
  type JunitFile,
  type JunitProperty,
  type JunitReport,
  type JunitResult,
  type JunitSuite,
  RESULT_KINDS,
  type RawElement,
  type ResultKind,
} from "./model.js";

const ATTRS = "$attrs";
const TEXT = "#text";

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  attributesGroupName: ATTRS,
  textNodeName: TEXT,
  alwaysCreateTextNode: true,
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  htmlEntities: false,
  isArray: (_name, _jpath, _leaf, isAttribute) => !isAttribute,
});

type Node = Record<string, unknown>;

const isNode = (v: unknown): v is Node => typeof v === "object" && v !== null && !Array.isArray(v);

function attrsOf(n: Node): Attrs {
  const a = n[ATTRS];
  const out: Attrs = {};
  if (isNode(a)) for (const [k, v] of Object.entries(a)) out[k] = String(v);
  return out;
}

function textOf(n: Node): string | null {
  const t = n[TEXT];
  if (t === undefined || t === null) return null;
  const s = String(t);
  return s === "" ? null : s;
}

function children(n: Node, name: string): Node[] {
  const v = n[name];
  return Array.isArray(v) ? v.filter(isNode) : [];
}

/** Texts of repeated text elements (system-out, system-err); an empty element counts as "". */
function texts(n: Node, name: string): string[] {
  return children(n, name).map((c) => textOf(c) ?? "");
}

function properties(n: Node): JunitProperty[] | null {
  const holders = children(n, "properties");
  if (holders.length === 0) return null;
  return holders.flatMap((p) => children(p, "property").map((q) => ({ attrs: attrsOf(q), text: textOf(q) })));
}

const RESULT_CHILDREN = ["stackTrace", "system-out", "system-err"] as const;

function result(kind: ResultKind, n: Node): JunitResult {
  const kids: JunitResult["children"] = [];
  for (const name of RESULT_CHILDREN) for (const t of texts(n, name)) kids.push({ name, text: t });
  // Only flaky/rerun entries have child elements; a failure's text is its stack trace.
  const hasKids = kids.length > 0;
  const text = textOf(n);
  return {
    kind,
    attrs: attrsOf(n),
    text: hasKids && text !== null && text.trim() === "" ? null : text,
    children: kids,
  };
}

const CASE_KNOWN = new Set<string>([ATTRS, TEXT, "properties", "system-out", "system-err", ...RESULT_KINDS]);
const SUITE_KNOWN = new Set<string>([ATTRS, TEXT, "properties", "system-out", "system-err", "testcase", "testsuite"]);

function others(n: Node, known: Set<string>): Record<string, RawElement[]> {
  const out: Record<string, RawElement[]> = {};
  for (const [k, v] of Object.entries(n)) if (!known.has(k) && Array.isArray(v)) out[k] = v;
  return out;
}

function readCase(n: Node, suite: number): JunitCase {
  const results: JunitResult[] = [];
  for (const kind of RESULT_KINDS) for (const r of children(n, kind)) results.push(result(kind, r));
  return {
    suite,
    attrs: attrsOf(n),
    properties: properties(n),
    results,
    system_out: texts(n, "system-out"),
    system_err: texts(n, "system-err"),
    other: others(n, CASE_KNOWN),
  };
}

function readSuite(n: Node, parent: number | null, file: number, into: JunitReport): void {
  const index = into.suites.length;
  const suite: JunitSuite = {
    parent,
    file,
    attrs: attrsOf(n),
    properties: properties(n),
    system_out: texts(n, "system-out"),
    system_err: texts(n, "system-err"),
    other: others(n, SUITE_KNOWN),
  };
  into.suites.push(suite);
  for (const c of children(n, "testcase")) into.cases.push(readCase(c, index));
  for (const s of children(n, "testsuite")) readSuite(s, index, file, into);
}

/** The line of the first match of `re` in `text` (1-based), for error messages. */
function lineOf(text: string, re: RegExp): number | null {
  const m = re.exec(text);
  if (!m) return null;
  return text.slice(0, m.index).split("\n").length;
}

/** True when `text` looks like JUnit XML: its first element is `testsuites` or `testsuite`. */
export function looksLikeJunit(text: string): boolean {
  return /^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)*<testsuites?[\s>/]/.test(text.replace(/^\uFEFF/, ""));
}

/** Parses one file's text into `into` (several files make one report: a Surefire reports folder). */
export function parseJunitText(text: string, display: string, name: string, into: JunitReport): void {
  const body = text.replace(/^\uFEFF/, "");
  const doctype = lineOf(body, /<!DOCTYPE/i);
  if (doctype !== null)
    throw new RunFileError(display, doctype, "DOCTYPE", "not accepted in JUnit XML (entities are not expanded)");
  const valid = XMLValidator.validate(body);
  if (valid !== true) throw new RunFileError(display, valid.err.line, "xml", valid.err.msg.replace(/\s+/g, " ").trim());
  const doc = parser.parse(body) as Node;
  const rootName = Object.keys(doc).find((k) => k !== TEXT);
  const file = into.files.length;
  const firstCase = into.cases.length;
  if (rootName === "testsuites") {
    const root = children(doc, "testsuites")[0] ?? {};
    const entry: JunitFile = { name, root: "testsuites", attrs: attrsOf(root) };
    into.files.push(entry);
    for (const s of children(root, "testsuite")) readSuite(s, null, file, into);
  } else if (rootName === "testsuite") {
    into.files.push({ name, root: "testsuite", attrs: {} });
    const root = children(doc, "testsuite")[0] ?? {};
    readSuite(root, null, file, into);
  } else {
    throw new RunFileError(
      display,
      rootName === undefined ? null : lineOf(body, new RegExp(`<${rootName}[\\s>/]`)),
      "root",
      `expected <testsuites> or <testsuite>, found ${rootName === undefined ? "no element" : `<${rootName}>`}`,
    );
  }
  // Only this file's testcases: the earlier files were checked when they were read.
  for (const c of into.cases.slice(firstCase)) {
    if (c.attrs.name === undefined) {
      const at = lineOf(body, /<testcase(?![^>]*\sname=)[\s>/]/);
      throw new RunFileError(display, at, "testcase.name", "missing (every testcase needs a name)");
    }
  }
}

export function emptyReport(): JunitReport {
  return { files: [], suites: [], cases: [] };
}
