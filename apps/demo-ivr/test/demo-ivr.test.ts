import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { spawnListening } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { understand } from "../src/index.js";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

function run(args: string[]): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Starts the real demo IVR process and waits for its "listening" line. */
const startIvr = (args: string[] = []) =>
  spawnListening(["--import", "tsx", MAIN, "--port", "0", ...args], { name: "demo IVR", stderr: "pipe" });

let ivr: Awaited<ReturnType<typeof startIvr>>;

async function post(body: unknown, signal?: AbortSignal): Promise<{ status: number; json: Record<string, string> }> {
  const res = await fetch(ivr.url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, string> };
}

async function say(call_id: string, input: Record<string, string>): Promise<string> {
  const r = await post({ call_id, input });
  expect(r.status).toBe(200);
  return r.json.prompt ?? "";
}

beforeAll(async () => {
  ivr = await startIvr();
});

afterAll(async () => {
  if (ivr?.child.exitCode === null) {
    ivr.child.kill("SIGTERM");
    await once(ivr.child, "exit");
  }
});

describe("keyword understanding", () => {
  it("maps caller phrasing to the menu's choices, agents before transfers, lost cards before everything", () => {
    expect(understand("what is my account balance")).toBe("balance");
    expect(understand("How much money do I have?")).toBe("balance");
    expect(understand("I'd like to move money to savings")).toBe("transfer");
    expect(understand("I want to talk to a person")).toBe("agent");
    expect(understand("transfer me to a representative")).toBe("agent");
    expect(understand("my card was stolen, block it")).toBe("lost_card");
    expect(understand("the weather")).toBe("unknown");
  });
});

describe("the demo IVR process over HTTP", () => {
  it("greets, reads the balance on request and keeps each call's state apart", async () => {
    expect(ivr.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhook$/);
    expect(await say("c1", { type: "start" })).toMatch(/^Welcome to Acme Bank\./);
    expect(await say("c2", { type: "start" })).toMatch(/^Welcome to Acme Bank\./);
    expect(await say("c1", { type: "speech", text: "what is my account balance" })).toContain(
      "Your balance is 1,204 dollars and 56 cents",
    );
    // c2 transfers; c1's balance is unaffected, c2's drops by 100 dollars
    expect(await say("c2", { type: "dtmf", digits: "2" })).toMatch(/^You chose to transfer money/);
    expect(await say("c2", { type: "dtmf", digits: "1#" })).toContain(
      "Your transfer of 100 dollars to savings is confirmed",
    );
    expect(await say("c2", { type: "dtmf", digits: "1" })).toContain("Your balance is 1,104 dollars and 56 cents");
    expect(await say("c1", { type: "dtmf", digits: "1" })).toContain("Your balance is 1,204 dollars and 56 cents");
    expect(await say("c1", { type: "speech", text: "I want to talk to a person" })).toMatch(
      /^Connecting you to an agent/,
    );
    expect(await say("c1", { type: "hangup" })).toContain("Goodbye");
    expect((await post({ call_id: "c1", input: { type: "dtmf", digits: "1" } })).status).toBe(404);
  });

  it("reprompts on what it does not understand and hands over to an agent after three misses", async () => {
    await say("c3", { type: "start" });
    expect(await say("c3", { type: "speech", text: "tell me a joke" })).toMatch(/^Sorry, I did not understand/);
    expect(await say("c3", { type: "dtmf", digits: "5" })).toMatch(/^Sorry, I did not understand/);
    expect(await say("c3", { type: "speech", text: "banana" })).toContain("Connecting you to an agent");
  });

  it("answers bad requests with a status and a one-line error naming the field", async () => {
    expect(await post("{not json")).toEqual({ status: 400, json: { error: "request body is not valid JSON" } });
    const bad = await post({ call_id: "c4", input: { type: "dtmf", digits: "12x" } });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe("input.digits: must match [0-9*#A-D]+");
    expect((await post({ input: { type: "start" } })).json.error).toMatch(/^call_id: /);
    await say("c5", { type: "start" });
    expect((await post({ call_id: "c5", input: { type: "start" } })).status).toBe(409);
  });

  it("never answers the hang digits (so callers' timeouts can be tested) and keeps serving others", async () => {
    await say("c6", { type: "start" });
    const started = Date.now();
    await expect(
      post({ call_id: "c6", input: { type: "dtmf", digits: "7" } }, AbortSignal.timeout(400)),
    ).rejects.toThrow(/abort|timeout/i);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(await say("c7", { type: "start" })).toMatch(/^Welcome/);
    expect(ivr.lines.some((l) => l.includes('"msg":"hanging"') && l.includes('"call_id":"c6"'))).toBe(true);
  });

  it("stops on SIGTERM even with a request left hanging", async () => {
    const other = await startIvr(["--hang-phrase", "wait for me"]);
    await fetch(other.url, { method: "POST", body: JSON.stringify({ call_id: "h", input: { type: "start" } }) });
    const hanging = fetch(other.url, {
      method: "POST",
      body: JSON.stringify({ call_id: "h", input: { type: "speech", text: "please WAIT FOR ME" } }),
    }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 200));
    other.child.kill("SIGTERM");
    const [code] = await once(other.child, "exit");
    expect(code).toBe(0);
    expect(await hanging).toBeInstanceOf(Error);
    expect(other.lines.some((l) => l.includes('"msg":"shutting down"'))).toBe(true);
  });

  it("refuses bad flags with one line and exit code 64", async () => {
    const child = run(["--port", "http"]);
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString("utf8");
    });
    const [code] = await once(child, "exit");
    expect(code).toBe(64);
    expect(stderr.split("\n")[0]).toBe("error: --port: expected a whole number 0-65535, got 'http'");
    expect(stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });
});
