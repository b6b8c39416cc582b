import { z } from "zod";
import { type JsonValue, identifier, jsonValue } from "./common.js";

/**
 * HTTP scenarios run by `verdict-worker` (turbulence-like): a list of steps, each an HTTP action
 * (or a pause) whose response can feed variables to later steps and is checked by assertions.
 * Results land as runs/instances/steps/assertions rows, so every `verdict runs …` query works on them.
 *
 * ```yaml
 * id: checkout
 * timeout_seconds: 60
 * vars: { base: "http://127.0.0.1:8080" }
 * steps:
 *   - name: login
 *     request: { method: POST, url: "{{base}}/login", json: { user: "a" } }
 *     extract: { token: "$.token" }
 *     assert: [{ status: 200 }, { json_path: "$.user.id", equals: 42 }, { latency_below_ms: 500 }]
 *   - name: cart
 *     request: { url: "{{base}}/cart", headers: { authorization: "Bearer {{token}}" } }
 * ```
 */

// ---------- JSON paths: $ . key [0] ['key'] ----------

export type JsonPathSegment = string | number;

/** Parses a JSON path such as `$.a.b[0]` or `$['odd key'][2]`; null when it is not one. */
export function parseJsonPath(path: string): JsonPathSegment[] | null {
  if (!path.startsWith("$")) return null;
  const out: JsonPathSegment[] = [];
  let i = 1;
  while (i < path.length) {
    const ch = path[i];
    if (ch === ".") {
      const m = /^[A-Za-z_$][A-Za-z0-9_$-]*/.exec(path.slice(i + 1));
      if (!m) return null;
      out.push(m[0]);
      i += 1 + m[0].length;
    } else if (ch === "[") {
      const rest = path.slice(i);
      const index = /^\[(\d+)\]/.exec(rest);
      const quoted = /^\[(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\]/.exec(rest);
      if (index?.[1] !== undefined) {
        out.push(Number(index[1]));
        i += index[0].length;
      } else if (quoted) {
        out.push((quoted[1] ?? quoted[2] ?? "").replace(/\\(.)/g, "$1"));
        i += quoted[0].length;
      } else return null;
    } else return null;
  }
  return out;
}

/** The value at `path` in `value`, or undefined when any segment is missing. */
export function evalJsonPath(value: unknown, path: readonly JsonPathSegment[]): unknown {
  let cur: unknown = value;
  for (const seg of path) {
    if (typeof seg === "number") {
      if (!Array.isArray(cur) || seg >= cur.length) return undefined;
      cur = cur[seg];
    } else {
      if (cur === null || typeof cur !== "object" || Array.isArray(cur) || !Object.hasOwn(cur, seg)) return undefined;
      cur = (cur as Record<string, unknown>)[seg];
    }
  }
  return cur;
}

export const jsonPath = z
  .string()
  .min(1)
  .refine((p) => parseJsonPath(p) !== null, {
    message: "not a JSON path (expected e.g. $.user.id, $.items[0] or $['a b'])",
  });

// ---------- {{var}} templates ----------

export const TEMPLATE_PATTERN = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
export const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Variables every instance has without declaring them. */
export const BUILTIN_VARS = ["run_id", "instance_id", "instance_index", "attempt"] as const;

/** Names used as {{name}} anywhere inside `value` (strings, arrays, object values and keys). */
export function templateVars(value: unknown): string[] {
  const found = new Set<string>();
  const walk = (v: unknown) => {
    if (typeof v === "string") {
      for (const m of v.matchAll(TEMPLATE_PATTERN)) if (m[1]) found.add(m[1]);
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x);
    } else if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        walk(k);
        walk(x);
      }
    }
  };
  walk(value);
  return [...found];
}

// ---------- scenario ----------

export const httpMethod = z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);
export type HttpMethod = z.infer<typeof httpMethod>;

const statusCode = z.number().int().min(100).max(599);
const timeoutMs = z.number().int().positive().max(600_000);
const retries = z.number().int().min(0).max(10);
const retryDelayMs = z.number().int().min(0).max(60_000);
const headers = z.record(z.string().min(1), z.string());

/**
 * One check of a step's response. Exactly one of `status`, `json_path` (with `equals` or `contains`)
 * or `latency_below_ms`.
 */
export const httpAssertion = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    status: z.union([statusCode, z.array(statusCode).min(1)]).optional(),
    json_path: jsonPath.optional(),
    equals: jsonValue.optional(),
    contains: jsonValue.optional(),
    latency_below_ms: z.number().positive().optional(),
  })
  .superRefine((a, ctx) => {
    const kinds = [a.status !== undefined, a.json_path !== undefined, a.latency_below_ms !== undefined].filter(
      Boolean,
    ).length;
    if (kinds !== 1) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: "an assertion needs exactly one of status, json_path (with equals or contains) or latency_below_ms",
      });
      return;
    }
    const hasEquals = a.equals !== undefined;
    const hasContains = a.contains !== undefined;
    if (a.json_path !== undefined && hasEquals === hasContains) {
      ctx.addIssue({
        code: "custom",
        path: ["json_path"],
        message: "json_path needs exactly one of equals or contains",
      });
    }
    if (a.json_path === undefined && (hasEquals || hasContains)) {
      ctx.addIssue({
        code: "custom",
        path: [hasEquals ? "equals" : "contains"],
        message: "equals/contains only go with json_path",
      });
    }
  });
export type HttpAssertion = z.infer<typeof httpAssertion>;

export const httpRequest = z
  .strictObject({
    method: httpMethod.default("GET"),
    /** Absolute http(s) URL once its {{vars}} are filled in. */
    url: z.string().min(1).max(8000),
    headers: headers.optional(),
    /** JSON body (sent with content-type application/json); strings in it may hold {{vars}}. */
    json: jsonValue.optional(),
    /** Raw text body. */
    body: z.string().max(10_000_000).optional(),
    timeout_ms: timeoutMs.optional(),
    /** Extra attempts after a network error or a 5xx response. */
    retries: retries.optional(),
    retry_delay_ms: retryDelayMs.optional(),
  })
  .superRefine((r, ctx) => {
    if (r.json !== undefined && r.body !== undefined)
      ctx.addIssue({ code: "custom", path: ["body"], message: "give json or body, not both" });
    // A URL starting with {{var}} gets its scheme from the variable; that is checked when it runs.
    if (!/^(https?:\/\/|\{\{)/i.test(r.url))
      ctx.addIssue({ code: "custom", path: ["url"], message: "must be an absolute http:// or https:// URL" });
  });
export type HttpRequest = z.infer<typeof httpRequest>;

/** A step: an HTTP `request`, or a pause of `wait_ms`. */
export const httpScenarioStep = z
  .strictObject({
    name: z.string().min(1).max(200),
    service: z.string().min(1).max(200).optional(),
    request: httpRequest.optional(),
    wait_ms: z.number().int().min(0).max(600_000).optional(),
    /** Variables to set from the JSON response: name → JSON path. */
    extract: z.record(z.string().regex(VAR_NAME, "variable names are letters, digits and _"), jsonPath).optional(),
    assert: z.array(httpAssertion).max(100).optional(),
  })
  .superRefine((s, ctx) => {
    if ((s.request === undefined) === (s.wait_ms === undefined)) {
      ctx.addIssue({ code: "custom", path: ["request"], message: "a step needs exactly one of request or wait_ms" });
    }
    if (s.request === undefined && (s.extract !== undefined || s.assert !== undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [s.extract !== undefined ? "extract" : "assert"],
        message: "extract/assert need a request",
      });
    }
  });
export type HttpScenarioStep = z.infer<typeof httpScenarioStep>;

export const httpScenario = z
  .strictObject({
    /** Recorded as instances.scenario_id and in runs.scenario_ids. */
    id: identifier,
    name: z.string().min(1).max(200).optional(),
    description: z.string().max(5000).optional(),
    /** Default system-under-test name for `verdict runs start` (--sut overrides). */
    sut: z.string().min(1).max(200).optional(),
    /** Time one instance may take, from its first start; past it the instance ends `timeout`. */
    timeout_seconds: z.number().int().positive().max(86_400).default(300),
    /** Attempts a worker may make at one instance (a crashed worker's attempt counts). */
    max_attempts: z.number().int().min(1).max(20).default(3),
    vars: z
      .record(
        z.string().regex(VAR_NAME, "variable names are letters, digits and _"),
        z.union([z.string(), z.number(), z.boolean()]),
      )
      .default({}),
    defaults: z
      .strictObject({
        headers: headers.optional(),
        timeout_ms: timeoutMs.optional(),
        retries: retries.optional(),
        retry_delay_ms: retryDelayMs.optional(),
      })
      .optional(),
    steps: z.array(httpScenarioStep).min(1).max(200),
  })
  .superRefine((sc, ctx) => {
    // Every {{var}} must be known before the step that uses it: declared, built in, or extracted earlier.
    const known = new Set<string>([...BUILTIN_VARS, ...Object.keys(sc.vars)]);
    for (const name of templateVars(sc.defaults?.headers ?? {})) {
      if (!known.has(name))
        ctx.addIssue({
          code: "custom",
          path: ["defaults", "headers"],
          message: `{{${name}}} is not defined (declare it under vars)`,
        });
    }
    sc.steps.forEach((step, i) => {
      if (step.request) {
        for (const field of ["url", "headers", "json", "body"] as const) {
          for (const name of templateVars(step.request[field])) {
            if (!known.has(name)) {
              ctx.addIssue({
                code: "custom",
                path: ["steps", i, "request", field],
                message: `{{${name}}} is not defined (not in vars, not built in, not extracted by an earlier step)`,
              });
            }
          }
        }
      }
      for (const name of Object.keys(step.extract ?? {})) known.add(name);
    });
  });
export type HttpScenario = z.infer<typeof httpScenario>;
export type HttpScenarioInput = z.input<typeof httpScenario>;

/** Deep equality of JSON values (object key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return (
    ka.length === kb.length &&
    ka.every(
      (k) =>
        Object.hasOwn(b as object, k) &&
        jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    )
  );
}

/**
 * `contains` of an assertion: a substring of a string, an element of an array, or (for an object)
 * every key of `expected` present with an equal value.
 */
export function jsonContains(actual: unknown, expected: JsonValue): boolean {
  if (typeof actual === "string") return typeof expected === "string" && actual.includes(expected);
  if (Array.isArray(actual)) return actual.some((x) => jsonEqual(x, expected));
  if (actual !== null && typeof actual === "object" && expected !== null && typeof expected === "object") {
    if (Array.isArray(expected)) return false;
    return Object.entries(expected).every(
      ([k, v]) => Object.hasOwn(actual, k) && jsonEqual((actual as Record<string, unknown>)[k], v),
    );
  }
  return false;
}
