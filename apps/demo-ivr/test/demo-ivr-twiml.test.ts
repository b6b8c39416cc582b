import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { TwimlChannel } from "@verdict/ivr-runner";
import { spawnListening } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_NUMBER, NO_INPUT_PROMPT, PROMPTS } from "../src/index.js";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));

let ivr: Awaited<ReturnType<typeof spawnListening>>;

beforeAll(async () => {
  ivr = await spawnListening(["--import", "tsx", MAIN, "--port", "0", "--dialect", "twiml"], {
    name: "demo IVR (twiml)",
    stderr: "pipe",
  });
});

afterAll(async () => {
  if (ivr?.child.exitCode === null) {
    ivr.child.kill("SIGTERM");
    await once(ivr.child, "exit");
  }
});

async function call() {
  const ch = new TwimlChannel({ url: ivr.url });
  await ch.startCall("+15550100100");
  return ch;
}

describe("the demo IVR speaking TwiML (--dialect twiml)", () => {
  it("answers at /twiml with a Gather; DTMF and speech go to its relative action", async () => {
    expect(ivr.url).toMatch(/\/twiml\/voice$/);
    const ch = await call();
    expect(await ch.receivePrompt()).toBe(PROMPTS.greeting);
    await ch.sendDtmf("1");
    expect(await ch.receivePrompt()).toBe(PROMPTS.balance(120_456));
    await ch.sendUtterance("I would like to transfer money");
    expect(await ch.receivePrompt()).toBe(PROMPTS.transferMenu);
    await ch.sendDtmf("1#");
    expect(await ch.receivePrompt()).toBe(PROMPTS.transferDone(110_456));
    await ch.hangUp();
  });

  it("no input plays the no-input prompt and the menu again", async () => {
    const ch = await call();
    await ch.receivePrompt();
    expect(await ch.sendSilence(5)).toBe(true);
    expect(await ch.receivePrompt()).toBe(`${NO_INPUT_PROMPT} ${PROMPTS.menu}`);
    await ch.hangUp();
  });

  it("an agent is a transfer (<Dial>), goodbye a <Hangup>", async () => {
    const agent = await call();
    await agent.receivePrompt();
    await agent.sendUtterance("I want to talk to a person");
    expect(await agent.receivePrompt()).toBe(PROMPTS.agent);
    expect(agent.events().transfers).toEqual([{ kind: "number", target: AGENT_NUMBER, status: "completed" }]);

    const bye = await call();
    await bye.receivePrompt();
    await bye.sendUtterance("goodbye");
    expect(await bye.receivePrompt()).toBe(PROMPTS.goodbye);
    expect(bye.events().ended).toEqual({ by: "hangup", detail: "<Hangup>" });
  });
});
