/**
 * `verdict training evaluate` as the built CLI in a subprocess, on seeded database files, in local
 * mode (--db) and through a real server (--server): per-intent precision/recall/F1, averages,
 * confusion matrix, and one-line errors when the data cannot fill the folds.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type RunningServer, startServer } from "@verdict/api";
import { type VerdictDb, createToken, openDatabase } from "@verdict/db";
import { type CliResult, REPO_ROOT, ensureCliBuilt, runCli, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const dir = tempDir("verdict-cli-eval-");
const seeded = `file:${dir.file("seeded.db")}`;
const larger = `file:${dir.file("larger.db")}`;
const empty = `file:${dir.file("empty.db")}`;

function newest(path: string): number {
  let t = 0;
  for (const e of readdirSync(path, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) t = Math.max(t, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return t;
}

/** The CLI imports @verdict/intent's build output; build it when missing or older than its source. */
function ensureIntentBuilt(): void {
  const dist = join(REPO_ROOT, "packages", "intent", "dist", "index.js");
  if (existsSync(dist) && statSync(dist).mtimeMs >= newest(join(REPO_ROOT, "packages", "intent", "src"))) return;
  const r = spawnSync(
    "pnpm",
    ["exec", "turbo", "run", "build", "--filter", "@verdict/intent", "--output-logs=errors-only"],
    {
      cwd: REPO_ROOT,
      encoding: "utf8",
      timeout: 120_000,
    },
  );
  if (r.status !== 0) throw new Error(`building @verdict/intent failed:\n${r.stdout}${r.stderr}`);
}

/** Hand-written banking requests, imported as validated samples on top of the seed. */
const MORE: [string, string][] = [
  ["can you tell me how much is in my checking account", "check_balance"],
  ["I'd like to know my current balance", "check_balance"],
  ["what's the balance on my savings", "check_balance"],
  ["how much do I have available right now", "check_balance"],
  ["read me my balance please", "check_balance"],
  ["transfer two hundred dollars to savings", "transfer_funds"],
  ["I need to move money from checking to savings", "transfer_funds"],
  ["pay my friend fifty dollars", "transfer_funds"],
  ["I'd like to transfer funds between my accounts", "transfer_funds"],
  ["send funds to my landlord", "transfer_funds"],
  ["can I talk to somebody", "speak_to_agent"],
  ["operator", "speak_to_agent"],
  ["get me a human", "speak_to_agent"],
  ["I want to speak with a representative", "speak_to_agent"],
  ["agent please", "speak_to_agent"],
  ["my card is missing", "report_lost_card"],
  ["I can't find my debit card", "report_lost_card"],
  ["please freeze my card", "report_lost_card"],
  ["report a lost card", "report_lost_card"],
  ["my wallet was stolen", "report_lost_card"],
];

let db: VerdictDb;
let server: RunningServer;
let token = "";

function ok(r: CliResult): CliResult {
  expect(r.status, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
  return r;
}

function oneLineError(r: CliResult, code: number): string {
  expect(r.status, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(code);
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return lines[0] ?? "";
}

interface EvalJson {
  folds: number;
  seed: number;
  samples: number;
  accuracy: number;
  per_intent: { intent: string; precision: number; recall: number; f1: number; support: number; threshold: number }[];
  macro: { precision: number; recall: number; f1: number };
  micro: { precision: number; recall: number; f1: number };
  confusion: { labels: string[]; matrix: number[][] };
  thresholds: { accepted: number; accepted_accuracy: number };
  misclassified?: { text: string; actual: string; predicted: string }[];
}

beforeAll(async () => {
  ensureIntentBuilt();
  ensureCliBuilt();
  const inits = await Promise.all([
    runCli(["--db", seeded, "init", "--seed"]),
    runCli(["--db", larger, "init", "--seed"]),
    runCli(["--db", empty, "init"]),
  ]);
  for (const r of inits) ok(r);
  const file = dir.file("more.jsonl");
  writeFileSync(
    file,
    MORE.map(([text, intent]) => JSON.stringify({ text, intent, threshold: 0.6, validation_status: "validated" })).join(
      "\n",
    ),
  );
  ok(await runCli(["--db", larger, "training", "import", file]));
  db = await openDatabase({ url: larger });
  token = (await createToken(db, "eval-reader", "read")).token;
  server = await startServer({ db, port: 0, log: () => undefined });
}, 240_000);

afterAll(async () => {
  await server?.close();
  db?.close();
  dir.cleanup();
});

describe("verdict training evaluate", () => {
  it("prints per-intent precision, recall and F1 with macro/micro averages for the seeded samples", async () => {
    const r = ok(await runCli(["--db", seeded, "training", "evaluate", "--folds", "3"]));
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("Intent classifier, 3-fold stratified cross-validation (seed 1) on 14 validated samples");
    expect(lines[1]).toMatch(/^intent\s+precision\s+recall\s+f1\s+support\s+threshold$/);
    for (const [intent, support] of [
      ["check_balance", 4],
      ["report_lost_card", 3],
      ["speak_to_agent", 4],
      ["transfer_funds", 3],
    ] as const) {
      expect(r.stdout).toMatch(
        new RegExp(`^${intent}\\s+[01]\\.\\d\\d\\s+[01]\\.\\d\\d\\s+[01]\\.\\d\\d\\s+${support}\\s+0\\.80$`, "m"),
      );
    }
    expect(r.stdout).toMatch(/^macro avg\s+[01]\.\d\d\s+[01]\.\d\d\s+[01]\.\d\d\s+14\s+-$/m);
    expect(r.stdout).toMatch(/^micro avg\s+/m);
    expect(r.stdout).toMatch(/^accuracy 0\.\d{3} \(\d+\/14 held-out samples right\)$/m);
    expect(r.stdout).toContain("confusion matrix (rows: actual intent, columns: predicted)");
  });

  it("--json: the pending seed samples are left out, metrics agree with the confusion matrix, well above chance", async () => {
    const r = ok(await runCli(["--db", seeded, "--json", "training", "evaluate", "--folds", "3", "--seed", "4"]));
    const e = JSON.parse(r.stdout) as EvalJson;
    expect(e.folds).toBe(3);
    expect(e.seed).toBe(4);
    expect(e.samples).toBe(14); // 16 seeded, 2 pending
    expect(e.per_intent.map((s) => s.support)).toEqual([4, 3, 4, 3]);
    expect(e.confusion.matrix.flat().reduce((a, b) => a + b, 0)).toBe(14);
    const diagonal = e.confusion.labels.reduce((a, _, i) => a + (e.confusion.matrix[i]?.[i] ?? 0), 0);
    expect(e.accuracy).toBeCloseTo(diagonal / 14, 12);
    expect(e.micro.f1).toBeCloseTo(e.accuracy, 12);
    expect(e.macro.f1).toBeCloseTo(e.per_intent.reduce((a, s) => a + s.f1, 0) / 4, 12);
    expect(e.accuracy).toBeGreaterThan(0.5); // 4 intents: chance is 0.25
  });

  it("with more validated samples, 5 folds work through a server too, and the scores rise", async () => {
    const [localRun, remoteRun] = await Promise.all([
      runCli(["--db", larger, "--json", "training", "evaluate", "--seed", "3", "--show-errors"]),
      runCli([
        "--server",
        server.url,
        "--token",
        token,
        "--json",
        "training",
        "evaluate",
        "--seed",
        "3",
        "--show-errors",
      ]),
    ]);
    const local = ok(localRun);
    const remote = ok(remoteRun);
    const e = JSON.parse(local.stdout) as EvalJson;
    expect(JSON.parse(remote.stdout)).toEqual(e);
    expect(e.folds).toBe(5);
    expect(e.samples).toBe(34);
    expect(e.accuracy).toBeGreaterThan(0.8);
    expect(e.macro.f1).toBeGreaterThan(0.8);
    expect(e.per_intent.find((s) => s.intent === "check_balance")?.threshold).toBe(0.8); // max of 0.8 and 0.6
    expect(e.misclassified).toHaveLength(Math.round(34 * (1 - e.accuracy)));
  });

  it("refuses folds that some intent cannot fill, naming the intents and their counts", async () => {
    const [folds5, none, folds1, badSeed] = await Promise.all([
      runCli(["--db", seeded, "training", "evaluate"]),
      runCli(["--db", empty, "training", "evaluate"]),
      runCli(["--db", seeded, "training", "evaluate", "--folds", "1"]),
      runCli(["--db", seeded, "training", "evaluate", "--seed", "abc"]),
    ]);
    expect(oneLineError(folds5, 1)).toBe(
      "error: cannot evaluate: too few samples for 5 folds: every intent needs at least 5, but check_balance (4), report_lost_card (3), speak_to_agent (4), transfer_funds (3) have fewer; add samples or lower --folds",
    );
    expect(oneLineError(none, 1)).toMatch(/^error: no validated training samples: /);
    expect(oneLineError(folds1, 64)).toBe("error: --folds: expected at least 2, got 1");
    expect(oneLineError(badSeed, 64)).toBe("error: --seed: expected a whole number 0-4294967295, got 'abc'");
  });
});
