/**
 * Checks of a prompt's text. Prompts come from speech recognition or TTS scripts, so
 * "contains" ignores case and runs of whitespace; "exact" ignores only surrounding and
 * repeated whitespace; "regex" is a JavaScript regular expression, unanchored.
 */
export type MatchMode = "contains" | "exact" | "regex";

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

export function matchPrompt(prompt: string, expected: string, mode: MatchMode): MatchResult {
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
  }
}
