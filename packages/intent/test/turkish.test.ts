import { beforeAll, describe, expect, it } from "vitest";
import {
  type ThresholdReport,
  asciiFold,
  detectLanguage,
  foldCase,
  normalize,
  smallIntents,
  stem,
  suggestThresholds,
  train,
  wordFeaturesOf,
} from "../src/index.js";
import { PROMPTS } from "./ivr-prompts.js";

describe("Turkish text", () => {
  it("folds case by Turkish rules: I → ı, İ → i", () => {
    expect(foldCase("KARTIMI", "tr")).toBe("kartımı");
    expect(foldCase("İSTANBUL", "tr")).toBe("istanbul");
    expect(foldCase("KARTIMI", "en")).toBe("kartimi");
  });

  it("keeps ı and the other Turkish letters (kartımı was 'kart m')", () => {
    expect(normalize("Kartımı kaybettim!")).toBe("kartımı kaybettim");
    expect(normalize("ŞİFREMİ UNUTTUM")).toBe("şifremi unuttum");
    expect(normalize("Bakiyem 1.204,50 ₺")).toBe("bakiyem 0num");
  });

  it("stems Turkish inflections with the Turkish Snowball stemmer", () => {
    expect(stem("kartımı", "tr")).toBe("kart");
    expect(stem("kartlarım", "tr")).toBe("kart");
    expect(stem("bakiyenizi", "tr")).toBe(stem("bakiyeniz", "tr"));
    expect(stem("transferring", "en")).toBe("transfer");
  });

  it("gives capitals, ASCII spelling and the original the same word features", () => {
    const original = wordFeaturesOf("Kartımı kaybettim, şifremi değiştirmek istiyorum");
    expect(wordFeaturesOf("KARTIMI KAYBETTİM, ŞİFREMİ DEĞİŞTİRMEK İSTİYORUM")).toEqual(original);
    expect(wordFeaturesOf("kartimi kaybettim, sifremi degistirmek istiyorum")).toEqual(original);
  });

  it("detects the language of every prompt, also when Turkish is typed in ASCII", () => {
    for (const p of PROMPTS) expect(detectLanguage(p.text), p.text).toBe(p.language);
    for (const p of PROMPTS.filter((x) => x.language === "tr"))
      expect(detectLanguage(asciiFold(p.text)), p.text).toBe("tr");
  });
});

describe("a bilingual set of IVR prompts (8 intents × 16, half Turkish)", () => {
  const samples = PROMPTS.map((p) => ({ text_sample: p.text, intent_label: p.intent, confidence_threshold: 0.85 }));
  let report: ThresholdReport;
  beforeAll(() => {
    report = suggestThresholds(samples, { folds: 5, seed: 1, targetPrecision: 0.95 });
    console.log(
      `bilingual IVR prompts, 5-fold CV: macro-F1 ${report.macroF1.toFixed(3)}; coverage flat 0.85 ${report.totals.flat.coverage.toFixed(3)} (accepted accuracy ${report.totals.flat.acceptedAccuracy.toFixed(3)}), suggested ${report.totals.suggested.coverage.toFixed(3)} (accepted accuracy ${report.totals.suggested.acceptedAccuracy.toFixed(3)})`,
    );
  }, 120_000);

  it("is the size the acceptance asks for", () => {
    const intents = new Set(PROMPTS.map((p) => p.intent));
    expect(intents.size).toBeGreaterThanOrEqual(8);
    for (const i of intents) {
      const of = PROMPTS.filter((p) => p.intent === i);
      expect(of.length).toBeGreaterThanOrEqual(15);
      expect(of.filter((p) => p.language === "tr").length * 2).toBe(of.length);
    }
  });

  it("classifies Turkish written in capitals or in ASCII like the original", () => {
    const model = train(samples);
    for (const p of PROMPTS.filter((x) => x.language === "tr")) {
      const original = model.predict(p.text);
      const upper = model.predict(p.text.toLocaleUpperCase("tr-TR"));
      expect(upper.intent, p.text).toBe(original.intent);
      expect(upper.confidence).toBeCloseTo(original.confidence, 9);
      expect(model.predict(asciiFold(p.text)).intent, p.text).toBe(original.intent);
    }
  });

  it("classifies hand-written capitals (İ/I) and ASCII spellings of a new prompt like the original", () => {
    const model = train(samples);
    const original = model.predict("Hesabımı kapatmak için değil, hesabınızın bakiyesini öğrenmek için 1'e basınız.");
    const variants = [
      "HESABIMI KAPATMAK İÇİN DEĞİL, HESABINIZIN BAKİYESİNİ ÖĞRENMEK İÇİN 1'E BASINIZ.",
      "hesabimi kapatmak icin degil, hesabinizin bakiyesini ogrenmek icin 1'e basiniz.",
      "HESABIMI KAPATMAK ICIN DEGIL, HESABINIZIN BAKIYESINI OGRENMEK ICIN 1'E BASINIZ.",
    ];
    for (const v of variants) {
      const p = model.predict(v);
      expect(p.intent, v).toBe(original.intent);
      expect(p.confidence, v).toBeCloseTo(original.confidence, 9);
    }
  });

  it("learns well above chance (1/8) on held-out prompts", () => {
    expect(report.macroF1).toBeGreaterThan(0.5);
  });

  it("suggests per-intent thresholds that reject fewer right answers than a flat 0.85 without accepting more wrong ones", () => {
    for (const t of report.perIntent) {
      expect(t.suggested).toBeGreaterThanOrEqual(0.05);
      expect(t.suggested).toBeLessThanOrEqual(0.99);
      if (t.reached) expect(t.precision).toBeGreaterThanOrEqual(0.95);
    }
    const { flat, suggested } = report.totals;
    expect(suggested.falseRejections).toBeLessThan(flat.falseRejections);
    expect(suggested.coverage).toBeGreaterThan(flat.coverage);
    expect(suggested.acceptedAccuracy).toBeGreaterThanOrEqual(flat.acceptedAccuracy);
    expect(report.warnings).toEqual([]);
  });

  it("warns about intents with fewer than 10 validated samples", () => {
    const few = samples
      .filter((s) => s.intent_label !== "goodbye")
      .concat(samples.filter((s) => s.intent_label === "goodbye").slice(0, 4));
    expect(smallIntents(few)).toEqual([
      "intent 'goodbye' has 4 validated samples (fewer than 10): its scores and threshold are unreliable",
    ]);
  });
});
