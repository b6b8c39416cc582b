import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { freePort, spawnListening } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChannelError, ChannelTimeoutError, WebhookChannel } from "@verdict/ivr-runner";

const DEMO_IVR = fileURLToPath(new URL("../../demo-ivr/src/main.ts", import.meta.url));

let ivr: ChildProcess;
let url = "";

/** The real demo IVR process on 127.0.0.1 (from source through tsx, so no build is needed). */
const startDemoIvr = () =>
  spawnListening(["--import", "tsx", DEMO_IVR, "--port", "0", "--quiet"], { name: "the demo IVR" });

beforeAll(async () => {
  ({ child: ivr, url } = await startDemoIvr());
});

afterAll(async () => {
  if (ivr && ivr.exitCode === null) {
    ivr.kill("SIGTERM");
    await once(ivr, "exit");
  }
});

describe("WebhookChannel against the demo IVR", () => {
  it("places a call, hears the greeting, sends DTMF and speech and hears each answer", async () => {
    const channel = new WebhookChannel({ url });
    const callId = await channel.startCall("+15550100100");
    expect(callId).toMatch(/^call-[0-9a-f-]{36}$/);
    expect(await channel.receivePrompt({ timeoutMs: 1000 })).toMatch(/^Welcome to Acme Bank\./);
    await channel.sendDtmf("2");
    expect(await channel.receivePrompt({ timeoutMs: 1000 })).toMatch(/^You chose to transfer money/);
    await channel.sendUtterance("cancel that");
    await channel.sendUtterance("how much money do I have");
    // prompts queue in the order the IVR played them
    expect(await channel.receivePrompt()).toMatch(/transfer was cancelled/);
    expect(await channel.receivePrompt()).toContain("Your balance is 1,204 dollars and 56 cents");
    await channel.hangUp();
    await channel.hangUp(); // idempotent
    await expect(channel.sendDtmf("1")).rejects.toThrow(`call ${callId} has been hung up`);
    const health = (await (await fetch(new URL("/health", url))).json()) as { calls: number };
    expect(health.calls).toBe(0);
  });

  it("times out waiting for a prompt the IVR never plays", async () => {
    const channel = new WebhookChannel({ url });
    await channel.startCall("+15550100100");
    await channel.receivePrompt();
    const started = Date.now();
    const err = await channel.receivePrompt({ timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelTimeoutError);
    expect((err as Error).message).toBe("no answer from the IVR to a prompt within 300 ms");
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    // a send the IVR never answers (its hang digit) is cut off by the caller's signal
    const send = await channel.sendDtmf("7", { signal: AbortSignal.timeout(300) }).catch((e: unknown) => e);
    expect(send).toBeInstanceOf(ChannelTimeoutError);
    expect((send as Error).message).toBe("no answer from the IVR to DTMF 7 in time");
    await channel.hangUp();
  });

  it("reports HTTP errors, protocol errors and an unreachable IVR as one-line ChannelErrors", async () => {
    const wrongPath = new WebhookChannel({ url: new URL("/nope", url).toString() });
    await expect(wrongPath.startCall("+1")).rejects.toThrow(
      new ChannelError("the IVR webhook answered the call's start with HTTP 404: no such endpoint: /nope"),
    );
    const port = await freePort();
    const closed = new WebhookChannel({ url: `http://127.0.0.1:${port}/webhook` });
    await expect(closed.startCall("+1")).rejects.toThrow(
      new RegExp(`^cannot reach the IVR webhook at http://127\\.0\\.0\\.1:${port}/webhook: .*ECONNREFUSED`),
    );
    expect(() => new WebhookChannel({ url: "ftp://x" })).toThrow(
      "IVR webhook URL must be http or https, got 'ftp://x'",
    );
    const channel = new WebhookChannel({ url });
    await expect(channel.receivePrompt()).rejects.toThrow("no call in progress: startCall() first");
    await channel.startCall("+1");
    await expect(channel.sendDtmf("12x")).rejects.toThrow("DTMF digits must match [0-9*#A-D]+, got '12x'");
    await channel.hangUp();
  });
});
