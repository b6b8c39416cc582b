import { describe, expect, it } from "vitest";
import { ModelCache, type ModelSample } from "../src/index.js";

const prompts = (intent: string, texts: string[]): ModelSample[] =>
  texts.map((text_sample) => ({ text_sample, intent_label: intent, confidence_threshold: 0.5 }));

const BALANCE = prompts(
  "check_balance",
  Array.from({ length: 10 }, (_, i) => `Your available balance is ${100 + i * 37} dollars in checking account ${i}.`),
);
const AGENT = prompts("speak_to_agent", [
  "Please hold while I connect you to an agent.",
  "All of our representatives are busy. Please stay on the line.",
  "Sizi müşteri temsilcimize bağlıyorum, lütfen hatta kalınız.",
]);

describe("ModelCache warnings at training time", () => {
  it("names each intent with fewer than 10 samples, once per training", () => {
    const cache = new ModelCache();
    const lines: string[] = [];
    const warn = (line: string) => lines.push(line);
    cache.get([...BALANCE, ...AGENT], warn);
    expect(lines).toEqual([
      "intent 'speak_to_agent' has 3 validated samples (fewer than 10): its scores and threshold are unreliable",
    ]);
    cache.get([...AGENT, ...BALANCE], warn); // the same samples: no new training, no new warning
    expect(cache.trainings).toBe(1);
    expect(lines).toHaveLength(1);
  });

  it("says nothing when every intent has 10 samples or more", () => {
    const lines: string[] = [];
    const agents = prompts(
      "speak_to_agent",
      Array.from({ length: 10 }, (_, i) => `Please hold, agent number ${i} will take your call shortly.`),
    );
    new ModelCache().get([...BALANCE, ...agents], (l) => lines.push(l));
    expect(lines).toEqual([]);
  });
});
