import type { Command } from "commander";
import {
  type Evaluation,
  IntentDataError,
  type ThresholdReport,
  evaluate,
  smallIntents,
  suggestThresholds,
} from "@verdict/intent";
import { withApi } from "../api.js";
import { UsageError } from "../errors.js";
import { globalsOf, parsePositiveInt } from "../globals.js";
import { color, printJson, printTable } from "../output.js";
import { examples } from "../help.js";

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

/** A threshold to 0.01, or to 0.001 when it has a third decimal (training thresholds suggests those when 0.01 cannot separate two predictions). */
const thresholdText = (t: number) => (Math.abs(t * 100 - Math.round(t * 100)) < 1e-9 ? t.toFixed(2) : t.toFixed(3));

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
      ...e.perIntent.map((s) => ({ ...row(s.intent, s, s.support), threshold: thresholdText(s.threshold) })),
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
    .addHelpText(
      "after",
      examples("verdict training evaluate", "verdict training evaluate --folds 10 --seed 7 --show-errors"),
    )
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
      for (const w of smallIntents(samples)) process.stderr.write(`${color.yellow("warning:")} ${w}\n`);
      if (g.json) return printJson(toJson(result, Boolean(opts.showErrors)));
      printReport(result, Boolean(opts.showErrors));
    });

  training
    .command("thresholds")
    .addHelpText(
      "after",
      examples("verdict training thresholds --target-precision 0.95", "verdict training thresholds --apply"),
    )
    .description(
      "suggest a confidence threshold per intent from cross-validated predictions (the lowest one that keeps the target precision), compared with a flat threshold; --apply stores them on the intents' validated samples",
    )
    .option("--target-precision <p>", "precision wanted among an intent's accepted predictions (0-1)", "0.95")
    .option("--flat <t>", "flat threshold to compare with", "0.85")
    .option("--folds <n>", "stratified folds (every intent needs at least this many samples)", "5")
    .option("--seed <n>", "seed of the fold assignment", "1")
    .option("--apply", "set each intent's validated samples to the suggested threshold")
    .addHelpText(
      "after",
      "\nExamples:\n  verdict training thresholds\n  verdict training thresholds --target-precision 0.9 --apply",
    )
    .action(
      async (
        opts: { targetPrecision: string; flat: string; folds: string; seed: string; apply?: boolean },
        cmd: Command,
      ) => {
        const g = globalsOf(cmd);
        const folds = parsePositiveInt("--folds", opts.folds) ?? 5;
        if (folds < 2) throw new UsageError(`--folds: expected at least 2, got ${folds}`);
        const seed = parseSeed(opts.seed);
        const targetPrecision = parseRate("--target-precision", opts.targetPrecision);
        const flatThreshold = parseRate("--flat", opts.flat);
        const samples = await withApi(g, (api) => api.ivr.training.export.query({ validation_status: "validated" }));
        if (samples.length === 0) {
          throw new TrainingDataError(
            "no validated training samples: import some (verdict training import) and mark them validated (verdict training validate)",
          );
        }
        let report: ThresholdReport;
        try {
          report = suggestThresholds(samples, { folds, seed, targetPrecision, flatThreshold });
        } catch (e) {
          if (e instanceof IntentDataError) throw new TrainingDataError(`cannot suggest thresholds: ${e.message}`);
          throw e;
        }
        for (const w of report.warnings) process.stderr.write(`${color.yellow("warning:")} ${w}\n`);
        let applied: { updated: number; intents: number } | null = null;
        if (opts.apply) {
          applied = await withApi(g, (api) =>
            api.ivr.training.setThresholds.mutate({
              thresholds: report.perIntent.map((t) => ({ intent_label: t.intent, confidence_threshold: t.suggested })),
            }),
          );
        }
        if (g.json) return printJson({ ...report, applied });
        printThresholds(report);
        if (applied)
          process.stdout.write(`applied: ${applied.intents} intents, ${applied.updated} validated samples updated\n`);
      },
    );
}

function parseRate(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0 || n > 1) {
    throw new UsageError(`${flag}: expected a number in (0, 1], got '${value}'`);
  }
  return n;
}

function printThresholds(r: ThresholdReport): void {
  const out = (line = "") => process.stdout.write(`${line}\n`);
  out(
    color.bold(
      `Per-intent thresholds for precision ≥ ${r.targetPrecision}, from ${r.folds}-fold cross-validation (seed ${r.seed}) on ${r.samples} validated samples`,
    ),
  );
  printTable(
    r.perIntent.map((t) => ({
      intent: t.intent,
      support: t.support,
      current: thresholdText(t.current),
      suggested: `${thresholdText(t.suggested)}${t.reached ? "" : " (target not reached)"}`,
      precision: t.precision.toFixed(2),
      coverage: t.coverage.toFixed(2),
      [`coverage@${r.flatThreshold}`]: t.flatCoverage.toFixed(2),
    })),
    ["intent", "support", "current", "suggested", "precision", "coverage", `coverage@${r.flatThreshold}`],
  );
  out();
  const line = (name: string, a: ThresholdReport["totals"]["flat"]) =>
    out(
      `${name}: coverage ${a.coverage.toFixed(3)}, accepted accuracy ${a.acceptedAccuracy.toFixed(3)}, ${a.falseRejections} right answers rejected`,
    );
  line("current thresholds  ", r.totals.current);
  line(`flat ${r.flatThreshold}           `, r.totals.flat);
  line("suggested thresholds", r.totals.suggested);
  out(`macro-F1 ${r.macroF1.toFixed(3)}`);
}
