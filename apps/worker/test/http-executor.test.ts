/**
 * The HTTP executor against a real node:http target on 127.0.0.1: {{vars}} from earlier responses,
 * JSON bodies, retries of 5xx and network errors, each kind of assertion, stop at the first failed
 * step, per-request timeouts, and the rows it produces.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type HttpScenarioInput, httpScenario } from "@verdict/schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpExecutor, renderJson } from "../src/executors/http.js";
import { type Target, startTarget } from "./helpers.js";

let target: Target;
let flaky: { url: string; hits: number; close(): void };

beforeAll(async () => {
  target = await startTarget();
  // Answers 503 twice, then 200; /echo returns the request's JSON body and headers.
  let hits = 0;
  const srv = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => {
      body += d.toString();
    });
    req.on("end", () => {
      if (req.url === "/echo") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ body: JSON.parse(body || "null"), headers: req.headers }));
        return;
      }
      hits++;
      flaky.hits = hits;
      res.writeHead(hits <= 2 ? 503 : 200, { "content-type": "text/plain" });
      res.end(hits <= 2 ? "busy" : "fine");
    });
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  flaky = {
    url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
    hits: 0,
    close: () => {
      srv.closeAllConnections();
      srv.close();
    },
  };
});
afterAll(async () => {
  exec.close();
  await target.close();
  flaky.close();
});

const exec = createHttpExecutor({ defaultTimeoutMs: 2000 });
const run = (s: HttpScenarioInput, signal = new AbortController().signal) =>
  exec.run(
    { run_id: "r1", instance_id: "inst-0007", instance_index: 6, attempt: 1, scenario: httpScenario.parse(s) },
    signal,
  );

describe("HTTP executor", () => {
  it("carries variables from one response into the next request and checks every assertion kind", async () => {
    const r = await run({
      id: "shop",
      vars: { base: target.url },
      steps: [
        {
          name: "login",
          request: { method: "POST", url: "{{base}}/login", json: { user: "ann" } },
          extract: { token: "$.token", who: "$.user" },
          assert: [{ status: 200 }, { json_path: "$.user.name", equals: "ann" }],
        },
        {
          name: "cart",
          service: "cart",
          request: { url: "{{base}}/cart", headers: { Authorization: "Bearer {{token}}" } },
          assert: [
            { status: [200, 201] },
            { json_path: "$.items", contains: "pear" },
            { json_path: "$.owner", contains: "an" },
            { latency_below_ms: 5000, name: "fast enough" },
          ],
        },
        { name: "think", wait_ms: 10 },
        {
          name: "echo",
          request: {
            method: "PUT",
            url: `${flaky.url}/echo`,
            json: { who: "{{who}}", n: "{{instance_index}}", id: "x-{{instance_id}}" },
          },
        },
      ],
    });
    expect(r.instance).toMatchObject({ status: "pass", error: null });
    expect(r.steps.map((s) => [s.step_index, s.action_name, s.action_type, s.ok, s.status_code])).toEqual([
      [0, "login", "http", true, 200],
      [1, "cart", "http", true, 200],
      [2, "think", "wait", true, null],
      [3, "echo", "http", true, 200],
    ]);
    expect(r.assertions.map((a) => [a.assertion_name, a.passed])).toEqual([
      ["status == 200", true],
      ['$.user.name equals "ann"', true],
      ["status in [200, 201]", true],
      ['$.items contains "pear"', true],
      ['$.owner contains "an"', true],
      ["fast enough", true],
    ]);
    // A string that is exactly "{{var}}" takes the variable's JSON value; others are text.
    expect((r.steps[3]?.observation.body as { body: unknown } | undefined)?.body).toEqual({
      who: { name: "ann" },
      n: 6,
      id: "x-inst-0007",
    });
    expect(r.steps[1]?.observation).toMatchObject({
      service: "cart",
      protocol: "http",
      method: "GET",
      url: `${target.url}/cart`,
    });
  });

  it("retries 5xx and records every attempt", async () => {
    const r = await run({
      id: "flaky",
      steps: [{ name: "get", request: { url: `${flaky.url}/x`, retries: 2, retry_delay_ms: 10 } }],
    });
    expect(r.instance.status).toBe("pass");
    expect(r.steps[0]?.observation.attempts).toEqual([
      expect.objectContaining({ attempt: 1, status_code: 503 }),
      expect.objectContaining({ attempt: 2, status_code: 503 }),
      expect.objectContaining({ attempt: 3, status_code: 200 }),
    ]);
  });

  it("stops at the first failed step and says why", async () => {
    const r = await run({
      id: "fails",
      vars: { base: target.url },
      steps: [
        { name: "cart", request: { url: "{{base}}/cart" }, assert: [{ json_path: "$.items", contains: "pear" }] },
        { name: "never", request: { url: "{{base}}/login" } },
      ],
    });
    expect(r.instance.status).toBe("fail");
    expect(r.instance.error).toBe(
      "step 0 (cart): assertion '$.items contains \"pear\"' failed: $.items is not in the response",
    );
    expect(r.steps).toHaveLength(1);
    expect(r.assertions[0]).toMatchObject({ passed: false, expected: "pear" });

    const status = await run({
      id: "s",
      vars: { base: target.url },
      steps: [{ name: "cart", request: { url: "{{base}}/cart" } }],
    });
    expect(status.instance.error).toBe("step 0 (cart): status 401");

    const refused = await run({ id: "r", steps: [{ name: "down", request: { url: "http://127.0.0.1:1/" } }] });
    expect(refused.instance.error).toMatch(/^step 0 \(down\): connect ECONNREFUSED/);
    expect(refused.steps[0]).toMatchObject({ ok: false, status_code: null });

    const slow = await run({
      id: "t",
      vars: { base: target.url },
      steps: [{ name: "hang", request: { url: "{{base}}/hang", timeout_ms: 200 } }],
    });
    expect(slow.instance.error).toBe("step 0 (hang): no response within 200 ms");

    const missing = await run({
      id: "m",
      vars: { base: target.url },
      steps: [
        { name: "login", request: { method: "POST", url: "{{base}}/login", json: {} }, extract: { x: "$.nope" } },
      ],
    });
    expect(missing.instance.error).toBe("step 0 (login): extract x: $.nope is not in the response");
  });

  it("an abort (deadline) ends the running step and the instance", async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error("timed out: deadline")), 150);
    const r = await run(
      { id: "a", vars: { base: target.url }, steps: [{ name: "hang", request: { url: "{{base}}/hang" } }] },
      ac.signal,
    );
    expect(r.instance.status).toBe("fail");
    expect(r.steps[0]?.observation.errors).toEqual(["aborted: timed out: deadline"]);
  });

  it("refuses scenarios whose variables are not defined before use", () => {
    const bad = httpScenario.safeParse({
      id: "x",
      steps: [
        { name: "a", request: { url: "http://h/{{later}}" } },
        { name: "b", request: { url: "http://h/" }, extract: { later: "$.x" } },
      ],
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(["steps", 0, "request", "url"]);
    expect(renderJson(["{{a}}", "x{{a}}"], new Map([["a", 1]]))).toEqual([1, "x1"]);
  });
});
