import { z } from "zod";

/** ISO-8601 timestamp as stored everywhere in Verdict (UTC, text, sortable). */
export const isoTimestamp = z.iso.datetime({ offset: true, local: false });

/** Identifiers chosen by users or tools: printable, no whitespace, bounded. */
export const identifier = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\s]+$/, "must not contain whitespace");

export const rate01 = z.number().min(0).max(1);
export const percent = z.number().min(0).max(100);
export const nonNegativeInt = z.number().int().min(0);
export const nonNegative = z.number().min(0);

/** Arbitrary JSON value (round-trips through a TEXT column unchanged). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Deepest nesting of arrays/objects accepted in any input (a JSON value, or a whole API request).
 * `{"a":1}` is 1 deep, `[[1]]` 2. Deeper input is a client mistake (400), never a stack overflow.
 */
export const MAX_JSON_DEPTH = 256;

export interface JsonProblem {
  path: (string | number)[];
  message: string;
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * The first reason `value` is not a JSON value (or nests deeper than `maxDepth`), or null.
 * Iterative, so no input can overflow the stack; keys are read as own properties only, so
 * `__proto__`, `constructor` and `prototype` are ordinary keys here.
 */
export function jsonProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): JsonProblem | null {
  const stack: { v: unknown; path: (string | number)[] }[] = [{ v: value, path: [] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop() as { v: unknown; path: (string | number)[] };
    if (v === null || typeof v === "string" || typeof v === "boolean") continue;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) return { path, message: `expected a finite number, got ${v}` };
      continue;
    }
    if (typeof v !== "object") return { path, message: `expected a JSON value, got ${typeof v}` };
    if (path.length >= maxDepth) return { path, message: `JSON nested deeper than ${maxDepth} levels` };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: [...path, i] });
      continue;
    }
    if (!isPlainObject(v)) return { path, message: "expected a plain JSON object" };
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i] as string;
      stack.push({ v: Object.getOwnPropertyDescriptor(v, k)?.value, path: [...path, k] });
    }
  }
  return null;
}

/**
 * A zod schema that accepts what `check` accepts and passes the value through untouched: no copy,
 * so keys zod would drop (`__proto__`) survive, and no recursion, so no depth overflows the stack.
 */
function jsonSchema<T>(
  check: (v: unknown) => JsonProblem | null,
  shape: () => JsonSchemaShape = () => ({}),
): z.ZodType<T, T> {
  const schema = z.custom<T>().superRefine((v, ctx) => {
    const problem = check(v);
    if (problem) ctx.addIssue({ code: "custom", path: problem.path, message: problem.message, input: v });
  });
  JSON_SHAPES.set(schema, shape);
  return schema;
}

/** A JSON Schema fragment (what an editor checks a hand-written file against). */
export type JsonSchemaShape = Record<string, unknown>;

/**
 * The JSON Schema of the checked-not-copied JSON schemas below, which zod sees as custom types:
 * read by fileJsonSchema (json-schema.ts) when it turns a file's zod schema into JSON Schema.
 */
export const JSON_SHAPES = new WeakMap<z.ZodType, () => JsonSchemaShape>();

/** The input-side JSON Schema of a zod schema, as a fragment (no `$schema` key). */
export function jsonSchemaFragment(schema: z.ZodType): JsonSchemaShape {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
    override: (ctx) => {
      const shape = JSON_SHAPES.get(ctx.zodSchema as unknown as z.ZodType);
      if (shape) Object.assign(ctx.jsonSchema, shape());
    },
  });
  return rest;
}

export const jsonValue: z.ZodType<JsonValue, JsonValue> = jsonSchema<JsonValue>(
  (v) => jsonProblem(v),
  () => ({ description: "any JSON value" }),
);

function objectProblem(v: unknown): JsonProblem | null {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    return {
      path: [],
      message: `expected a JSON object, got ${v === null ? "null" : Array.isArray(v) ? "array" : typeof v}`,
    };
  return jsonProblem(v);
}
export const jsonObject: z.ZodType<{ [key: string]: JsonValue }, { [key: string]: JsonValue }> = jsonSchema<{
  [key: string]: JsonValue;
}>(objectProblem, () => ({ type: "object" }));

/**
 * A JSON object whose named keys must also satisfy `known` (checked, not copied: the value is kept
 * exactly as given, unknown keys included).
 */
export function jsonObjectWith<S extends z.ZodObject>(known: S) {
  return jsonSchema<z.infer<S> & { [key: string]: JsonValue | undefined }>(
    (v) => {
      const problem = objectProblem(v);
      if (problem) return problem;
      const r = known.safeParse(v);
      const issue = r.success ? undefined : r.error.issues[0];
      return issue
        ? { path: issue.path.map((p) => (typeof p === "symbol" ? String(p) : p)), message: issue.message }
        : null;
    },
    () => ({ ...jsonSchemaFragment(known), additionalProperties: true }),
  );
}

/**
 * A JSON object of `value`s under any keys (`__proto__` included: z.record drops that key, this
 * keeps it), checked without copying. For values without defaults or transforms.
 */
export function jsonRecordOf<V>(value: z.ZodType<V>): z.ZodType<{ [key: string]: V }, { [key: string]: V }> {
  return jsonSchema<{ [key: string]: V }>(
    (v) => {
      const problem = objectProblem(v);
      if (problem) return problem;
      for (const key of Object.keys(v as object)) {
        const r = value.safeParse(Object.getOwnPropertyDescriptor(v, key)?.value);
        const issue = r.success ? undefined : r.error.issues[0];
        if (issue)
          return {
            path: [key, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))],
            message: issue.message,
          };
      }
      return null;
    },
    () => ({ type: "object", additionalProperties: jsonSchemaFragment(value) }),
  );
}

/** Cursor pagination shared by every list procedure. */
export const pageInput = z.object({
  limit: z.number().int().min(1).max(1000).default(50),
  cursor: z.string().min(1).optional(),
});
export type PageInput = z.input<typeof pageInput>;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Date-range filter; both ends inclusive. */
export const timeRange = z.object({
  since: isoTimestamp.optional(),
  until: isoTimestamp.optional(),
});
