/**
 * Text normalisation and feature extraction for short caller utterances and IVR prompts.
 *
 * Utterances arrive from speech recognition or from people typing test data, so the same
 * request shows up as "What's my balance?", "what is my balance" and "whats my balanse".
 * Normalisation folds case, accents, contractions and numbers; a light suffix stemmer folds
 * inflections ("transfers", "transferred", "transferring"); character n-grams inside word
 * boundaries keep misspelt words close to their correct spelling.
 */

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

/** Lower case, no accents or contractions, numbers as "<num>", only letters, digits and single spaces. */
export function normalize(text: string): string {
  let t = text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  t = t.toLowerCase();
  for (const [pattern, replacement] of CONTRACTIONS) t = t.replace(pattern, replacement);
  t = t.replace(/[$€£]?\d+(?:[.,]\d+)*/g, " 0num ");
  t = t.replace(/[^a-z0-9]+/g, " ");
  return t.trim();
}

/** Words of the normalised text. */
export function words(text: string): string[] {
  const n = normalize(text);
  return n === "" ? [] : n.split(" ");
}

const VOWEL = /[aeiouy]/;

/**
 * A small suffix stemmer: plural and verb endings, a final silent "e" and a doubled final
 * consonant. Not Porter, but it maps the inflections callers actually use to one stem
 * ("balances"/"balance", "moving"/"move", "transferred"/"transfers"/"transfer").
 */
export function stem(word: string): string {
  if (word.length <= 3 || word === "0num") return word;
  let w = word;
  if (w.endsWith("ies") && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith("ing") && VOWEL.test(w.slice(0, -3)) && w.length > 5) w = w.slice(0, -3);
  else if (w.endsWith("ed") && VOWEL.test(w.slice(0, -2)) && w.length > 4) w = w.slice(0, -2);
  else if (w.endsWith("s") && !/(ss|us|is|ous)$/.test(w)) w = w.slice(0, -1);
  if (w.endsWith("e") && w.length > 3) w = w.slice(0, -1);
  if (w.length > 3 && /([b-df-hj-np-rtv-z])\1$/.test(w) && !/(ll|ss|zz)$/.test(w)) w = w.slice(0, -1);
  return w;
}

export interface FeatureOptions {
  /** Word n-gram sizes to extract (1 = unigrams, 2 = bigrams). */
  wordNgrams: readonly number[];
  /** Character n-gram sizes inside word boundaries; empty for none. */
  charNgrams: readonly number[];
}

export const DEFAULT_FEATURES: FeatureOptions = { wordNgrams: [1, 2], charNgrams: [3, 4] };

/** Counts of word n-grams (of stems), keyed "w:stem" / "w:stem stem". */
export function wordFeatures(tokens: readonly string[], sizes: readonly number[]): Map<string, number> {
  const stems = tokens.map(stem);
  const out = new Map<string, number>();
  for (const n of sizes) {
    for (let i = 0; i + n <= stems.length; i++) {
      const key = `w:${stems.slice(i, i + n).join(" ")}`;
      out.set(key, (out.get(key) ?? 0) + 1);
    }
  }
  return out;
}

/** Counts of character n-grams of each word padded with spaces, keyed "c:gram". */
export function charFeatures(tokens: readonly string[], sizes: readonly number[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const token of tokens) {
    if (token === "0num") continue;
    const padded = ` ${token} `;
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
