import { readFileSync } from "node:fs";

/**
 * What IVRs say, in English and Turkish, labelled with the state of the call the prompt belongs to:
 * the "IVR response text" that Verdict's intent steps classify (fixtures/ivr-prompts.jsonl, one
 * {text, intent, language} per line). Written for these tests in the style of banking IVRs (menus,
 * read-outs, confirmations, errors); the prompts of one intent share few words, so the classifier
 * has to generalise. 8 intents × 16 prompts, half Turkish. The CLI tests import the same file.
 */
export interface Prompt {
  text: string;
  intent: string;
  language: "en" | "tr";
}

export const PROMPTS_FILE = new URL("./fixtures/ivr-prompts.jsonl", import.meta.url);

export const PROMPTS: Prompt[] = readFileSync(PROMPTS_FILE, "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "")
  .map((l) => JSON.parse(l) as Prompt);
