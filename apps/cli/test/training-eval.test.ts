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

/** More IVR prompts of four seeded intents (none of them in the seed), imported as validated samples on top of it. */
const MORE: [string, string][] = [
  ["Your checking balance today is 1,870 dollars and 40 cents.", "check_balance"],
  ["The balance available on your savings account is 9,300 dollars.", "check_balance"],
  ["Vadesiz hesabınızın kullanılabilir bakiyesi 1.870 lira 40 kuruştur.", "check_balance"],
  ["Birikim hesabınızın güncel bakiyesi 9.300 liradır.", "check_balance"],
  ["Your current balance is 15 dollars; your next statement closes on the 28th.", "check_balance"],
  ["To transfer money to a saved payee, press 1. To add a new payee, press 2.", "transfer_funds"],
  ["How much would you like to transfer? Enter the amount and press pound.", "transfer_funds"],
  ["Kayıtlı bir alıcıya para göndermek için 1'e, yeni alıcı eklemek için 2'ye basınız.", "transfer_funds"],
  ["Ne kadar transfer yapmak istersiniz? Tutarı girip kare tuşuna basınız.", "transfer_funds"],
  ["Your transfer of 40 dollars to the account ending in 7002 has been completed.", "transfer_funds"],
  ["Please stay on the line, an agent will be with you in about 3 minutes.", "speak_to_agent"],
  ["I'm transferring your call to a representative now. Thank you for your patience.", "speak_to_agent"],
  ["Lütfen hatta kalınız, yaklaşık 3 dakika içinde bir müşteri temsilcimiz sizinle olacaktır.", "speak_to_agent"],
  ["Çağrınızı şimdi bir müşteri temsilcimize aktarıyorum, sabrınız için teşekkür ederiz.", "speak_to_agent"],
  ["All agents are busy right now. Please hold and your call will be answered shortly.", "speak_to_agent"],
  ["Your credit card ending in 3390 is now blocked and cannot be used.", "report_lost_card"],
  ["To report a lost or stolen card, press 1. To order a replacement card, press 2.", "report_lost_card"],
  ["3390 ile biten kredi kartınız kullanıma kapatılmıştır.", "report_lost_card"],
  ["Kayıp veya çalıntı kart bildirimi için 1'e, yeni kart talebi için 2'ye basınız.", "report_lost_card"],
  ["A new card with a new number will be sent to you within a week.", "report_lost_card"],
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
  it("prints per-intent precision, recall and F1 with macro/micro averages for the seeded IVR prompts", async () => {
    const r = ok(await runCli(["--db", seeded, "training", "evaluate"]));
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("Intent classifier, 5-fold stratified cross-validation (seed 1) on 60 validated samples");
    expect(lines[1]).toMatch(/^intent\s+precision\s+recall\s+f1\s+support\s+threshold$/);
    for (const [intent, threshold] of [
      ["check_balance", "0.85"],
      ["main_menu", "0.77"],
      ["report_lost_card", "0.41"],
      ["speak_to_agent", "0.412"],
      ["transfer_funds", "0.84"],
    ] as const) {
      expect(r.stdout).toMatch(
        new RegExp(`^${intent}\\s+[01]\\.\\d\\d\\s+[01]\\.\\d\\d\\s+[01]\\.\\d\\d\\s+12\\s+${threshold}$`, "m"),
      );
    }
    expect(r.stdout).toMatch(/^macro avg\s+[01]\.\d\d\s+[01]\.\d\d\s+[01]\.\d\d\s+60\s+-$/m);
    expect(r.stdout).toMatch(/^micro avg\s+/m);
    expect(r.stdout).toMatch(/^accuracy 0\.\d{3} \(\d+\/60 held-out samples right\)$/m);
    expect(r.stdout).toContain("confusion matrix (rows: actual intent, columns: predicted)");
    expect(r.stderr).toBe(""); // every intent has at least 10 validated samples: no warning
  });

  it("--json: the pending seed samples are left out, metrics agree with the confusion matrix, well above chance", async () => {
    const r = ok(await runCli(["--db", seeded, "--json", "training", "evaluate", "--folds", "3", "--seed", "4"]));
    const e = JSON.parse(r.stdout) as EvalJson;
    expect(e.folds).toBe(3);
    expect(e.seed).toBe(4);
    expect(e.samples).toBe(60); // 70 seeded, 10 pending
    expect(e.per_intent.map((s) => s.support)).toEqual([12, 12, 12, 12, 12]);
    expect(e.confusion.matrix.flat().reduce((a, b) => a + b, 0)).toBe(60);
    const diagonal = e.confusion.labels.reduce((a, _, i) => a + (e.confusion.matrix[i]?.[i] ?? 0), 0);
    expect(e.accuracy).toBeCloseTo(diagonal / 60, 12);
    expect(e.micro.f1).toBeCloseTo(e.accuracy, 12);
    expect(e.macro.f1).toBeCloseTo(e.per_intent.reduce((a, s) => a + s.f1, 0) / 5, 12);
    expect(e.accuracy).toBeGreaterThan(0.5); // 5 intents: chance is 0.2
  });

  it("with more validated samples, through a server too: the same scores as locally", async () => {
    const [localRun, remoteRun] = await Promise.all([
      runCli(["--db", larger, "--json", "training", "evaluate", "--seed", "3", "--show-errors"], {
        timeoutMs: 110_000,
      }),
      runCli(
        ["--server", server.url, "--token", token, "--json", "training", "evaluate", "--seed", "3", "--show-errors"],
        { timeoutMs: 110_000 },
      ),
    ]);
    const local = ok(localRun);
    const remote = ok(remoteRun);
    const e = JSON.parse(local.stdout) as EvalJson;
    expect(JSON.parse(remote.stdout)).toEqual(e);
    expect(e.folds).toBe(5);
    expect(e.samples).toBe(80);
    expect(e.accuracy).toBeGreaterThan(0.6);
    expect(e.macro.f1).toBeGreaterThan(0.6);
    expect(e.per_intent.find((s) => s.intent === "check_balance")?.threshold).toBe(0.85); // max of 0.85 and 0.6
    expect(e.misclassified).toHaveLength(Math.round(80 * (1 - e.accuracy)));
  }, 120_000);

  it("refuses folds that some intent cannot fill, naming the intents and their counts", async () => {
    const [folds13, none, folds1, badSeed] = await Promise.all([
      runCli(["--db", seeded, "training", "evaluate", "--folds", "13"]),
      runCli(["--db", empty, "training", "evaluate"]),
      runCli(["--db", seeded, "training", "evaluate", "--folds", "1"]),
      runCli(["--db", seeded, "training", "evaluate", "--seed", "abc"]),
    ]);
    expect(oneLineError(folds13, 1)).toBe(
      "error: cannot evaluate: too few samples for 13 folds: every intent needs at least 13, but check_balance (12), main_menu (12), report_lost_card (12), speak_to_agent (12), transfer_funds (12) have fewer; add samples or lower --folds",
    );
    expect(oneLineError(none, 1)).toMatch(/^error: no validated training samples: /);
    expect(oneLineError(folds1, 64)).toBe("error: --folds: expected at least 2, got 1");
    expect(oneLineError(badSeed, 64)).toBe("error: --seed: expected a whole number 0-4294967295, got 'abc'");
  });
});
