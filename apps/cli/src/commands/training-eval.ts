import type { Command } from "commander";
import { type Evaluation, IntentDataError, evaluate } from "@verdict/intent";
import { withApi } from "../api.js";
import { UsageError } from "../errors.js";
import { globalsOf, parsePositiveInt } from "../globals.js";
import { color, printJson, printTable } from "../output.js";

/** A data problem the user can fix (too few samples, one intent only): one line, exit 1. */
export class TrainingDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrainingDataError";
  }
}

function parseSeed(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n > 0xffffffff) {
    throw new UsageError(`--seed: expected a whole number 0-4294967295, got '${value}'`);
  }
  return n;
}

function toJson(e: Evaluation, showErrors: boolean) {
  return {
    folds: e.folds,
    seed: e.seed,
    samples: e.samples,
    accuracy: e.accuracy,
    per_intent: e.perIntent,
    macro: e.macro,
    micro: e.micro,
    weighted: e.weighted,
    confusion: e.confusion,
    thresholds: {
      accepted: e.thresholds.accepted,
      accepted_correct: e.thresholds.acceptedCorrect,
      accepted_accuracy: e.thresholds.acceptedAccuracy,
      coverage: e.thresholds.coverage,
    },
    ...(showErrors ? { misclassified: e.predictions.filter((p) => p.predicted !== p.actual) } : {}),
  };
}

function printReport(e: Evaluation, showErrors: boolean): void {
  const out = (line = "") => process.stdout.write(`${line}\n`);
  out(
    color.bold(
      `Intent classifier, ${e.folds}-fold stratified cross-validation (seed ${e.seed}) on ${e.samples} validated samples`,
    ),
  );
  const row = (name: string, a: { precision: number; recall: number; f1: number }, support: number | null) => ({
    intent: name,
    precision: a.precision.toFixed(2),
    recall: a.recall.toFixed(2),
    f1: a.f1.toFixed(2),
    support,
  });
  printTable(
    [
      ...e.perIntent.map((s) => ({ ...row(s.intent, s, s.support), threshold: s.threshold.toFixed(2) })),
      row("macro avg", e.macro, e.samples),
      row("micro avg", e.micro, e.samples),
      row("weighted avg", e.weighted, e.samples),
    ],
    ["intent", "precision", "recall", "f1", "support", "threshold"],
  );
  out();
  out(`accuracy ${e.accuracy.toFixed(3)} (${Math.round(e.accuracy * e.samples)}/${e.samples} held-out samples right)`);
  out(
    `at the intents' thresholds: ${e.thresholds.accepted}/${e.samples} accepted (coverage ${e.thresholds.coverage.toFixed(2)}), ${e.thresholds.acceptedCorrect} of them right (accuracy ${e.thresholds.acceptedAccuracy.toFixed(3)})`,
  );
  out();
  out(color.dim("confusion matrix (rows: actual intent, columns: predicted)"));
  printTable(
    e.confusion.labels.map((actual, i) => {
      const cells: Record<string, string | number> = { actual };
      e.confusion.labels.forEach((predicted, j) => {
        cells[predicted] = e.confusion.matrix[i]?.[j] ?? 0;
      });
      return cells;
    }),
    ["actual", ...e.confusion.labels],
  );
  if (showErrors) {
    out();
    out(color.dim("misclassified held-out samples"));
    printTable(
      e.predictions.filter((p) => p.predicted !== p.actual),
      ["text", "actual", "predicted", "confidence", "fold"],
      { maxWidth: 60 },
    );
  }
}

/** Adds `verdict training evaluate` to the `training` command group registered by ./ivr.ts. */
export function registerTrainingEvalCommands(program: Command): void {
  const training = program.commands.find((c) => c.name() === "training");
  if (!training) throw new Error("registerTrainingEvalCommands: register the training command group first");
  training
    .command("evaluate")
    .description(
      "cross-validate the intent classifier on the validated samples: per-intent precision, recall and F1, macro/micro averages, confusion matrix",
    )
    .option("--folds <n>", "stratified folds (every intent needs at least this many samples)", "5")
    .option("--seed <n>", "seed of the fold assignment", "1")
    .option("--show-errors", "also list the held-out samples the classifier got wrong")
    .action(async (opts: { folds: string; seed: string; showErrors?: boolean }, cmd: Command) => {
      const g = globalsOf(cmd);
      const folds = parsePositiveInt("--folds", opts.folds) ?? 5;
      if (folds < 2) throw new UsageError(`--folds: expected at least 2, got ${folds}`);
      const seed = parseSeed(opts.seed);
      const samples = await withApi(g, (api) => api.ivr.training.export.query({ validation_status: "validated" }));
      if (samples.length === 0) {
        throw new TrainingDataError(
          "no validated training samples: import some (verdict training import) and mark them validated (verdict training validate)",
        );
      }
      let result: Evaluation;
      try {
        result = evaluate(samples, { folds, seed });
      } catch (e) {
        if (e instanceof IntentDataError) throw new TrainingDataError(`cannot evaluate: ${e.message}`);
        throw e;
      }
      if (g.json) return printJson(toJson(result, Boolean(opts.showErrors)));
      printReport(result, Boolean(opts.showErrors));
    });
}
