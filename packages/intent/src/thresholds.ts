import { type EvaluateOptions, type Evaluation, evaluate } from "./evaluate.js";
import type { LabeledText } from "./model.js";

/** Below this many validated samples an intent's scores and threshold are too noisy to trust. */
export const MIN_SAMPLES_PER_INTENT = 10;

export interface ThresholdOptions extends EvaluateOptions {
  /** Precision wanted among the predictions an intent accepts (default 0.95). */
  targetPrecision?: number;
  /** A flat threshold to compare with (default 0.85, the schema's default). */
  flatThreshold?: number;
  /** Bounds of a suggested threshold (default 0.05 and 0.99). */
  floor?: number;
  ceiling?: number;
}

export interface IntentThreshold {
  intent: string;
  /** Validated samples of the intent. */
  support: number;
  /** The threshold in use now (learnt from the samples' confidence_threshold). */
  current: number;
  /** The suggested threshold. */
  suggested: number;
  /** Held-out precision of this intent's accepted predictions at the suggested threshold. */
  precision: number;
  /** Share of this intent's held-out samples accepted and right at the suggested threshold. */
  coverage: number;
  /** The same share at the flat threshold. */
  flatCoverage: number;
  /** Whether the target precision was reachable at all (false: even the most confident predictions were wrong). */
  reached: boolean;
}

export interface AcceptanceTotals {
  /** Share of held-out samples accepted. */
  coverage: number;
  /** Accuracy among the accepted ones (1 when none were). */
  acceptedAccuracy: number;
  /** Correct predictions rejected by their threshold: each is a false failure of an IVR step. */
  falseRejections: number;
}

export interface ThresholdReport {
  folds: number;
  seed: number;
  samples: number;
  targetPrecision: number;
  flatThreshold: number;
  macroF1: number;
  perIntent: IntentThreshold[];
  totals: { current: AcceptanceTotals; flat: AcceptanceTotals; suggested: AcceptanceTotals };
  /** Intents with fewer than MIN_SAMPLES_PER_INTENT validated samples. */
  warnings: string[];
}

type Held = Evaluation["predictions"][number];

function totals(predictions: readonly Held[], thresholdOf: (intent: string) => number): AcceptanceTotals {
  let accepted = 0;
  let correct = 0;
  let falseRejections = 0;
  for (const p of predictions) {
    const ok = p.known && p.confidence >= thresholdOf(p.predicted);
    const right = p.predicted === p.actual;
    if (ok) {
      accepted++;
      if (right) correct++;
    } else if (right) falseRejections++;
  }
  return {
    coverage: predictions.length === 0 ? 0 : accepted / predictions.length,
    acceptedAccuracy: accepted === 0 ? 1 : correct / accepted,
    falseRejections,
  };
}

const floor2 = (x: number) => Math.floor(x * 100) / 100;

/**
 * The midpoint of (below, at] rounded down to 0.01, or to 0.001 when that would reach `below`
 * (rounding must not let the next lower prediction in), or `at` itself when even that does.
 */
function roundedBetween(below: number, at: number): number {
  const mid = (at + below) / 2;
  for (const step of [100, 1000]) {
    const t = Math.floor(mid * step) / step;
    if (t > below) return t;
  }
  return at;
}

/**
 * Per-intent confidence thresholds calibrated on held-out predictions (stratified k-fold
 * cross-validation, the same folds as `evaluate`). For each intent, the predictions naming it are
 * sorted by confidence; the suggested threshold is the lowest one at which the predictions it
 * accepts are right at least `targetPrecision` of the time, which accepts as many correct
 * predictions as that precision allows. It sits halfway between that prediction's confidence and
 * the next lower one (rounded down to 0.01), so a new text scoring like the held-out ones is judged
 * the same way (to 0.001 when 0.01 would reach the next lower one), and is kept within [floor, ceiling].
 */
export function suggestThresholds(samples: readonly LabeledText[], options: ThresholdOptions = {}): ThresholdReport {
  const target = options.targetPrecision ?? 0.95;
  const flat = options.flatThreshold ?? 0.85;
  const lo = options.floor ?? 0.05;
  const hi = options.ceiling ?? 0.99;
  const e = evaluate(samples, options);
  const known = e.predictions.filter((p) => p.known);
  const perIntent: IntentThreshold[] = e.perIntent.map((score) => {
    const named = known.filter((p) => p.predicted === score.intent).sort((a, b) => b.confidence - a.confidence);
    let best = -1;
    let right = 0;
    named.forEach((p, i) => {
      if (p.predicted === p.actual) right++;
      if (right / (i + 1) >= target) best = i;
    });
    let suggested: number;
    if (best < 0) suggested = hi;
    else {
      const at = named[best]?.confidence ?? hi;
      const below = named[best + 1]?.confidence;
      suggested = below === undefined ? floor2(at) : roundedBetween(below, at);
    }
    suggested = Math.min(hi, Math.max(lo, suggested));
    const acceptedRight = (t: number) => named.filter((p) => p.confidence >= t && p.predicted === p.actual).length;
    const acceptedAll = named.filter((p) => p.confidence >= suggested).length;
    return {
      intent: score.intent,
      support: score.support,
      current: score.threshold,
      suggested,
      precision: acceptedAll === 0 ? 1 : acceptedRight(suggested) / acceptedAll,
      coverage: score.support === 0 ? 0 : acceptedRight(suggested) / score.support,
      flatCoverage: score.support === 0 ? 0 : acceptedRight(flat) / score.support,
      reached: best >= 0,
    };
  });
  const suggestedOf = new Map(perIntent.map((t) => [t.intent, t.suggested]));
  const currentOf = new Map(perIntent.map((t) => [t.intent, t.current]));
  return {
    folds: e.folds,
    seed: e.seed,
    samples: e.samples,
    targetPrecision: target,
    flatThreshold: flat,
    macroF1: e.macro.f1,
    perIntent,
    totals: {
      current: totals(e.predictions, (i) => currentOf.get(i) ?? 1),
      flat: totals(e.predictions, () => flat),
      suggested: totals(e.predictions, (i) => suggestedOf.get(i) ?? 1),
    },
    warnings: smallIntents(samples),
  };
}

/** One warning per intent with fewer than MIN_SAMPLES_PER_INTENT samples. */
export function smallIntents(samples: readonly LabeledText[]): string[] {
  const counts = new Map<string, number>();
  for (const s of samples) counts.set(s.intent_label, (counts.get(s.intent_label) ?? 0) + 1);
  return [...counts]
    .filter(([, n]) => n < MIN_SAMPLES_PER_INTENT)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(
      ([intent, n]) =>
        `intent '${intent}' has ${n} validated sample${n === 1 ? "" : "s"} (fewer than ${MIN_SAMPLES_PER_INTENT}): its scores and threshold are unreliable`,
    );
}
