/**
 * Text normalisation and feature extraction for short caller utterances and IVR prompts.
 *
 * Utterances arrive from speech recognition or from people typing test data, so the same
 * request shows up as "What's my balance?", "what is my balance" and "whats my balanse".
 * Normalisation folds case (by the text's language), accents, contractions and numbers; a Snowball
 * stemmer of the text's language folds inflections ("transfers"/"transferred", "kartımı"/"kartlarım");
 * character n-grams inside word boundaries keep misspelt words close to their correct spelling.
 */
import { type Language, type LanguageSetting, asciiFold, foldCase, languageOf } from "./language.js";
import { stem } from "./stemmer.js";

const CONTRACTIONS: readonly [RegExp, string][] = [
  [/\bcan['’]t\b/g, "can not"],
  [/\bwon['’]t\b/g, "will not"],
  [/\b(\w+)n['’]t\b/g, "$1 not"],
  [/\b(\w+)['’]re\b/g, "$1 are"],
  [/\b(\w+)['’]ve\b/g, "$1 have"],
  [/\b(\w+)['’]ll\b/g, "$1 will"],
  [/\b(\w+)['’]d\b/g, "$1 would"],
  [/\bi['’]m\b/g, "i am"],
  [/\b(what|where|how|who|that|there|it|here)['’]s\b/g, "$1 is"],
  [/\b(what|where|how|who|that|there|it|here)s\b/g, "$1 is"],
  [/['’]s\b/g, ""],
];

/**
 * Lower case (by the language's rules), contractions expanded (English), numbers as "0num", only
 * letters, digits and single spaces. English text also loses its accents ("Café" → "cafe"); Turkish
 * text keeps its letters for the stemmer ("KARTIMI" → "kartımı").
 */
export function normalize(text: string, language: LanguageSetting = "auto"): string {
  const lang = languageOf(text, language);
  let t = foldCase(text.normalize("NFC"), lang);
  if (lang === "en") {
    t = t.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
    for (const [pattern, replacement] of CONTRACTIONS) t = t.replace(pattern, replacement);
  }
  t = t.replace(/[$€£₺]?\d+(?:[.,]\d+)*/g, " 0num ");
  t = lang === "en" ? t.replace(/[^a-z0-9]+/g, " ") : t.replace(/[^\p{L}\p{N}]+/gu, " ");
  return t.trim();
}

/** Words of the normalised text. */
export function words(text: string, language: LanguageSetting = "auto"): string[] {
  const n = normalize(text, language);
  return n === "" ? [] : n.split(" ");
}

/** A text ready for feature extraction: its language and its words. */
export interface Analyzed {
  language: Language;
  tokens: string[];
}

export function analyze(text: string, language: LanguageSetting = "auto"): Analyzed {
  const lang = languageOf(text, language);
  return { language: lang, tokens: words(text, lang) };
}

export interface FeatureOptions {
  /** Word n-gram sizes to extract (1 = unigrams, 2 = bigrams). */
  wordNgrams: readonly number[];
  /** Character n-gram sizes inside word boundaries; empty for none. */
  charNgrams: readonly number[];
}

export const DEFAULT_FEATURES: FeatureOptions = { wordNgrams: [1, 2], charNgrams: [3, 4] };

/**
 * Counts of word n-grams of stems, keyed "w:stem" / "w:stem stem". Stems are taken in the text's
 * language, then folded to ASCII, so "kartımı" and "kartimi" give the same feature.
 */
export function wordFeatures(
  tokens: readonly string[],
  sizes: readonly number[],
  language: Language = "en",
): Map<string, number> {
  const stems = tokens.map((t) => asciiFold(stem(t, language)));
  const out = new Map<string, number>();
  for (const n of sizes) {
    for (let i = 0; i + n <= stems.length; i++) {
      const key = `w:${stems.slice(i, i + n).join(" ")}`;
      out.set(key, (out.get(key) ?? 0) + 1);
    }
  }
  return out;
}

/** Counts of character n-grams of each word (folded to ASCII) padded with spaces, keyed "c:gram". */
export function charFeatures(tokens: readonly string[], sizes: readonly number[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const token of tokens) {
    if (token === "0num") continue;
    const padded = ` ${asciiFold(token)} `;
    for (const n of sizes) {
      if (padded.length < n) continue;
      for (let i = 0; i + n <= padded.length; i++) {
        const key = `c:${padded.slice(i, i + n)}`;
        out.set(key, (out.get(key) ?? 0) + 1);
      }
    }
  }
  return out;
}

/** The word features of one text as the classifier sees them (language detected): for tests and debugging. */
export function wordFeaturesOf(text: string, language: LanguageSetting = "auto", sizes: readonly number[] = [1, 2]) {
  const a = analyze(text, language);
  return wordFeatures(a.tokens, sizes, a.language);
}
