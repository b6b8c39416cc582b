import { setTimeout as sleep } from "node:timers/promises";
import {
  type HttpAssertion,
  type HttpAssertionResult,
  type HttpScenario,
  type HttpScenarioStep,
  type HttpStepResult,
  type JsonValue,
  TEMPLATE_PATTERN,
  evalJsonPath,
  jsonContains,
  jsonEqual,
  parseJsonPath,
} from "@verdict/schema";
import { type HttpClient, createHttpClient } from "../http-client.js";

/**
 * Runs one instance of an HTTP scenario: its steps in order, each an HTTP request (with {{vars}}
 * filled in, retried on network errors and 5xx) or a pause; extracts variables from JSON responses
 * and evaluates the step's assertions. The first step that is not ok ends the instance (later steps
 * would run on a state the scenario did not expect). Results come back as rows for the runs domain.
 *
 * A step is ok when it got a response, every one of its assertions passed, and its status is below
 * 400 unless a status assertion says otherwise. The instance passes when every step is ok.
 */

export interface HttpInstance {
  run_id: string;
  instance_id: string;
  instance_index: number;
  attempt: number;
  scenario: HttpScenario;
}

export interface HttpInstanceResult {
  instance: {
    status: "pass" | "fail";
    started_at: string;
    completed_at: string;
    duration_ms: number;
    error: string | null;
  };
  steps: HttpStepResult[];
  assertions: HttpAssertionResult[];
}

export interface HttpExecutorOptions {
  /** Timeout of a request without one of its own or in the scenario's defaults. */
  defaultTimeoutMs?: number;
  /** Response bodies kept in the observation are cut to this many characters. */
  maxBodyChars?: number;
  /** The client requests go through (default: keep-alive node:http agents of its own). */
  client?: HttpClient;
  /** Most open connections per target host of the default client (the worker's --concurrency). */
  maxSockets?: number;
}

export interface HttpExecutor {
  /** Never throws for what the target does; `signal` aborting (deadline, shutdown) ends the instance early. */
  run(instance: HttpInstance, signal: AbortSignal): Promise<HttpInstanceResult>;
  /** Closes idle connections to the targets. */
  close(): void;
}

type Vars = Map<string, JsonValue>;

function text(v: JsonValue | undefined): string {
  if (v === undefined) return "";
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** Fills {{vars}} into a string. */
export function renderString(template: string, vars: Vars): string {
  return template.replace(TEMPLATE_PATTERN, (_, name: string) => text(vars.get(name)));
}

/** Fills {{vars}} into a JSON body; a string that is exactly "{{var}}" takes the variable's own JSON value. */
export function renderJson(value: JsonValue, vars: Vars): JsonValue {
  if (typeof value === "string") {
    const whole = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/.exec(value);
    if (whole?.[1] && vars.has(whole[1])) return vars.get(whole[1]) ?? null;
    return renderString(value, vars);
  }
  if (Array.isArray(value)) return value.map((v) => renderJson(v, vars));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [renderString(k, vars), renderJson(v, vars)]));
  }
  return value;
}

function assertionName(a: HttpAssertion): string {
  if (a.name) return a.name;
  if (a.status !== undefined)
    return `status ${Array.isArray(a.status) ? `in [${a.status.join(", ")}]` : `== ${a.status}`}`;
  if (a.latency_below_ms !== undefined) return `latency < ${a.latency_below_ms} ms`;
  return a.equals !== undefined
    ? `${a.json_path} equals ${JSON.stringify(a.equals)}`
    : `${a.json_path} contains ${JSON.stringify(a.contains)}`;
}

interface Response {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when the body is JSON, else its text. */
  body: JsonValue;
  isJson: boolean;
  latency_ms: number;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

function reasonOf(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return r instanceof Error ? r.message : String(r ?? "aborted");
}

export function createHttpExecutor(options: HttpExecutorOptions = {}): HttpExecutor {
  const defaultTimeout = options.defaultTimeoutMs ?? 10_000;
  const maxBody = options.maxBodyChars ?? 65_536;
  const client =
    options.client ?? createHttpClient(options.maxSockets !== undefined ? { maxSockets: options.maxSockets } : {});

  async function send(
    method: string,
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<Response> {
    const started = performance.now();
    const res = await client.request(method, new URL(url), headers, body, timeoutMs, signal);
    const raw = res.text;
    const latency = performance.now() - started;
    const contentType = res.headers["content-type"] ?? "";
    let parsed: JsonValue = raw.length > maxBody ? `${raw.slice(0, maxBody)}… (${raw.length} chars, cut)` : raw;
    let isJson = false;
    if (/json/i.test(contentType) || /^\s*[[{]/.test(raw)) {
      try {
        parsed = JSON.parse(raw) as JsonValue;
        isJson = true;
      } catch {
        // not JSON after all: keep the text
      }
    }
    return {
      status: res.status,
      headers: res.headers,
      body: parsed,
      isJson,
      latency_ms: round(latency),
    };
  }

  function check(a: HttpAssertion, res: Response | null, stepIndex: number): HttpAssertionResult {
    const name = assertionName(a);
    const base = { step_index: stepIndex, assertion_name: name };
    if (res === null) return { ...base, passed: false, error: "no response" };
    if (a.status !== undefined) {
      const ok = Array.isArray(a.status) ? a.status.includes(res.status) : a.status === res.status;
      return {
        ...base,
        passed: ok,
        expected: a.status,
        actual: res.status,
        error: ok ? null : `status was ${res.status}`,
      };
    }
    if (a.latency_below_ms !== undefined) {
      const ok = res.latency_ms < a.latency_below_ms;
      return {
        ...base,
        passed: ok,
        expected: a.latency_below_ms,
        actual: res.latency_ms,
        error: ok ? null : `took ${res.latency_ms} ms`,
      };
    }
    const path = parseJsonPath(a.json_path ?? "$") ?? [];
    if (!res.isJson) return { ...base, passed: false, error: "the response body is not JSON" };
    const actual = evalJsonPath(res.body, path) as JsonValue | undefined;
    if (actual === undefined) {
      return {
        ...base,
        passed: false,
        expected: a.equals ?? a.contains ?? null,
        error: `${a.json_path} is not in the response`,
      };
    }
    if (a.equals !== undefined) {
      const ok = jsonEqual(actual, a.equals);
      return { ...base, passed: ok, expected: a.equals, actual, error: ok ? null : `${a.json_path} differs` };
    }
    const expected = a.contains ?? null;
    const ok = jsonContains(actual, expected);
    return {
      ...base,
      passed: ok,
      expected,
      actual,
      error: ok ? null : `${a.json_path} does not contain ${JSON.stringify(expected)}`,
    };
  }

  async function httpStep(
    scenario: HttpScenario,
    step: HttpScenarioStep,
    index: number,
    vars: Vars,
    signal: AbortSignal,
  ): Promise<{ step: HttpStepResult; assertions: HttpAssertionResult[]; error: string | null }> {
    const req = step.request;
    const startedAt = new Date().toISOString();
    const errors: string[] = [];
    const attempts: JsonValue[] = [];
    let res: Response | null = null;
    const method = req?.method ?? "GET";
    const url = req ? renderString(req.url, vars) : "";
    if (req) {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries({ ...scenario.defaults?.headers, ...req.headers }))
        headers[k.toLowerCase()] = renderString(v, vars);
      let body: string | undefined;
      if (req.json !== undefined) {
        body = JSON.stringify(renderJson(req.json, vars));
        headers["content-type"] ??= "application/json";
      } else if (req.body !== undefined) body = renderString(req.body, vars);
      const timeoutMs = req.timeout_ms ?? scenario.defaults?.timeout_ms ?? defaultTimeout;
      const retries = req.retries ?? scenario.defaults?.retries ?? 0;
      const delay = req.retry_delay_ms ?? scenario.defaults?.retry_delay_ms ?? 200;
      if (!/^https?:\/\//i.test(url) || !URL.canParse(url)) {
        errors.push(`url '${url}' is not an absolute http(s) URL`);
      } else {
        for (let attempt = 1; attempt <= retries + 1; attempt++) {
          const t0 = performance.now();
          try {
            res = await send(method, url, headers, body, timeoutMs, signal);
            attempts.push({ attempt, status_code: res.status, latency_ms: res.latency_ms });
            if (res.status < 500 || attempt > retries) break;
          } catch (e) {
            const why = signal.aborted
              ? `aborted: ${reasonOf(signal)}`
              : e instanceof Error && e.name === "TimeoutError"
                ? `no response within ${timeoutMs} ms`
                : `${e instanceof Error ? e.message : String(e)}${e instanceof Error && e.cause instanceof Error ? ` (${e.cause.message})` : ""}`;
            attempts.push({ attempt, status_code: null, latency_ms: round(performance.now() - t0), error: why });
            if (signal.aborted || attempt > retries) {
              errors.push(why);
              break;
            }
          }
          try {
            await sleep(delay * 2 ** (attempt - 1), undefined, { signal });
          } catch {
            errors.push(`aborted: ${reasonOf(signal)}`);
            break;
          }
        }
      }
    }
    const assertions = res === null && errors.length > 0 ? [] : (step.assert ?? []).map((a) => check(a, res, index));
    if (res) {
      for (const [name, path] of Object.entries(step.extract ?? {})) {
        const value = res.isJson
          ? (evalJsonPath(res.body, parseJsonPath(path) ?? []) as JsonValue | undefined)
          : undefined;
        if (value === undefined) errors.push(`extract ${name}: ${path} is not in the response`);
        else vars.set(name, value);
      }
    }
    const failed = assertions.filter((a) => !a.passed);
    const statusOk = res !== null && (res.status < 400 || (step.assert ?? []).some((a) => a.status !== undefined));
    const ok = res !== null && errors.length === 0 && failed.length === 0 && statusOk;
    let error: string | null = null;
    if (!ok) {
      error =
        errors[0] ??
        (failed[0] ? `assertion '${failed[0].assertion_name}' failed: ${failed[0].error ?? "false"}` : null) ??
        `status ${res?.status ?? "none"}`;
    }
    const observation = {
      ok,
      protocol: "http",
      method,
      url,
      status_code: res?.status ?? null,
      latency_ms: res?.latency_ms ?? null,
      headers: res?.headers ?? {},
      body: res?.body ?? null,
      errors,
      action_name: step.name,
      service: step.service ?? null,
      attempts,
    };
    return {
      step: {
        step_index: index,
        action_name: step.name,
        action_type: "http",
        service: step.service ?? null,
        started_at: startedAt,
        latency_ms: res?.latency_ms ?? null,
        status_code: res?.status ?? null,
        ok,
        observation,
      },
      assertions,
      error,
    };
  }

  async function waitStep(step: HttpScenarioStep, index: number, signal: AbortSignal) {
    const startedAt = new Date().toISOString();
    const t0 = performance.now();
    let error: string | null = null;
    try {
      await sleep(step.wait_ms ?? 0, undefined, { signal });
    } catch {
      error = `aborted: ${reasonOf(signal)}`;
    }
    const latency = round(performance.now() - t0);
    const ok = error === null;
    const result: HttpStepResult = {
      step_index: index,
      action_name: step.name,
      action_type: "wait",
      service: step.service ?? null,
      started_at: startedAt,
      latency_ms: latency,
      status_code: null,
      ok,
      observation: {
        ok,
        protocol: "wait",
        latency_ms: latency,
        errors: error ? [error] : [],
        action_name: step.name,
        service: step.service ?? null,
      },
    };
    return { step: result, assertions: [], error };
  }

  return {
    close: () => client.close(),
    async run(instance, signal) {
      const { scenario } = instance;
      const t0 = Date.now();
      const vars: Vars = new Map<string, JsonValue>([
        ...Object.entries(scenario.vars),
        ["run_id", instance.run_id],
        ["instance_id", instance.instance_id],
        ["instance_index", instance.instance_index],
        ["attempt", instance.attempt],
      ]);
      const steps: HttpStepResult[] = [];
      const assertions: HttpAssertionResult[] = [];
      let error: string | null = null;
      for (const [i, step] of scenario.steps.entries()) {
        if (signal.aborted) {
          error = `aborted before step ${i} (${step.name}): ${reasonOf(signal)}`;
          break;
        }
        const r = step.request ? await httpStep(scenario, step, i, vars, signal) : await waitStep(step, i, signal);
        steps.push(r.step);
        assertions.push(...r.assertions);
        if (r.error !== null) {
          error = `step ${i} (${step.name}): ${r.error}`;
          break;
        }
      }
      const t1 = Date.now();
      return {
        instance: {
          status: error === null ? "pass" : "fail",
          started_at: new Date(t0).toISOString(),
          completed_at: new Date(t1).toISOString(),
          duration_ms: t1 - t0,
          error,
        },
        steps,
        assertions,
      };
    },
  };
}
