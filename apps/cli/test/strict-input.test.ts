import { writeFileSync } from "node:fs";
import { ensureCliBuilt, runCli, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectOneLineError } from "./helpers.js";

/**
 * Input files are strict: an unknown key is an error with a "did you mean", every problem of a file is
 * reported at once (one `error: file:line:col: field: problem` line each, at most 20), syntax errors
 * carry line and column, and nothing is written when anything is wrong.
 */
const dir = tempDir("verdict-strict-input-");
const db = `file:${dir.file("strict.db")}`;
const cli = (args: string[]) => runCli(["--db", db, ...args]);

function write(name: string, lines: string[]): string {
  const file = dir.file(name);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

/** Every stderr line, each checked to be an `error:` line without a stack frame. */
function errorLines(r: { status: number | null; stderr: string }, code = 1): string[] {
  expect(r.status, r.stderr).toBe(code);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  const lines = r.stderr.trimEnd().split("\n");
  for (const l of lines) expect(l).toMatch(/^error: /);
  return lines;
}

async function scenarioCount(): Promise<number> {
  return (JSON.parse((await cli(["--json", "scenarios", "list"])).stdout) as { items: unknown[] }).items.length;
}

beforeAll(async () => {
  ensureCliBuilt();
  expect((await cli(["init"])).status).toBe(0);
}, 120_000);
afterAll(() => dir.cleanup());

describe("IVR scenario files", () => {
  it("a misspelled step key is an error pointing at it, with the key it resembles; nothing is added", async () => {
    const file = write("typo.yaml", [
      "scenario_id: typo",
      "name: Typo",
      "target_phone: '+15550100'",
      "steps:",
      "  - type: prompt",
      "    expect_text: Welcome",
    ]);
    const line = expectOneLineError(await cli(["scenarios", "add", file]), 1);
    expect(line).toBe(`error: ${file}:6:5: steps.0.expect_text: unknown key (did you mean "expected_text"?)`);
    expect(await scenarioCount()).toBe(0);
  });

  it("reports every problem of the file at once, in file order, one line each", async () => {
    const file = write("many.yaml", [
      "name: Many",
      "target_phone: '+15550100'",
      "timout_seconds: 30",
      "steps:",
      "  - type: dtmf",
      "    digits: '12X'",
      "  - type: intent",
      "    utterance: balance",
      "  - type: prompt",
      "    expected_text: Hi",
      "    matching: exact",
      "  - type: intnet",
      "  - type: prompt",
      "    match: exakt",
    ]);
    const lines = errorLines(await cli(["scenarios", "add", file]));
    expect(lines).toEqual([
      `error: ${file}:3:1: timout_seconds: unknown key (did you mean "timeout_seconds"?)`,
      `error: ${file}:6:13: steps.0.digits: DTMF digits must match [0-9*#A-D]+`,
      `error: ${file}:7:5: steps.1.expected_intent: missing (expected string)`,
      `error: ${file}:11:5: steps.2.matching: unknown key (did you mean "match"?)`,
      `error: ${file}:12:11: steps.3.type: Invalid discriminator value. Expected 'prompt' | 'intent' | 'dtmf' | 'validate' | 'no_input' | 'expect_transfer' | 'expect_hangup' | 'expect_audio' (did you mean "intent"?)`,
      `error: ${file}:14:12: steps.4.match: Invalid option: expected one of "contains"|"exact"|"regex"|"similar" (did you mean "exact"?)`,
    ]);
    expect(await scenarioCount()).toBe(0);
  });

  it("stops listing at 20 problems and says how many more there are", async () => {
    const keys = Array.from({ length: 25 }, (_, i) => `    extra_${i}: 1`);
    const file = write("flood.yaml", ["name: Flood", "target_phone: '1'", "steps:", "  - type: prompt", ...keys]);
    const lines = errorLines(await cli(["scenarios", "add", file]));
    expect(lines).toHaveLength(21);
    expect(lines[0]).toMatch(/^error: .*flood\.yaml:5:5: steps\.0\.extra_0: unknown key \(allowed: /);
    expect(lines[20]).toBe(`error: ${file}: 5 more problem(s) not shown`);
  });

  it("syntax errors carry line and column, in YAML and in JSON", async () => {
    const yaml = write("dup.yaml", ["name: A", "target_phone: '1'", "name: B", "steps: []"]);
    expect(expectOneLineError(await cli(["scenarios", "add", yaml]), 1)).toBe(
      `error: ${yaml}:3:1: syntax error: Map keys must be unique`,
    );
    const json = write("comma.json", ["{", '  "name": "x",', '  "target_phone": "1",', '  "steps": [],', "}"]);
    expect(expectOneLineError(await cli(["scenarios", "add", json]), 1)).toMatch(
      /^error: .*comma\.json:5:1: syntax error: /,
    );
    expect(await scenarioCount()).toBe(0);
  });

  it("scenarios update takes the same strict file", async () => {
    const ok = write("ok.yaml", ["scenario_id: upd", "name: Ok", "target_phone: '1'", "steps:", "  - type: prompt"]);
    expect((await cli(["scenarios", "add", ok])).status).toBe(0);
    const bad = write("upd-bad.yaml", ["name: New", "target_phone: '1'", "step:", "  - type: prompt"]);
    const lines = errorLines(await cli(["scenarios", "update", "upd", bad]));
    expect(lines).toContain(`error: ${bad}:3:1: step: unknown key (did you mean "steps"?)`);
    const shown = JSON.parse((await cli(["--json", "scenarios", "show", "upd"])).stdout) as { name: string };
    expect(shown.name).toBe("Ok");
  });
});

describe("HTTP scenario files", () => {
  it("unknown keys at any level are reported together with suggestions; no run is created", async () => {
    const file = write("http.json", [
      "{",
      '  "id": "checkout",',
      '  "steps": [',
      '    { "name": "a", "reqest": { "url": "http://127.0.0.1:1/" } },',
      '    { "name": "b", "request": { "url": "http://127.0.0.1:1/", "header": {} }, "assert": [{ "stauts": 200 }] }',
      "  ]",
      "}",
    ]);
    const lines = errorLines(await cli(["runs", "start", file]));
    // Only the typo is reported, not the checks it makes fail ("a step needs exactly one of request or wait_ms").
    expect(lines).toEqual([
      `error: ${file}:4:20: steps.0.reqest: unknown key (did you mean "request"?)`,
      `error: ${file}:5:63: steps.1.request.header: unknown key (did you mean "headers"?)`,
      `error: ${file}:5:92: steps.1.assert.0.stauts: unknown key (did you mean "status"?)`,
    ]);
    const runs = JSON.parse((await cli(["--json", "runs", "list"])).stdout) as { items: unknown[] };
    expect(runs.items).toEqual([]);
  });
});

describe("training files", () => {
  async function sampleCount(): Promise<number> {
    const page = JSON.parse((await cli(["--json", "training", "list", "--limit", "500"])).stdout) as {
      items: unknown[];
    };
    return page.items.length;
  }

  it("JSONL: every bad line is reported, unknown keys with suggestions, and nothing is imported", async () => {
    const file = write("samples.jsonl", [
      '{"text": "what is my balance", "intent": "check_balance"}',
      '{"text": "send money", "intnet": "transfer_funds"}',
      "{not json",
      '{"text_sample": "lost card", "intent_label": "report_lost_card", "treshold": 0.5}',
    ]);
    const lines = errorLines(await cli(["training", "import", file]));
    expect(lines).toEqual([
      `error: ${file}:2:1: intent_label: missing (expected string)`,
      `error: ${file}:2:24: intnet: unknown key (did you mean "intent"?)`,
      expect.stringMatching(/^error: .*samples\.jsonl:3:\d+: invalid JSON: /),
      `error: ${file}:4:66: treshold: unknown key (did you mean "threshold"?)`,
    ]);
    expect(await sampleCount()).toBe(0);
  });

  it("a file bad on every line shows the first 20 problems and counts the rest", async () => {
    const file = write(
      "all-bad.jsonl",
      Array.from({ length: 100 }, (_, i) => `{"text": "sample ${i}", "intent": "x", "threshold": 2}`),
    );
    const lines = errorLines(await cli(["training", "import", file]));
    expect(lines).toHaveLength(21);
    expect(lines[0]).toBe(`error: ${file}:1:50: threshold: Too big: expected number to be <=1`);
    expect(lines[19]).toMatch(/^error: .*all-bad\.jsonl:20:\d+: threshold: /);
    expect(lines[20]).toBe(`error: ${file}: 80 more problem(s) not shown`);
    expect(await sampleCount()).toBe(0);
  });

  it("CSV: a misspelled header column and a bad value are both reported", async () => {
    const file = write("samples.csv", ["text,intnet,threshold", "hello,greet,abc", "bye,farewell,0.5"]);
    const lines = errorLines(await cli(["training", "import", file]));
    expect(lines).toEqual([
      `error: ${file}:1:6: header.2: expected column 'intent' here, got 'intnet'`,
      `error: ${file}:2:13: confidence_threshold: not a number: 'abc'`,
    ]);
    expect(await sampleCount()).toBe(0);
  });
});
