import { MAX_JSON_DEPTH } from "@verdict/schema";
import { z } from "zod";

/**
 * The wire encoding of every tRPC input and output: superjson's envelope (`{"json": …, "meta":
 * {"values": {path: [type]}, "v": 1}}`), written and read by our own code so that it cannot break:
 *
 * - any JSON key is data (`__proto__`, `constructor`, `prototype` included): objects are built with
 *   own-property definitions, never assignment, so no key reaches a prototype;
 * - both directions walk iteratively, so no depth overflows the stack; an output subtree deeper than
 *   a safe nesting travels as JSON text (annotation "json") and is parsed back by the client;
 * - only the annotations Verdict needs are understood (Date, undefined, NaN/±Infinity, bigint, json);
 *   any other `meta` is a client mistake (TransportError → 400), not a crash.
 *
 * The server never fails to encode an answer, so a committed write is always answered.
 */

/** A request's envelope or `meta` is malformed; `field` is where. Mapped to BAD_REQUEST by errors.ts. */
export class TransportError extends Error {
  override name = "TransportError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

type Annotation = "Date" | "undefined" | "number" | "bigint" | "json";
type Path = (string | number)[];

/** Output subtrees nested deeper than this are sent as JSON text, far below JSON.stringify's own limit. */
const INLINE_DEPTH = 512;

function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function escapeKey(key: string): string {
  return key.replace(/\\/g, "\\\\").replace(/\./g, "\\.");
}

function pathString(path: Path): string {
  return path.map((k) => escapeKey(String(k))).join(".");
}

/** Splits a superjson path ("a.b\\.c.0") into keys; `\\.` is a dot inside a key, `\\\\` a backslash. */
function parsePath(s: string): string[] {
  const keys: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "\\" && i + 1 < s.length) {
      cur += s[i + 1];
      i++;
    } else if (c === ".") {
      keys.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  keys.push(cur);
  return keys;
}

/** JSON text of a value of any depth, without recursion (JSON.stringify recurses). */
function stringifyDeep(value: unknown): string {
  const out: string[] = [];
  type Frame = { kind: "value"; v: unknown } | { kind: "text"; s: string };
  const stack: Frame[] = [{ kind: "value", v: value }];
  while (stack.length > 0) {
    const f = stack.pop() as Frame;
    if (f.kind === "text") {
      out.push(f.s);
      continue;
    }
    const v = f.v;
    if (Array.isArray(v)) {
      stack.push({ kind: "text", s: "]" });
      for (let i = v.length - 1; i >= 0; i--) {
        stack.push({ kind: "value", v: v[i] });
        if (i > 0) stack.push({ kind: "text", s: "," });
      }
      out.push("[");
    } else if (v !== null && typeof v === "object" && !(v instanceof Date)) {
      const keys = Object.keys(v).filter((k) => {
        const x = Object.getOwnPropertyDescriptor(v, k)?.value;
        return x !== undefined && typeof x !== "function" && typeof x !== "symbol";
      });
      stack.push({ kind: "text", s: "}" });
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i] as string;
        stack.push({ kind: "value", v: Object.getOwnPropertyDescriptor(v, k)?.value });
        stack.push({ kind: "text", s: `${i > 0 ? "," : ""}${JSON.stringify(k)}:` });
      }
      out.push("{");
    } else {
      // Scalars (and Dates, via toJSON): JSON.stringify does not recurse here.
      out.push(typeof v === "bigint" ? JSON.stringify(String(v)) : (JSON.stringify(v) ?? "null"));
    }
  }
  return out.join("");
}

/** Encodes any value into the envelope; never throws on data (keys, depth, special numbers). */
export function serialize(value: unknown): { json: unknown; meta?: { values: unknown; v: 1 } } {
  const annotations: [Path, Annotation][] = [];
  const holder: Record<string, unknown> = {};
  type Job = { v: unknown; path: Path; put: (x: unknown) => void };
  const stack: Job[] = [{ v: value, path: [], put: (x) => defineOwn(holder, "root", x) }];
  while (stack.length > 0) {
    const { v, path, put } = stack.pop() as Job;
    if (v === undefined || typeof v === "function" || typeof v === "symbol") {
      annotations.push([path, "undefined"]);
      put(null);
    } else if (typeof v === "number" && !Number.isFinite(v)) {
      annotations.push([path, "number"]);
      put(String(v));
    } else if (typeof v === "bigint") {
      annotations.push([path, "bigint"]);
      put(String(v));
    } else if (v instanceof Date) {
      annotations.push([path, "Date"]);
      put(Number.isNaN(v.getTime()) ? "Invalid Date" : v.toISOString());
    } else if (v === null || typeof v !== "object") {
      put(v);
    } else if (path.length >= INLINE_DEPTH) {
      annotations.push([path, "json"]);
      put(stringifyDeep(v));
    } else if (Array.isArray(v)) {
      const arr: unknown[] = new Array(v.length).fill(null);
      put(arr);
      for (let i = v.length - 1; i >= 0; i--)
        stack.push({
          v: v[i],
          path: [...path, i],
          put: (x) => {
            arr[i] = x;
          },
        });
    } else {
      const obj: Record<string, unknown> = {};
      put(obj);
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i] as string;
        const child = Object.getOwnPropertyDescriptor(v, k);
        stack.push({
          v: child && "value" in child ? child.value : (v as Record<string, unknown>)[k],
          path: [...path, k],
          put: (x) => defineOwn(obj, k, x),
        });
      }
    }
  }
  const json = holder.root;
  if (annotations.length === 0) return { json };
  const first = annotations[0];
  if (annotations.length === 1 && first && first[0].length === 0) return { json, meta: { values: [first[1]], v: 1 } };
  const values: Record<string, unknown> = {};
  for (const [path, type] of annotations) defineOwn(values, pathString(path), [type]);
  return { json, meta: { values, v: 1 } };
}

const annotation = z.tuple([z.enum(["Date", "undefined", "number", "bigint", "json"])]);
const metaSchema = z
  .object({
    values: z.union([annotation, z.record(z.string().max(10_000), annotation)]).optional(),
    // superjson records shared references; the json already holds full copies, so they are ignored.
    referentialEqualities: z.unknown().optional(),
    v: z.number().int().optional(),
  })
  .strict();

/** Deepest nesting of a parsed value (iterative). */
export function depthOf(value: unknown, stopAt: number): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== "object") continue;
    const depth = d + 1;
    if (depth > max) max = depth;
    if (max > stopAt) return max;
    for (const k of Object.keys(v)) stack.push([Object.getOwnPropertyDescriptor(v, k)?.value, depth]);
  }
  return max;
}

function decodeAnnotated(type: Annotation, raw: unknown, field: string): unknown {
  switch (type) {
    case "undefined":
      return undefined;
    case "Date": {
      const d = typeof raw === "string" ? new Date(raw) : null;
      if (!d || Number.isNaN(d.getTime())) throw new TransportError(field, "a Date annotation needs an ISO timestamp");
      return d;
    }
    case "number": {
      if (raw === "NaN") return Number.NaN;
      if (raw === "Infinity") return Number.POSITIVE_INFINITY;
      if (raw === "-Infinity") return Number.NEGATIVE_INFINITY;
      throw new TransportError(field, "a number annotation needs NaN, Infinity or -Infinity");
    }
    case "bigint": {
      if (typeof raw !== "string" || !/^-?\d{1,400}$/.test(raw))
        throw new TransportError(field, "a bigint annotation needs a decimal string");
      return BigInt(raw);
    }
    case "json": {
      if (typeof raw !== "string") throw new TransportError(field, "a json annotation needs JSON text");
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        throw new TransportError(field, "a json annotation holds malformed JSON text");
      }
    }
  }
}

/**
 * Decodes an envelope. `maxDepth` bounds the nesting of the decoded value (requests); answers
 * from our own server are decoded without a bound.
 */
export function deserialize(payload: unknown, maxDepth = Number.POSITIVE_INFINITY): unknown {
  if (payload === undefined || payload === null) return undefined;
  if (typeof payload !== "object" || Array.isArray(payload))
    throw new TransportError("input", 'expected the envelope {"json": …} (superjson)');
  const json = Object.getOwnPropertyDescriptor(payload, "json")?.value as unknown;
  const rawMeta = Object.getOwnPropertyDescriptor(payload, "meta")?.value as unknown;
  const extra = Object.keys(payload).filter((k) => k !== "json" && k !== "meta");
  if (extra.length > 0) throw new TransportError("input", `unknown envelope key '${extra[0]}' (expected json, meta)`);
  let root = json;
  if (rawMeta !== undefined) {
    const meta = metaSchema.safeParse(rawMeta);
    if (!meta.success) {
      const issue = meta.error.issues[0];
      throw new TransportError(
        ["meta", ...(issue?.path ?? []).map(String)].join("."),
        `unsupported superjson meta: ${issue?.message ?? "invalid"}`,
      );
    }
    const values = meta.data.values;
    if (Array.isArray(values)) {
      root = decodeAnnotated(values[0], root, "input");
    } else if (values) {
      for (const [p, [type]] of Object.entries(values)) {
        const keys = parsePath(p);
        const field = `meta.values.${p}`;
        let parent: unknown = root;
        for (const k of keys.slice(0, -1)) parent = ownChild(parent, k, field);
        const last = keys[keys.length - 1] as string;
        const current = ownChild(parent, last, field);
        const decoded = decodeAnnotated(type, current, field);
        if (Array.isArray(parent)) (parent as unknown[])[Number(last)] = decoded;
        else defineOwn(parent as Record<string, unknown>, last, decoded);
      }
    }
  }
  if (Number.isFinite(maxDepth) && depthOf(root, maxDepth) > maxDepth)
    throw new TransportError("input", `JSON nested deeper than ${maxDepth} levels`);
  return root;
}

/** `parent[key]` when parent is a JSON array/object holding `key` as its own entry; else a 400. */
function ownChild(parent: unknown, key: string, field: string): unknown {
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (/^(0|[1-9]\d*)$/.test(key) && i < parent.length) return parent[i];
  } else if (parent !== null && typeof parent === "object" && Object.hasOwn(parent, key)) {
    return Object.getOwnPropertyDescriptor(parent, key)?.value;
  }
  throw new TransportError(field, "annotates a path the json does not have");
}

/**
 * A request's input, from our typed client or from anyone else (curl, Python, Go). The rule:
 * - a JSON object with a `json` key is a superjson envelope and is read as one, strictly (only the keys
 *   `json` and `meta`; anything else there is a 400);
 * - any other JSON value (an object without a `json` key, an array, a string, a number, a boolean) is the
 *   input itself, plain JSON: `?input={"run_id":"x"}` means `{"run_id": "x"}`.
 * No procedure's input has a top-level `json` key; a plain client that ever needs one sends the envelope
 * `{"json": …}`. The depth limit holds for both. Answers always stay envelopes (`result.data.json`).
 */
export function deserializeInput(payload: unknown): unknown {
  if (payload !== null && typeof payload === "object" && !Array.isArray(payload) && Object.hasOwn(payload, "json"))
    return deserialize(payload, MAX_JSON_DEPTH);
  if (payload === undefined || payload === null) return undefined;
  if (depthOf(payload, MAX_JSON_DEPTH) > MAX_JSON_DEPTH)
    throw new TransportError("input", `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  return payload;
}

/** tRPC's transformer: requests are depth-checked on the server, answers decoded as they come. */
export const transformer = {
  input: {
    serialize,
    deserialize: deserializeInput,
  },
  output: {
    serialize,
    deserialize: (payload: unknown) => deserialize(payload),
  },
};
