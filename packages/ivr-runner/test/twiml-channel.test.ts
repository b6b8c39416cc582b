import type { Scenario } from "@verdict/schema";
import { scenario as scenarioSchema } from "@verdict/schema";
import { TEST_IVR_AGENT, TEST_IVR_SIP, TEST_IVR_TEXT, type TwimlTestIvr, startTwimlTestIvr } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StepReport, TwimlChannel, createIvrExecutor } from "../src/index.js";

let ivr: TwimlTestIvr;
beforeAll(async () => {
  ivr = await startTwimlTestIvr();
});
afterAll(async () => {
  await ivr.close();
});

const at = (path: string) => new URL(path, ivr.url).toString();
const channel = (over: Partial<ConstructorParameters<typeof TwimlChannel>[0]> = {}) =>
  new TwimlChannel({ url: ivr.url, authToken: ivr.authToken, ...over });
const requestsOf = (sid: string) => ivr.requests.filter((r) => r.params.CallSid === sid);

function scenario(steps: unknown[], over: Partial<Scenario> = {}): Scenario {
  return scenarioSchema.parse({
    scenario_id: 1,
    slug: "twiml-test",
    name: "twiml test",
    description: null,
    target_phone: "+15550100",
    steps,
    timeout_seconds: 30,
    created_at: "2026-01-01T00:00:00.000Z",
    updated_at: "2026-01-01T00:00:00.000Z",
    ...over,
  });
}

async function run(s: Scenario, opts: { authToken?: string; url?: string } = {}) {
  const steps: StepReport[] = [];
  const executor = createIvrExecutor({
    ivrWebhookUrl: opts.url ?? ivr.url,
    ivrChannel: "twiml",
    authToken: opts.authToken ?? ivr.authToken,
  });
  const result = await executor.run({
    executionId: "e1",
    scenario: s,
    signal: new AbortController().signal,
    report: (r) => steps.push(r),
    trainingSamples: async () => [],
  });
  return { result, steps };
}

describe("TwimlChannel against a TwiML IVR written with the twilio package", () => {
  it("sends Twilio's parameters, signed so that twilio.validateRequest accepts them", async () => {
    const ch = channel();
    const sid = await ch.startCall("+15550100");
    expect(sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(await ch.receivePrompt()).toBe(TEST_IVR_TEXT.welcome);
    const [first] = requestsOf(sid);
    expect(first).toMatchObject({ path: "/voice", method: "POST", valid: true });
    expect(first?.params).toMatchObject({
      CallSid: sid,
      To: "+15550100",
      Called: "+15550100",
      From: "+15005550006",
      Caller: "+15005550006",
      Direction: "inbound",
      CallStatus: "ringing",
      ApiVersion: "2010-04-01",
    });
    expect(first?.params.AccountSid).toMatch(/^AC[0-9a-f]{32}$/);
    await ch.hangUp();
  });

  it("follows a DTMF menu with relative actions and the Redirect back to the menu", async () => {
    const ch = channel();
    const sid = await ch.startCall("+15550100");
    await ch.receivePrompt();
    await ch.sendDtmf("1");
    expect(await ch.receivePrompt()).toBe(`${TEST_IVR_TEXT.balance} ${TEST_IVR_TEXT.welcome}`);
    await ch.sendDtmf("7"); // invalid: the IVR says so and shows the menu again
    expect(await ch.receivePrompt()).toBe(`${TEST_IVR_TEXT.invalid} ${TEST_IVR_TEXT.welcome}`);
    const reqs = requestsOf(sid);
    expect(reqs.map((r) => `${r.method} ${r.path} ${r.params.Digits ?? ""}`.trim())).toEqual([
      "POST /voice",
      "POST /menu 1",
      "POST /voice",
      "POST /menu 7",
    ]);
    expect(reqs.every((r) => r.valid)).toBe(true);
    expect(reqs[1]?.params.CallStatus).toBe("in-progress");
    await ch.hangUp();
  });

  it("cuts digits at numDigits and at finishOnKey, sending FinishedOnKey", async () => {
    const ch = channel();
    await ch.startCall("+15550100");
    await ch.receivePrompt();
    await ch.sendDtmf("59"); // numDigits=1: only the 5 counts
    expect(await ch.receivePrompt()).toBe(TEST_IVR_TEXT.account);
    await ch.sendDtmf("1234#99");
    expect(await ch.receivePrompt()).toMatch(/^Account 1234 found\. Finished on key #\./);
    await ch.hangUp();
  });

  it("plays audio, follows a Redirect with method GET (signed over the URL with its query)", async () => {
    const ch = channel();
    const sid = await ch.startCall("+15550100");
    await ch.receivePrompt();
    await ch.sendDtmf("3");
    expect(await ch.receivePrompt()).toBe(TEST_IVR_TEXT.welcome);
    expect(ch.events().audio).toEqual([at("/audio/jingle.mp3")]);
    const get = requestsOf(sid).find((r) => r.method === "GET");
    expect(get).toMatchObject({ path: "/voice-get", valid: true });
    expect(get?.params.from).toBe("jingle");
    await ch.hangUp();
  });

  it("answers a speech Gather with SpeechResult and Confidence", async () => {
    const ch = channel({ speechConfidence: 0.75 });
    await ch.startCall("+15550100");
    await ch.receivePrompt();
    await ch.sendDtmf("4");
    expect(await ch.receivePrompt()).toBe(TEST_IVR_TEXT.speak);
    await expect(ch.sendDtmf("1")).rejects.toThrow(/input="speech" only/);
    await ch.sendUtterance("I want a person please");
    expect(await ch.receivePrompt()).toBe("You said I want a person please with confidence 0.75.");
    expect(ch.events().transfers).toEqual([{ kind: "sip", target: TEST_IVR_SIP, status: "completed" }]);
    expect(ch.events().ended?.by).toBe("completed");
  });

  it("records a Dial as a transfer and reports DialCallStatus to its action", async () => {
    const ch = channel({ dialCallStatus: "busy" });
    await ch.startCall("+15550100");
    await ch.receivePrompt();
    await ch.sendDtmf("2");
    expect(await ch.receivePrompt()).toBe(
      `${TEST_IVR_TEXT.agent} The agent call ended with status busy. ${TEST_IVR_TEXT.goodbye}`,
    );
    expect(ch.events()).toMatchObject({
      transfers: [{ kind: "number", target: TEST_IVR_AGENT, status: "busy" }],
      ended: { by: "hangup" },
    });
    await expect(ch.sendDtmf("1")).rejects.toThrow(/the IVR ended the call \(<Hangup>\)/);
  });

  it("on no input plays the verbs after the Gather, or requests the action when actionOnEmptyResult", async () => {
    const ch = channel();
    await ch.startCall("+15550100");
    await ch.receivePrompt();
    expect(await ch.sendSilence(2)).toBe(false); // shorter than the Gather's timeout of 4 s
    expect(await ch.sendSilence(4)).toBe(true);
    expect(await ch.receivePrompt()).toBe(`${TEST_IVR_TEXT.noInput} ${TEST_IVR_TEXT.welcome}`);
    await ch.hangUp();

    const empty = channel({ url: at("/empty") });
    const sid = await empty.startCall("+15550100");
    await empty.receivePrompt();
    expect(await empty.sendSilence(2)).toBe(true);
    expect(await empty.receivePrompt()).toBe("Digits were none.");
    const last = requestsOf(sid).at(-1);
    expect(last?.path).toBe("/empty-result");
    expect(last?.params).not.toHaveProperty("Digits");
  });

  it("stops a Redirect loop at the limit, and a Reject ends the call", async () => {
    const ch = channel({ url: at("/loop"), maxRedirects: 5 });
    await expect(ch.startCall("+15550100")).rejects.toThrow(/Redirect loop: more than 5 <Redirect>s in a row/);
    expect(requestsOf(ch.currentCallId ?? "").length).toBe(6);

    const busy = channel({ url: at("/busy") });
    await busy.startCall("+15550100");
    expect(await busy.receivePrompt()).toBe("");
    expect(busy.events().ended).toEqual({ by: "reject", detail: "busy" });
  });

  it("a wrong signature is refused with 403 and a message naming the signature", async () => {
    const ch = channel({ authToken: "not-the-token" });
    await expect(ch.startCall("+15550100")).rejects.toThrow(
      /answered the call's start \(POST .*\/voice\) with HTTP 403 \(the IVR refused the request: is X-Twilio-Signature made with the right auth token\?\)/,
    );
    const sid = ch.currentCallId;
    expect(sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(requestsOf(sid ?? "")).toMatchObject([{ path: "/voice", valid: false }]);
  });
});

describe("the IVR executor over the TwiML channel", () => {
  it("runs menus, speech, a transfer, audio, no input and a hang-up, each step with the CallSid", async () => {
    const s = scenario([
      { type: "prompt", expect: { all: [{ contains: "Test Bank" }, { regex: "press 1|Press 1" }] } },
      { type: "no_input", seconds: 5, expected_text: TEST_IVR_TEXT.noInput },
      { type: "dtmf", digits: "1" },
      {
        type: "prompt",
        expected_text: "your ballance is 42 dolars",
        match: "similar",
        similarity: 0.85,
      },
      { type: "validate", expected_text: "balance" },
      { type: "dtmf", digits: "3" },
      { type: "expect_audio", url_pattern: "jingle\\.mp3$" },
      { type: "dtmf", digits: "2" },
      {
        type: "prompt",
        expect: { any: [{ exact: "nope" }, { similar: "connecting you to the agent", threshold: 0.8 }] },
      },
      { type: "expect_transfer", to: "+15550100200" },
      { type: "expect_hangup" },
    ]);
    const { result, steps } = await run(s);
    expect(steps.map((st) => [st.step_type, st.status, st.error ?? null])).toEqual([
      ["prompt", "pass", null],
      ["prompt", "pass", null],
      ["dtmf", "pass", null],
      ["prompt", "pass", null],
      ["validate", "pass", null],
      ["dtmf", "pass", null],
      ["validate", "pass", null],
      ["dtmf", "pass", null],
      ["prompt", "pass", null],
      ["validate", "pass", null],
      ["validate", "pass", null],
    ]);
    expect(result).toMatchObject({ final_result: "pass", error: null });
    expect(result.call_id).toMatch(/^CA[0-9a-f]{32}$/);
    const reqs = requestsOf(result.call_id ?? "");
    expect(reqs.length).toBeGreaterThan(5);
    expect(reqs.every((r) => r.valid)).toBe(true);
  });

  it("fails outcome steps that did not happen, with the reason", async () => {
    const { result, steps } = await run(scenario([{ type: "expect_transfer" }]));
    expect(result.final_result).toBe("fail");
    expect(steps[0]).toMatchObject({ status: "fail", error: "the IVR did not transfer the call" });

    const more = await run(
      scenario([
        { type: "dtmf", digits: "2" },
        { type: "expect_transfer", to: "+1 555 999 0000" },
      ]),
    );
    expect(more.steps[1]?.error).toBe(
      `expected a transfer to +1 555 999 0000, the IVR transferred to ${TEST_IVR_AGENT} (number, completed)`,
    );

    const silent = await run(scenario([{ type: "no_input", seconds: 1 }]));
    expect(silent.steps[0]?.error).toMatch(/after 1 s of silence the IVR is still waiting/);

    const similar = await run(
      scenario([{ type: "prompt", expected_text: "Thanks for calling Other Bank", match: "similar" }]),
    );
    expect(similar.steps[0]?.status).toBe("fail");
    expect(similar.steps[0]?.error).toMatch(/similar to "Thanks for calling Other Bank", below the threshold 0\.80/);
  });

  it("a refused signature fails the first step with a clear message and still records the CallSid", async () => {
    const { result, steps } = await run(scenario([{ type: "prompt" }, { type: "dtmf", digits: "1" }]), {
      authToken: "wrong-token",
    });
    expect(result.final_result).toBe("fail");
    expect(result.call_id).toMatch(/^CA[0-9a-f]{32}$/);
    expect(steps[0]?.status).toBe("error");
    expect(steps[0]?.error).toMatch(
      /HTTP 403 \(the IVR refused the request: is X-Twilio-Signature made with the right auth token\?\)/,
    );
    expect(steps[1]).toMatchObject({ status: "skipped" });
    expect(requestsOf(result.call_id ?? "")).toMatchObject([{ valid: false }]);
  });
});
