import { DEFAULT_SIMILARITY, type MatchMode, type TextCheck } from "@verdict/schema";
import { distance } from "fastest-levenshtein";

/**
 * Checks of a prompt's text. Prompts come from speech recognition or TTS scripts, so
 * "contains" ignores case and runs of whitespace; "exact" ignores only surrounding and
 * repeated whitespace; "regex" is a JavaScript regular expression, unanchored; "similar"
 * passes when some stretch of the prompt is at least `threshold` (default 0.8) similar to the
 * expected text by normalized Levenshtein similarity (1 - distance / longer length, after
 * lower-casing and dropping punctuation; see bestSimilarity). Checks combine with all/any.
 */
export type { MatchMode };

export interface MatchResult {
  ok: boolean;
  /** Why it did not match, for the step's error. */
  reason: string | null;
  /** The expectation itself is unusable (an invalid regular expression): an error, not a failure. */
  invalid?: boolean;
}

const squash = (s: string) => s.replace(/\s+/g, " ").trim();

function quote(s: string, max = 80): string {
  const t = squash(s);
  return JSON.stringify(t.length > max ? `${t.slice(0, max - 3)}...` : t);
}

/** Lower-cased, punctuation dropped, whitespace squashed: what "similar" compares. */
function normalizeForSimilarity(s: string): string {
  return squash(s.toLocaleLowerCase().replace(/[^\p{L}\p{N}\s]+/gu, " "));
}

/** Normalized Levenshtein similarity in [0, 1] of two whole texts; 1 for identical texts. */
export function similarity(a: string, b: string): number {
  const x = normalizeForSimilarity(a);
  const y = normalizeForSimilarity(b);
  const longer = Math.max(x.length, y.length);
  if (longer === 0) return 1;
  return 1 - distance(x, y) / longer;
}

/**
 * How closely the prompt says the expected text somewhere: the best similarity between the
 * expected text and any stretch of the prompt one word shorter to one word longer than it
 * (IVR prompts run several sentences together; the expectation is usually one of them).
 */
export function bestSimilarity(prompt: string, expected: string): number {
  const words = normalizeForSimilarity(prompt)
    .split(" ")
    .filter((w) => w !== "");
  const want = normalizeForSimilarity(expected);
  const n = want.split(" ").filter((w) => w !== "").length;
  let best = similarity(prompt, expected);
  for (let len = Math.max(1, n - 1); len <= n + 1; len++) {
    for (let i = 0; i + len <= words.length; i++) {
      const got = similarity(words.slice(i, i + len).join(" "), want);
      if (got > best) best = got;
    }
  }
  return best;
}

export function matchPrompt(prompt: string, expected: string, mode: MatchMode, threshold?: number): MatchResult {
  switch (mode) {
    case "contains": {
      const ok = squash(prompt).toLowerCase().includes(squash(expected).toLowerCase());
      return { ok, reason: ok ? null : `prompt ${quote(prompt)} does not contain ${quote(expected)}` };
    }
    case "exact": {
      const ok = squash(prompt) === squash(expected);
      return { ok, reason: ok ? null : `prompt ${quote(prompt)} is not exactly ${quote(expected)}` };
    }
    case "regex": {
      let re: RegExp;
      try {
        re = new RegExp(expected);
      } catch (e) {
        return {
          ok: false,
          reason: `expected_text is not a valid regular expression: ${(e as Error).message}`,
          invalid: true,
        };
      }
      const ok = re.test(prompt);
      return { ok, reason: ok ? null : `prompt ${quote(prompt)} does not match /${expected}/` };
    }
    case "similar": {
      const min = threshold ?? DEFAULT_SIMILARITY;
      const got = bestSimilarity(prompt, expected);
      const ok = got >= min;
      return {
        ok,
        reason: ok
          ? null
          : `prompt ${quote(prompt)} is ${got.toFixed(2)} similar to ${quote(expected)}, below the threshold ${min.toFixed(2)}`,
      };
    }
  }
}

/** Evaluates a combined check: all passes when every part passes, any when at least one does. */
export function checkText(prompt: string, check: TextCheck): MatchResult {
  if ("contains" in check) return matchPrompt(prompt, check.contains, "contains");
  if ("exact" in check) return matchPrompt(prompt, check.exact, "exact");
  if ("regex" in check) return matchPrompt(prompt, check.regex, "regex");
  if ("similar" in check) return matchPrompt(prompt, check.similar, "similar", check.threshold);
  if ("all" in check) {
    for (const part of check.all) {
      const r = checkText(prompt, part);
      if (!r.ok) return r;
    }
    return { ok: true, reason: null };
  }
  const results = check.any.map((part) => checkText(prompt, part));
  if (results.some((r) => r.ok)) return { ok: true, reason: null };
  const invalid = results.find((r) => r.invalid);
  if (invalid) return invalid;
  return {
    ok: false,
    reason: `none of ${results.length} alternatives matched: ${results.map((r) => r.reason).join("; ")}`,
  };
}
