import { describe, expect, it } from "vitest";
import { IntentDataError, type LabeledText, normalize, seededRandom, stem, train, words } from "../src/index.js";
import { BASE, HELD_OUT, MISRECOGNISED, TRAIN } from "./banking-samples.js";

/** A small base set of caller utterances (3-4 per intent). */
const SEEDED: LabeledText[] = BASE.map((u) => ({
  text_sample: u.text,
  intent_label: u.intent,
  confidence_threshold: 0.8,
}));
const EXTRA: LabeledText[] = TRAIN.map((u) => ({
  text_sample: u.text,
  intent_label: u.intent,
  confidence_threshold: 0.6,
}));
const ALL = [...SEEDED, ...EXTRA];

function accuracy(model: ReturnType<typeof train>, set: { text: string; intent: string }[]): number {
  return set.filter((u) => model.predict(u.text).intent === u.intent).length / set.length;
}

describe("text normalisation", () => {
  it("folds case, accents, contractions, numbers and punctuation", () => {
    expect(normalize("What's my BALANCE? I can't see €1,204.50!")).toBe("what is my balance i can not see 0num");
    expect(normalize("Café  déjà-vu")).toBe("cafe deja vu");
    expect(words("  ")).toEqual([]);
  });

  it("stems inflections of one word to one stem", () => {
    expect(new Set(["transfer", "transfers", "transferred", "transferring"].map((w) => stem(w)))).toEqual(
      new Set(["transfer"]),
    );
    expect(stem("balances")).toBe(stem("balance"));
    expect(stem("moving")).toBe(stem("move"));
    expect(stem("cards")).toBe("card");
    expect(stem("access")).toBe("access");
    expect(stem("my")).toBe("my");
  });
});

describe("training and prediction", () => {
  it("trained on the small base set alone, recognises most unseen requests (chance is 25%)", () => {
    const model = train(SEEDED);
    expect(model.intents).toEqual(["check_balance", "report_lost_card", "speak_to_agent", "transfer_funds"]);
    expect(accuracy(model, HELD_OUT)).toBeGreaterThanOrEqual(0.8);
  });

  it("with more samples gets every held-out request right and most misrecognised ones", () => {
    const model = train(ALL);
    expect(accuracy(model, HELD_OUT)).toBe(1);
    expect(accuracy(model, MISRECOGNISED)).toBeGreaterThanOrEqual(0.75);
    const p = model.predict("I'd like my account balance please");
    expect(p.intent).toBe("check_balance");
    expect(p.accepted).toBe(true);
    expect(p.ranking.map((r) => r.intent)[0]).toBe("check_balance");
    expect(p.ranking.reduce((a, r) => a + r.confidence, 0)).toBeCloseTo(1, 9);
    expect(p.ranking.every((r, i, all) => i === 0 || (all[i - 1]?.confidence ?? 0) >= r.confidence)).toBe(true);
  });

  it("takes each intent's threshold from its samples (max by default, mean on request)", () => {
    const samples = [
      ...SEEDED,
      { text_sample: "balance of my checking account", intent_label: "check_balance", confidence_threshold: 0.95 },
    ];
    expect(train(samples).thresholds).toEqual({
      check_balance: 0.95,
      report_lost_card: 0.8,
      speak_to_agent: 0.8,
      transfer_funds: 0.8,
    });
    expect(train(samples, { thresholdPolicy: "mean" }).thresholdFor("check_balance")).toBeCloseTo(0.83, 9);
    expect(train(SEEDED.map(({ confidence_threshold: _, ...s }) => s)).thresholdFor("check_balance")).toBe(0.5);
  });

  it("accepts a prediction only at or above the intent's threshold", () => {
    const lenient = train(ALL);
    const strict = train(
      ALL.map((s) => ({ ...s, confidence_threshold: s.intent_label === "transfer_funds" ? 1 : 0.6 })),
    );
    // An ambiguous request: "transfer" pulls towards transfers, "person" towards an agent.
    const text = "transfer money to a person";
    const a = lenient.predict(text);
    const b = strict.predict(text);
    expect(b.confidence).toBeCloseTo(a.confidence, 12); // thresholds do not change probabilities
    expect(b.intent).toBe("transfer_funds");
    expect(b.threshold).toBe(1);
    expect(b.accepted).toBe(false);
    for (const u of HELD_OUT) {
      const p = lenient.predict(u.text);
      expect(p.accepted).toBe(p.confidence >= p.threshold && p.knownFeatures > 0);
    }
  });

  it("does not accept text that shares no words with the training data", () => {
    const p = train(ALL).predict("weather forecast, paris, tomorrow");
    expect(p.knownFeatures).toBe(0);
    expect(p.accepted).toBe(false);
    expect(p.confidence).toBeLessThan(0.6);
  });

  it("is deterministic and independent of sample order", () => {
    const random = seededRandom(42);
    const reordered = [...ALL].sort(() => random() - 0.5);
    const a = train(ALL);
    const b = train(reordered);
    for (const u of [...HELD_OUT, ...MISRECOGNISED]) expect(b.probabilities(u.text)).toEqual(a.probabilities(u.text));
    expect(a.info.converged).toBe(true);
  });

  it("rejects unusable samples with the sample number and field", () => {
    expect(() => train([...SEEDED, { text_sample: "  ", intent_label: "check_balance" }])).toThrow(
      new IntentDataError("sample 15: text_sample: must not be empty"),
    );
    expect(() => train(SEEDED.filter((s) => s.intent_label === "check_balance"))).toThrow(
      /at least 2 intents to train, got 1 \(check_balance\)/,
    );
    expect(() => train([...SEEDED.slice(0, 3), { ...SEEDED[4], confidence_threshold: 1.5 } as LabeledText])).toThrow(
      /sample 4: confidence_threshold/,
    );
  });
});
