/**
 * `verdict training thresholds` as the built CLI on a database holding a bilingual (English/Turkish)
 * set of IVR prompts: per-intent suggestions from cross-validation, --apply stores them on the
 * validated samples (training evaluate then uses them), warnings for small intents, usage errors.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, ensureCliBuilt, runCli, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const dir = tempDir("verdict-cli-thresholds-");
const url = `file:${dir.file("prompts.db")}`;
const small = `file:${dir.file("small.db")}`;

interface ThresholdJson {
  samples: number;
  targetPrecision: number;
  perIntent: {
    intent: string;
    support: number;
    current: number;
    suggested: number;
    precision: number;
    reached: boolean;
  }[];
  totals: Record<
    "current" | "flat" | "suggested",
    { coverage: number; acceptedAccuracy: number; falseRejections: number }
  >;
  warnings: string[];
  applied: { updated: number; intents: number } | null;
}

beforeAll(async () => {
  ensureCliBuilt();
  const lines = readFileSync(join(REPO_ROOT, "packages/intent/test/fixtures/ivr-prompts.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as { text: string; intent: string });
  const file = dir.file("prompts.jsonl");
  writeFileSync(
    file,
    lines
      .map((p) => JSON.stringify({ text: p.text, intent: p.intent, threshold: 0.85, validation_status: "validated" }))
      .join("\n"),
  );
  for (const db of [url, small]) expect((await runCli(["--db", db, "init"])).status).toBe(0);
  expect((await runCli(["--db", url, "training", "import", file])).status).toBe(0);
  const few = dir.file("few.jsonl");
  writeFileSync(
    few,
    lines
      .filter((p) => p.intent === "goodbye" || p.intent === "main_menu")
      .slice(0, 20)
      .map((p) => JSON.stringify({ text: p.text, intent: p.intent, validation_status: "validated" }))
      .join("\n"),
  );
  expect((await runCli(["--db", small, "training", "import", few])).status).toBe(0);
}, 240_000);

afterAll(() => dir.cleanup());

describe("verdict training thresholds", () => {
  it("suggests per-intent thresholds that reject fewer right answers than the flat 0.85, and --apply stores them", async () => {
    const r = await runCli(["--db", url, "--json", "training", "thresholds"], { timeoutMs: 110_000 });
    expect(r.status, r.stderr).toBe(0);
    const t = JSON.parse(r.stdout) as ThresholdJson;
    expect(t.samples).toBe(128);
    expect(t.perIntent).toHaveLength(8);
    expect(t.applied).toBeNull();
    expect(t.totals.current.coverage).toBeCloseTo(t.totals.flat.coverage, 12); // every sample says 0.85
    expect(t.totals.suggested.falseRejections).toBeLessThan(t.totals.flat.falseRejections);
    expect(t.warnings).toEqual([]);

    const applied = await runCli(["--db", url, "--json", "training", "thresholds", "--apply"], { timeoutMs: 110_000 });
    expect(applied.status, applied.stderr).toBe(0);
    const a = JSON.parse(applied.stdout) as ThresholdJson;
    expect(a.applied).toEqual({ updated: 128, intents: 8 });
    const e = await runCli(["--db", url, "--json", "training", "evaluate"], { timeoutMs: 110_000 });
    expect(e.status, e.stderr).toBe(0);
    const evaluation = JSON.parse(e.stdout) as {
      per_intent: { intent: string; threshold: number }[];
      thresholds: { coverage: number };
    };
    for (const s of a.perIntent) {
      expect(evaluation.per_intent.find((p) => p.intent === s.intent)?.threshold).toBe(s.suggested);
    }
    // the same folds whatever order the database returns the samples in: evaluate then accepts what thresholds said
    expect(evaluation.thresholds.coverage).toBeCloseTo(a.totals.suggested.coverage, 12);
  }, 180_000);

  it("prints a table and warns about intents with fewer than 10 validated samples", async () => {
    const r = await runCli(["--db", small, "training", "thresholds", "--folds", "3"], { timeoutMs: 110_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^intent\s+support\s+current\s+suggested\s+precision\s+coverage\s+coverage@0\.85$/m);
    expect(r.stdout).toMatch(
      /^suggested thresholds: coverage \d\.\d{3}, accepted accuracy \d\.\d{3}, \d+ right answers rejected$/m,
    );
    expect(r.stderr).toMatch(/warning: intent 'goodbye' has 4 validated samples \(fewer than 10\)/);
  }, 120_000);

  it("refuses a target precision outside (0, 1] as a usage error", async () => {
    const r = await runCli(["--db", url, "training", "thresholds", "--target-precision", "1.5"]);
    expect(r.status).not.toBe(0);
    expect(r.status).not.toBe(1);
    expect(r.stderr.trim()).toBe("error: --target-precision: expected a number in (0, 1], got '1.5'");
  });
});
