import { closest, distance } from "fastest-levenshtein";
import { type Document, type LineCounter, isMap, isScalar } from "yaml";
import type { ZodType, z } from "zod";
import { InputFileError, InputFileErrors } from "./errors.js";

/**
 * Turns what is wrong with an input file (syntax errors, zod issues) into located problems:
 * `file:line:col: field: problem`, every one of them up to MAX_PROBLEMS, unknown keys with a
 * "did you mean" from the keys the schema allows at that level.
 */

/** Most problems reported for one file; the rest are counted. */
export const MAX_PROBLEMS = 20;

type Path = readonly PropertyKey[];

/** The zod 4 definition of a schema (its `type` says which fields it has). */
interface Def {
  type: string;
  shape?: Record<string, ZodType>;
  element?: ZodType;
  valueType?: ZodType;
  items?: ZodType[];
  options?: ZodType[];
  discriminator?: string;
  innerType?: ZodType;
  in?: ZodType;
  values?: unknown[];
  getter?: () => ZodType;
}

const defOf = (s: ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The schema inside optional/nullable/default/pipe/lazy wrappers. */
function unwrap(s: ZodType): ZodType {
  let cur = s;
  for (let i = 0; i < 20; i++) {
    const d = defOf(cur);
    const inner =
      d.innerType ?? (d.type === "pipe" ? d.in : undefined) ?? (d.type === "lazy" ? d.getter?.() : undefined);
    if (!inner) return cur;
    cur = inner;
  }
  return cur;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The option of a union that `value` is meant to be: by discriminator, else the one sharing most keys. */
function pickOption(d: Def, value: unknown): ZodType | null {
  const objects = (d.options ?? []).map(unwrap).filter((o) => defOf(o).type === "object");
  if (objects.length === 0 || !isRecord(value)) return null;
  if (d.discriminator !== undefined) {
    const want = value[d.discriminator];
    const hit = objects.find((o) => {
      const field = defOf(o).shape?.[d.discriminator ?? ""];
      return field !== undefined && (defOf(unwrap(field)).values ?? []).includes(want);
    });
    if (hit) return hit;
  }
  const keys = Object.keys(value);
  let best: ZodType | null = null;
  let bestScore = -1;
  for (const o of objects) {
    const shape = defOf(o).shape ?? {};
    const score = keys.filter((k) => Object.hasOwn(shape, k)).length;
    if (score > bestScore) {
      best = o;
      bestScore = score;
    }
  }
  return best;
}

/** The object schema that applies at `path` inside `value`, or null when it cannot be told. */
function objectSchemaAt(schema: ZodType, path: Path, value: unknown): ZodType | null {
  let cur: ZodType | null = unwrap(schema);
  let v = value;
  for (let i = 0; i <= path.length && cur; i++) {
    let d = defOf(cur);
    if (d.type === "union") {
      cur = pickOption(d, v);
      if (!cur) return null;
      d = defOf(cur);
    }
    if (i === path.length) return d.type === "object" ? cur : null;
    const seg = path[i];
    const next: ZodType | undefined =
      d.type === "object"
        ? d.shape?.[String(seg)]
        : d.type === "array"
          ? d.element
          : d.type === "record"
            ? d.valueType
            : d.type === "tuple"
              ? d.items?.[Number(seg)]
              : undefined;
    cur = next ? unwrap(next) : null;
    v = Array.isArray(v) ? v[Number(seg)] : isRecord(v) ? v[String(seg)] : undefined;
  }
  return null;
}

/** Keys allowed by the object schema at `path`; null when unknown. */
export function allowedKeysAt(schema: ZodType, path: Path, value: unknown): string[] | null {
  const obj = objectSchemaAt(schema, path, value);
  return obj ? Object.keys(defOf(obj).shape ?? {}) : null;
}

/** `(did you mean "x"?)` for a key close to an allowed one, else the list of allowed keys. */
export function suggestKey(key: string, allowed: readonly string[] | null): string {
  if (!allowed || allowed.length === 0) return "unknown key";
  const lower = allowed.find((a) => a.toLowerCase() === key.toLowerCase());
  const near = lower ?? closest(key, [...allowed]);
  if (near !== undefined && (lower !== undefined || distance(key, near) <= Math.max(2, Math.ceil(key.length * 0.4)))) {
    return `unknown key (did you mean "${near}"?)`;
  }
  return `unknown key (allowed: ${allowed.join(", ")})`;
}

/** Where a node of the document starts, 1-based; the document start when there is no such node. */
export interface Located {
  line: number | null;
  col: number | null;
}

function rangeStart(node: unknown): number | null {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range ? range[0] : null;
}

/** A parsed document with what is needed to point into its text. */
export interface SourceDoc {
  doc: Document;
  lines: LineCounter;
  /** Added to every line (a JSONL record parsed on its own is line N of the file). */
  lineOffset?: number;
}

function at(src: SourceDoc, offset: number | null): Located {
  if (offset === null) return { line: null, col: null };
  const pos = src.lines.linePos(offset);
  return { line: pos.line + (src.lineOffset ?? 0), col: pos.col };
}

/** The deepest node of `path` that exists in the document. */
function locatePath(src: SourceDoc, path: Path): Located {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? src.doc.contents : src.doc.getIn(path.slice(0, depth) as unknown[], true);
    const start = rangeStart(node);
    if (start !== null) return at(src, start);
  }
  return { line: null, col: null };
}

/** The key node `key` of the mapping at `path`. */
function locateKey(src: SourceDoc, path: Path, key: string): Located {
  const map = path.length === 0 ? src.doc.contents : src.doc.getIn(path as unknown[], true);
  if (isMap(map)) {
    const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
    const start = rangeStart(pair?.key);
    if (start !== null) return at(src, start);
  }
  return locatePath(src, path);
}

const fieldName = (path: Path) => path.map(String).join(".");

function valueAt(value: unknown, path: Path): unknown {
  let v = value;
  for (const seg of path) v = Array.isArray(v) ? v[Number(seg)] : isRecord(v) ? v[String(seg)] : undefined;
  return v;
}

/** ` (did you mean "intent"?)` for a string close to one of the values an enum or a step type allows. */
function suggestValue(issue: z.core.$ZodIssue, given: unknown): string {
  if (typeof given !== "string") return "";
  const raw: unknown[] =
    issue.code === "invalid_value"
      ? issue.values
      : issue.code === "invalid_union" && "options" in issue && Array.isArray(issue.options)
        ? issue.options
        : [];
  const options = raw.filter((o): o is string => typeof o === "string");
  if (options.length === 0) return "";
  const near = options.find((o) => o.toLowerCase() === given.toLowerCase()) ?? closest(given, options);
  return distance(given.toLowerCase(), near.toLowerCase()) <= Math.max(2, Math.ceil(given.length * 0.4))
    ? ` (did you mean "${near}"?)`
    : "";
}

/** One located problem per zod issue (one per unknown key), in document order. */
export function issueProblems(
  file: string,
  src: SourceDoc,
  schema: ZodType,
  value: unknown,
  issues: readonly z.core.$ZodIssue[],
): InputFileError[] {
  const out: InputFileError[] = [];
  // An object with a misspelled key also fails its own cross-field checks ("needs exactly one of
  // request or wait_ms"): those follow from the typo, so only the typo is reported there.
  const withUnknownKeys = new Set(issues.filter((i) => i.code === "unrecognized_keys").map((i) => fieldName(i.path)));
  for (const issue of issues) {
    if (
      issue.code === "custom" &&
      (withUnknownKeys.has(fieldName(issue.path)) || withUnknownKeys.has(fieldName(issue.path.slice(0, -1))))
    )
      continue;
    if (issue.code === "unrecognized_keys") {
      const allowed = allowedKeysAt(schema, issue.path, value);
      for (const key of issue.keys) {
        const pos = locateKey(src, issue.path, key);
        out.push(
          new InputFileError(file, pos.line, fieldName([...issue.path, key]), suggestKey(key, allowed), pos.col),
        );
      }
      continue;
    }
    const pos = locatePath(src, issue.path);
    const missing = issue.code === "invalid_type" && / received undefined$/.test(issue.message);
    const problem = missing
      ? `missing (expected ${issue.expected})`
      : `${issue.message}${suggestValue(issue, valueAt(value, issue.path))}`;
    out.push(new InputFileError(file, pos.line, fieldName(issue.path) || "document", problem, pos.col));
  }
  return out;
}

/** Syntax errors of a YAML (or JSON) document, located. */
export function syntaxProblems(file: string, src: SourceDoc): InputFileError[] {
  return src.doc.errors.map((e) => {
    const pos = at(src, e.pos?.[0] ?? null);
    const message = (e.message.split("\n")[0] ?? "syntax error").replace(/ at line \d+, column \d+:?$/, "");
    return new InputFileError(file, pos.line, null, `syntax error: ${message}`, pos.col);
  });
}

/** Line and column of a JSON.parse failure in `text` (Node names a position or a line and column). */
export function jsonSyntaxPosition(text: string, e: unknown): { line: number; col: number; message: string } {
  const raw = e instanceof Error ? e.message : String(e);
  const lc = /\(line (\d+) column (\d+)\)/.exec(raw);
  const message = raw
    .replace(/\s*\(line \d+ column \d+\)/, "")
    .replace(/,? in JSON at position \d+.*$/, "")
    .replace(/ at position \d+.*$/, "");
  if (lc) return { line: Number(lc[1]), col: Number(lc[2]), message };
  const p = /position (\d+)/.exec(raw);
  const offset = p ? Math.min(Number(p[1]), text.length) : text.length;
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const col = offset - before.lastIndexOf("\n");
  return { line, col, message };
}

/** Sorted by position, cut at MAX_PROBLEMS: one problem is thrown as itself, several together. */
export function problemsError(
  file: string,
  problems: InputFileError[],
  alsoOmitted = 0,
): InputFileError | InputFileErrors {
  const sorted = [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
  if (sorted.length === 1 && sorted[0] && alsoOmitted === 0) return sorted[0];
  return new InputFileErrors(
    file,
    sorted.slice(0, MAX_PROBLEMS),
    Math.max(0, sorted.length - MAX_PROBLEMS) + alsoOmitted,
  );
}

/**
 * Problems of a file read line by line, in line order: keeps what will be shown and only counts the
 * rest, so a file bad on every one of a million lines costs no more memory than one bad on 20.
 */
export class LineProblems {
  readonly kept: InputFileError[] = [];
  omitted = 0;
  add(...problems: InputFileError[]): void {
    for (const p of problems) {
      if (this.kept.length < MAX_PROBLEMS * 2) this.kept.push(p);
      else this.omitted++;
    }
  }
  get count(): number {
    return this.kept.length + this.omitted;
  }
  error(file: string): InputFileError | InputFileErrors {
    return problemsError(file, this.kept, this.omitted);
  }
}
