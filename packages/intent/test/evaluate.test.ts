import { describe, expect, it } from "vitest";
import { IntentDataError, type LabeledText, evaluate, seededRandom, stratifiedFolds } from "../src/index.js";
import { BASE, TRAIN } from "./banking-samples.js";

const SEEDED: LabeledText[] = BASE.map((u) => ({
  text_sample: u.text,
  intent_label: u.intent,
  confidence_threshold: 0.8,
}));
const ALL: LabeledText[] = [
  ...SEEDED,
  ...TRAIN.map((u) => ({ text_sample: u.text, intent_label: u.intent, confidence_threshold: 0.6 })),
];

describe("stratified folds", () => {
  it("deals every label evenly over the folds, reproducibly per seed", () => {
    const labels = ALL.map((s) => s.intent_label);
    const fold = stratifiedFolds(labels, 5, 3);
    for (const label of new Set(labels)) {
      const n = labels.filter((l) => l === label).length;
      for (let f = 0; f < 5; f++) {
        const inFold = labels.filter((l, i) => l === label && fold[i] === f).length;
        expect(inFold).toBeGreaterThanOrEqual(Math.floor(n / 5));
        expect(inFold).toBeLessThanOrEqual(Math.ceil(n / 5));
      }
    }
    expect(stratifiedFolds(labels, 5, 3)).toEqual(fold);
    expect(stratifiedFolds(labels, 5, 4)).not.toEqual(fold);
  });
});

describe("cross-validated evaluation", () => {
  it("scores the banking samples far above chance, with metrics that agree with the confusion matrix", () => {
    const e = evaluate(ALL, { folds: 5, seed: 7 });
    expect(e.samples).toBe(ALL.length);
    expect(e.predictions).toHaveLength(ALL.length);
    expect(e.accuracy).toBeGreaterThan(0.85); // 4 intents: chance is 0.25
    expect(e.macro.f1).toBeGreaterThan(0.85);
    const { labels, matrix } = e.confusion;
    expect(labels).toEqual(["check_balance", "report_lost_card", "speak_to_agent", "transfer_funds"]);
    const total = matrix.flat().reduce((a, b) => a + b, 0);
    expect(total).toBe(ALL.length);
    labels.forEach((label, k) => {
      const score = e.perIntent[k];
      const row = matrix[k] ?? [];
      const tp = row[k] ?? 0;
      const predicted = matrix.reduce((a, r) => a + (r[k] ?? 0), 0);
      expect(score?.intent).toBe(label);
      expect(score?.support).toBe(ALL.filter((s) => s.intent_label === label).length);
      expect(score?.recall).toBeCloseTo(tp / (score?.support ?? 1), 12);
      expect(score?.precision).toBeCloseTo(tp / predicted, 12);
    });
    const diagonal = labels.reduce((a, _, k) => a + (matrix[k]?.[k] ?? 0), 0);
    expect(e.accuracy).toBeCloseTo(diagonal / total, 12);
    expect(e.micro.f1).toBeCloseTo(e.accuracy, 12);
    const meanF1 = e.perIntent.reduce((a, s) => a + s.f1, 0) / e.perIntent.length;
    expect(e.macro.f1).toBeCloseTo(meanF1, 12);
    // every sample was predicted by a model trained without it: one fold per sample, all folds used
    expect(new Set(e.predictions.map((p) => p.fold))).toEqual(new Set([0, 1, 2, 3, 4]));
  });

  it("gives calibrated confidences: on held-out predictions, confidence tracks accuracy", () => {
    const e = evaluate(ALL, { folds: 5, seed: 1 });
    const bins = Array.from({ length: 5 }, () => ({ n: 0, confidence: 0, correct: 0 }));
    for (const p of e.predictions) {
      const bin = bins[Math.min(4, Math.floor(p.confidence * 5))];
      if (!bin) continue;
      bin.n++;
      bin.confidence += p.confidence;
      bin.correct += p.predicted === p.actual ? 1 : 0;
    }
    const ece = bins.reduce((a, b) => a + Math.abs(b.confidence - b.correct), 0) / e.predictions.length;
    expect(ece).toBeLessThan(0.1);
    // Thresholds (0.6/0.8 here) keep most predictions and the kept ones are right.
    expect(e.thresholds.coverage).toBeGreaterThan(0.6);
    expect(e.thresholds.acceptedAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(e.thresholds.acceptedAccuracy).toBeGreaterThanOrEqual(e.accuracy);
  });

  it("drops towards chance when the labels are shuffled (the score measures learning, not the setup)", () => {
    const random = seededRandom(5);
    const labels = ALL.map((s) => s.intent_label);
    for (let i = labels.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [labels[i], labels[j]] = [labels[j] ?? "", labels[i] ?? ""];
    }
    const permuted = ALL.map((s, i) => ({ ...s, intent_label: labels[i] ?? "" }));
    const real = evaluate(ALL, { folds: 5, seed: 1 });
    const noise = evaluate(permuted, { folds: 5, seed: 1 });
    expect(noise.accuracy).toBeLessThan(0.5);
    expect(real.accuracy - noise.accuracy).toBeGreaterThan(0.4);
  });

  it("is reproducible for a seed", () => {
    const a = evaluate(SEEDED, { folds: 3, seed: 11 });
    const b = evaluate(SEEDED, { folds: 3, seed: 11 });
    expect(b).toEqual(a);
    expect(a.accuracy).toBeGreaterThan(0.5);
  });

  it("does not depend on the order of the samples (a database returns them in any order)", () => {
    const random = seededRandom(5);
    const shuffled = [...ALL].sort(() => random() - 0.5);
    const a = evaluate(ALL, { folds: 5, seed: 2 });
    const b = evaluate(shuffled, { folds: 5, seed: 2 });
    expect(b.macro).toEqual(a.macro);
    expect(b.confusion).toEqual(a.confusion);
    expect(b.thresholds).toEqual(a.thresholds);
    const byText = (e: typeof a) => new Map(e.predictions.map((p) => [p.text, [p.predicted, p.confidence, p.fold]]));
    expect(byText(b)).toEqual(byText(a));
  });

  it("refuses folds that some intent cannot fill, naming the intents", () => {
    // seeded: check_balance 4, report_lost_card 3, speak_to_agent 4, transfer_funds 3 validated
    expect(() => evaluate(SEEDED, { folds: 5 })).toThrow(
      new IntentDataError(
        "too few samples for 5 folds: every intent needs at least 5, but check_balance (4), report_lost_card (3), speak_to_agent (4), transfer_funds (3) have fewer; add samples or lower --folds",
      ),
    );
    expect(() => evaluate(SEEDED, { folds: 4 })).toThrow(/report_lost_card \(3\), transfer_funds \(3\) have fewer/);
    expect(() => evaluate(SEEDED, { folds: 1 })).toThrow(/folds must be a whole number ≥ 2/);
    expect(() => evaluate(SEEDED.slice(0, 4), { folds: 2 })).toThrow(/at least 2 intents/);
  });
});
