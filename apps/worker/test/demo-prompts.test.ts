/**
 * The demo IVR's prompts against the seed's intent training data: the IVR words its answers its own
 * way (no sentence of a prompt is a training sample's sentence), and the model trained on the
 * validated seed samples still recognises each answer as the intent the seeded scenarios expect, at
 * or above that intent's seeded threshold.
 */
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { SEED_TRAINING } from "@verdict/db";
import { ModelCache } from "@verdict/ivr-runner";
import { spawnListening } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const DEMO_IVR = fileURLToPath(new URL("../../demo-ivr/src/main.ts", import.meta.url));
let ivr: ChildProcess;
let webhook = "";

beforeAll(async () => {
  ({ child: ivr, url: webhook } = await spawnListening(["--import", "tsx", DEMO_IVR, "--port", "0", "--quiet"], {
    name: "the demo IVR",
  }));
});

afterAll(async () => {
  if (ivr && ivr.exitCode === null) {
    ivr.kill("SIGTERM");
    await once(ivr, "exit");
  }
});

async function say(call_id: string, input: Record<string, string>): Promise<string> {
  const res = await fetch(webhook, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ call_id, input }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { prompt: string }).prompt;
}

/** What the IVR answers after its greeting to one caller input, on a call of its own. */
async function answer(call: string, input: Record<string, string>): Promise<string> {
  await say(call, { type: "start" });
  return say(call, input);
}

const sentences = (text: string) =>
  text
    .toLowerCase()
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.replace(/[^\p{L}\p{N} ]+/gu, "").trim())
    .filter((s) => s.split(" ").length >= 3);

describe("the demo IVR's prompts and the seed's training data", () => {
  const validated = SEED_TRAINING.filter((t) => t.validation_status === "validated").map((t) => ({
    text_sample: t.text_sample,
    intent_label: t.intent_label,
    confidence_threshold: t.confidence_threshold ?? 0.85,
  }));
  const trainingSentences = new Set(SEED_TRAINING.flatMap((t) => sentences(t.text_sample)));

  it("share no sentence, and each answer is recognised as its intent at the seeded threshold", async () => {
    const answers: [string, string][] = [
      [await answer("p1", { type: "speech", text: "what is my account balance" }), "check_balance"],
      [await answer("p2", { type: "dtmf", digits: "2" }), "transfer_funds"],
      [await answer("p3", { type: "speech", text: "I want to talk to a person" }), "speak_to_agent"],
      [await answer("p4", { type: "dtmf", digits: "3" }), "report_lost_card"],
    ];
    const model = new ModelCache().get(validated);
    for (const [prompt, intent] of answers) {
      for (const s of sentences(prompt)) expect(trainingSentences.has(s), `"${s}" is a training sentence`).toBe(false);
      for (const t of SEED_TRAINING) expect(prompt.toLowerCase()).not.toContain(t.text_sample.toLowerCase());
      const p = model.predict(prompt);
      expect(p.intent, prompt).toBe(intent);
      expect(p.confidence, prompt).toBeGreaterThanOrEqual(model.thresholdFor(intent) ?? 1);
    }
  });
});
