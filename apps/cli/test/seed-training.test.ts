/**
 * The seed's intent training data as the built CLI sees it after `verdict init --seed`: IVR prompts
 * in English and Turkish, at least 10 validated per intent (no small-intent warning), and each
 * intent's stored threshold is the one `verdict training thresholds` suggests for them.
 */
import { SEED_TRAINING } from "@verdict/db";
import { detectLanguage } from "@verdict/intent";
import { ensureCliBuilt, runCli, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const dir = tempDir("verdict-cli-seed-training-");
const db = `file:${dir.file("seeded.db")}`;

beforeAll(async () => {
  ensureCliBuilt();
  const r = await runCli(["--db", db, "init", "--seed"]);
  expect(r.status, r.stderr).toBe(0);
}, 240_000);

afterAll(() => dir.cleanup());

describe("the seeded intent training data", () => {
  it("is half English, half Turkish for every intent", () => {
    for (const intent of new Set(SEED_TRAINING.map((t) => t.intent_label))) {
      const validated = SEED_TRAINING.filter((t) => t.intent_label === intent && t.validation_status === "validated");
      const turkish = validated.filter((t) => detectLanguage(t.text_sample) === "tr");
      expect(turkish.length * 2, intent).toBe(validated.length);
    }
  });

  it("carries the thresholds training thresholds suggests, and no intent is too small to trust", async () => {
    const r = await runCli(["--db", db, "--json", "training", "thresholds"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    const report = JSON.parse(r.stdout) as {
      perIntent: { intent: string; support: number; current: number; suggested: number }[];
      warnings: string[];
    };
    expect(report.warnings).toEqual([]);
    expect(report.perIntent.length).toBeGreaterThanOrEqual(4);
    for (const t of report.perIntent) {
      expect(t.support, t.intent).toBeGreaterThanOrEqual(10);
      expect(t.current, t.intent).toBe(t.suggested);
    }
  }, 120_000);
});
