/// <reference path="./snowball.d.ts" />
import snowball from "snowball-stemmers";
import type { Language } from "./language.js";

/**
 * Snowball stemmers (the published algorithms of Porter's Snowball project, through the
 * `snowball-stemmers` package): English (Porter2) and Turkish (Eryiğit & Adalı's suffix stripper).
 * One instance per language, created on first use.
 */
const ALGORITHM: Record<Language, string> = { en: "english", tr: "turkish" };
const cache = new Map<Language, snowball.Stemmer>();

function stemmerFor(language: Language): snowball.Stemmer {
  let s = cache.get(language);
  if (!s) {
    s = snowball.newStemmer(ALGORITHM[language]);
    cache.set(language, s);
  }
  return s;
}

/** The stem of one lower-cased word in the given language; numbers (0num) and short words stay as they are. */
export function stem(word: string, language: Language = "en"): string {
  if (word.length <= 2 || word === "0num") return word;
  return stemmerFor(language).stem(word);
}
