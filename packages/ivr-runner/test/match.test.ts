import { stepDefinition } from "@verdict/schema";
import { describe, expect, it } from "vitest";
import { bestSimilarity, checkText, matchPrompt, similarity } from "../src/index.js";

describe("prompt matching", () => {
  it("similarity is normalized Levenshtein over lower-cased text without punctuation", () => {
    expect(similarity("Hello, World!", "hello world")).toBe(1);
    // "kitten" -> "sitting": distance 3 over 7 characters
    expect(similarity("kitten", "sitting")).toBeCloseTo(1 - 3 / 7, 10);
    expect(similarity("", "")).toBe(1);
  });

  it("similar finds the expected sentence inside a longer prompt", () => {
    const prompt = "Welcome to Acme Bank. For your balance press 1. For an agent press 0.";
    expect(bestSimilarity(prompt, "for your balence press one")).toBeGreaterThan(0.75);
    expect(matchPrompt(prompt, "for an agent press 0", "similar").ok).toBe(true);
    const miss = matchPrompt(prompt, "your card has been blocked", "similar", 0.9);
    expect(miss.ok).toBe(false);
    expect(miss.reason).toMatch(/below the threshold 0\.90$/);
  });

  it("all needs every part, any one of them; the first failing part is the reason", () => {
    const prompt = "Your balance is 42 dollars.";
    expect(checkText(prompt, { all: [{ contains: "balance" }, { regex: "\\d+ dollars" }] }).ok).toBe(true);
    const all = checkText(prompt, { all: [{ contains: "balance" }, { exact: "Goodbye." }] });
    expect(all).toMatchObject({ ok: false, reason: 'prompt "Your balance is 42 dollars." is not exactly "Goodbye."' });
    expect(checkText(prompt, { any: [{ exact: "Goodbye." }, { similar: "your balance is 42 dolars" }] }).ok).toBe(true);
    const any = checkText(prompt, { any: [{ exact: "a" }, { contains: "b c" }] });
    expect(any.ok).toBe(false);
    expect(any.reason).toMatch(/^none of 2 alternatives matched: /);
  });

  it("the new step kinds are strict and check their fields", () => {
    const paths = (v: unknown) => stepDefinition.safeParse(v).error?.issues.map((i) => i.path.join("."));
    expect(stepDefinition.parse({ type: "expect_transfer", to: "+15550100" })).toEqual({
      type: "expect_transfer",
      to: "+15550100",
    });
    expect(paths({ type: "expect_hangup", extra: 1 })).toEqual([""]);
    expect(paths({ type: "expect_audio", url_pattern: "(" })).toEqual(["url_pattern"]);
    expect(paths({ type: "no_input" })).toEqual(["seconds"]);
    expect(paths({ type: "prompt", expected_text: "a", expect: { contains: "b" } })).toEqual(["expect"]);
    expect(stepDefinition.safeParse({ type: "prompt", expect: { all: [{ regex: "[" }] } }).success).toBe(false);
    expect(
      stepDefinition.parse({ type: "prompt", expected_text: "hi", match: "similar", similarity: 0.7 }),
    ).toMatchObject({
      match: "similar",
      similarity: 0.7,
    });
  });
});
