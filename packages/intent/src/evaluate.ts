import { IntentDataError, type LabeledText, type TrainOptions, train } from "./model.js";
import { stratifiedFolds } from "./random.js";

export interface EvaluateOptions extends TrainOptions {
  /** Number of stratified folds (default 5); every intent needs at least this many samples. */
  folds?: number;
  /** Seed of the fold assignment (default 1); also used for calibration inside each fold. */
  seed?: number;
}

export interface IntentScore {
  intent: string;
  precision: number;
  recall: number;
  f1: number;
  /** Samples of this intent. */
  support: number;
  /** The intent's threshold, as learnt from all its samples. */
  threshold: number;
}

export interface Averages {
  precision: number;
  recall: number;
  f1: number;
}

export interface Evaluation {
  folds: number;
  seed: number;
  samples: number;
  /** Share of held-out samples whose top intent was right. */
  accuracy: number;
  perIntent: IntentScore[];
  /** Unweighted mean over intents. */
  macro: Averages;
  /** Pooled over all samples (for single-label classification these all equal accuracy). */
  micro: Averages;
  /** Support-weighted mean over intents. */
  weighted: Averages;
  confusion: {
    /** Row and column order. */
    labels: string[];
    /** matrix[actual][predicted] = count. */
    matrix: number[][];
  };
  /** How the per-intent thresholds behaved on held-out samples. */
  thresholds: {
    /** Held-out predictions at or above their intent's threshold. */
    accepted: number;
    /** Of those, how many were right. */
    acceptedCorrect: number;
    /** Accuracy among accepted predictions (1 when none were accepted). */
    acceptedAccuracy: number;
    /** Share of held-out samples that were accepted. */
    coverage: number;
  };
  /** Every held-out prediction, in input order. */
  predictions: {
    text: string;
    actual: string;
    predicted: string;
    confidence: number;
    accepted: boolean;
    /** The text shared at least one word feature with the fold's training data. */
    known: boolean;
    fold: number;
  }[];
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
const f1Of = (p: number, r: number) => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

/**
 * The fold of each sample, dealt over the samples in a canonical order (label, then text), so
 * the same samples in any order (a database returns them as it likes) fall into the same folds.
 */
function foldsOf(samples: readonly LabeledText[], folds: number, seed: number): number[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const order = samples
    .map((_, i) => i)
    .sort((a, b) => {
      const x = samples[a];
      const y = samples[b];
      if (!x || !y) return a - b;
      return cmp(x.intent_label, y.intent_label) || cmp(x.text_sample, y.text_sample) || a - b;
    });
  const dealt = stratifiedFolds(
    order.map((i) => samples[i]?.intent_label ?? ""),
    folds,
    seed,
  );
  const fold = new Array<number>(samples.length).fill(0);
  order.forEach((i, k) => {
    fold[i] = dealt[k] ?? 0;
  });
  return fold;
}

/**
 * Stratified k-fold cross-validation: each fold is held out once while a model is trained on the
 * rest; every sample is thus predicted exactly once by a model that never saw it. Scores are
 * computed on the pooled held-out predictions.
 */
export function evaluate(samples: readonly LabeledText[], options: EvaluateOptions = {}): Evaluation {
  const folds = options.folds ?? 5;
  const seed = options.seed ?? 1;
  if (!Number.isInteger(folds) || folds < 2)
    throw new IntentDataError(`folds must be a whole number ≥ 2, got ${folds}`);
  const labels = [...new Set(samples.map((s) => s.intent_label))].sort();
  if (labels.length < 2) {
    throw new IntentDataError(`need validated samples of at least 2 intents to evaluate, got ${labels.length}`);
  }
  const counts = new Map(labels.map((l) => [l, samples.filter((s) => s.intent_label === l).length]));
  const short = labels.filter((l) => (counts.get(l) ?? 0) < folds);
  if (short.length > 0) {
    const list = short.map((l) => `${l} (${counts.get(l)})`).join(", ");
    throw new IntentDataError(
      `too few samples for ${folds} folds: every intent needs at least ${folds}, but ${list} ${short.length === 1 ? "has" : "have"} fewer; add samples or lower --folds`,
    );
  }
  const trainOptions: TrainOptions = { ...options, seed };
  const full = train(samples, trainOptions);
  const fold = foldsOf(samples, folds, seed);
  const index = new Map(labels.map((l, i) => [l, i]));
  const matrix = labels.map(() => labels.map(() => 0));
  const predictions: Evaluation["predictions"] = [];
  const bySample = new Array<Evaluation["predictions"][number] | undefined>(samples.length);
  for (let f = 0; f < folds; f++) {
    const model = train(
      samples.filter((_, i) => fold[i] !== f),
      trainOptions,
    );
    samples.forEach((s, i) => {
      if (fold[i] !== f) return;
      const p = model.predict(s.text_sample);
      bySample[i] = {
        text: s.text_sample,
        actual: s.intent_label,
        predicted: p.intent,
        confidence: p.confidence,
        accepted: p.accepted,
        known: p.knownFeatures > 0,
        fold: f,
      };
    });
  }
  for (const p of bySample) {
    if (p === undefined) continue;
    predictions.push(p);
    const row = matrix[index.get(p.actual) ?? 0];
    const col = index.get(p.predicted) ?? 0;
    if (row) row[col] = (row[col] ?? 0) + 1;
  }
  const perIntent: IntentScore[] = labels.map((intent, k) => {
    const tp = matrix[k]?.[k] ?? 0;
    const actual = (matrix[k] ?? []).reduce((a, b) => a + b, 0);
    const predicted = matrix.reduce((a, row) => a + (row[k] ?? 0), 0);
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, actual);
    return {
      intent,
      precision,
      recall,
      f1: f1Of(precision, recall),
      support: actual,
      threshold: full.thresholdFor(intent) ?? 0,
    };
  });
  const correct = labels.reduce((a, _, k) => a + (matrix[k]?.[k] ?? 0), 0);
  const n = predictions.length;
  const mean = (key: keyof Averages, weighted: boolean) =>
    ratio(
      perIntent.reduce((a, s) => a + s[key] * (weighted ? s.support : 1), 0),
      weighted ? n : perIntent.length,
    );
  const accuracy = ratio(correct, n);
  const accepted = predictions.filter((p) => p.accepted);
  const acceptedCorrect = accepted.filter((p) => p.predicted === p.actual).length;
  return {
    folds,
    seed,
    samples: n,
    accuracy,
    perIntent,
    macro: { precision: mean("precision", false), recall: mean("recall", false), f1: mean("f1", false) },
    micro: { precision: accuracy, recall: accuracy, f1: accuracy },
    weighted: { precision: mean("precision", true), recall: mean("recall", true), f1: mean("f1", true) },
    confusion: { labels, matrix },
    thresholds: {
      accepted: accepted.length,
      acceptedCorrect,
      acceptedAccuracy: accepted.length === 0 ? 1 : acceptedCorrect / accepted.length,
      coverage: ratio(accepted.length, n),
    },
    predictions,
  };
}
