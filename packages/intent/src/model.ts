import { z } from "zod";
import { stratifiedFolds } from "./random.js";
import { type SoftmaxWeights, fitSoftmax, logits, softmax } from "./softmax.js";
import { type SparseVector, TfidfVectorizer } from "./tfidf.js";
import type { LanguageSetting } from "./language.js";
import { DEFAULT_FEATURES } from "./text.js";

/** What a classifier learns from: a TrainingSample from @verdict/schema fits this shape. */
export interface LabeledText {
  text_sample: string;
  intent_label: string;
  confidence_threshold?: number | undefined;
}

const labeledText = z.object({
  text_sample: z.string().trim().min(1, "must not be empty"),
  intent_label: z.string().trim().min(1, "must not be empty"),
  confidence_threshold: z.number().min(0).max(1).optional(),
});

/** A problem with the samples given to train/evaluate; names the sample and field. */
export class IntentDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IntentDataError";
  }
}

export interface TrainOptions {
  /** L2 penalty λ on the weights (default 0.002). */
  l2?: number;
  /** Character n-gram sizes inside words; [] turns them off (default [3, 4]). */
  charNgrams?: readonly number[];
  /** Weight of the character block against the word block (default 0.5). */
  charWeight?: number;
  /** "balanced" weighs each sample by n / (classes · n_label) so rare intents count as much (default). */
  classWeight?: "balanced" | "none";
  /**
   * Temperature scaling of the probabilities, fitted on out-of-fold predictions of a stratified
   * cross-validation of the training set (default true). Skipped when some intent has fewer
   * than 3 samples: there is then nothing held out to calibrate against.
   */
  calibrate?: boolean;
  /** Seed of the calibration folds (default 1). */
  seed?: number;
  /** How an intent's threshold is taken from its samples' confidence_threshold (default "max"). */
  thresholdPolicy?: "max" | "mean";
  /** Threshold of an intent whose samples carry none (default 0.5). */
  defaultThreshold?: number;
  maxIterations?: number;
  /** Language of the samples: "en", "tr", or "auto" to detect it per text (default). */
  language?: LanguageSetting;
}

export interface RankedIntent {
  intent: string;
  confidence: number;
}

export interface Prediction {
  /** The most probable intent. */
  intent: string;
  /** Its probability (0..1) after calibration. */
  confidence: number;
  /** The intent's threshold, learnt from its samples. */
  threshold: number;
  /** confidence ≥ threshold, and the text shares at least one word feature with the training data. */
  accepted: boolean;
  /** Every intent, most probable first. */
  ranking: RankedIntent[];
  /** Word n-grams of the text the model knows; 0 means the prediction is just the prior. */
  knownFeatures: number;
}

export interface ModelInfo {
  intents: string[];
  samples: number;
  features: number;
  thresholds: Record<string, number>;
  temperature: number;
  iterations: number;
  converged: boolean;
  l2: number;
}

function resolveOptions(opts: TrainOptions) {
  return {
    l2: opts.l2 ?? 0.002,
    charNgrams: opts.charNgrams ?? DEFAULT_FEATURES.charNgrams,
    charWeight: opts.charWeight ?? 0.5,
    classWeight: opts.classWeight ?? "balanced",
    calibrate: opts.calibrate ?? true,
    seed: opts.seed ?? 1,
    thresholdPolicy: opts.thresholdPolicy ?? "max",
    defaultThreshold: opts.defaultThreshold ?? 0.5,
    maxIterations: opts.maxIterations ?? 3000,
    language: opts.language ?? "auto",
  };
}
type Resolved = ReturnType<typeof resolveOptions>;

interface Clean {
  text: string;
  label: string;
  threshold: number | undefined;
}

/** Validates and puts samples in a canonical order, so the model does not depend on row order. */
function clean(samples: readonly LabeledText[]): Clean[] {
  const out: Clean[] = [];
  samples.forEach((s, i) => {
    const r = labeledText.safeParse(s);
    if (!r.success) {
      const issue = r.error.issues[0];
      const field = issue?.path.join(".") || "sample";
      throw new IntentDataError(`sample ${i + 1}: ${field}: ${issue?.message ?? "invalid"}`);
    }
    out.push({ text: r.data.text_sample, label: r.data.intent_label, threshold: r.data.confidence_threshold });
  });
  return out.sort((a, b) =>
    a.label === b.label ? (a.text < b.text ? -1 : a.text > b.text ? 1 : 0) : a.label < b.label ? -1 : 1,
  );
}

interface Core {
  intents: string[];
  vectorizer: TfidfVectorizer;
  weights: SoftmaxWeights;
}

function fitCore(data: readonly Clean[], o: Resolved): Core {
  const intents = [...new Set(data.map((d) => d.label))].sort();
  const labelIndex = new Map(intents.map((l, i) => [l, i]));
  const vectorizer = TfidfVectorizer.fit(
    data.map((d) => d.text),
    {
      wordNgrams: DEFAULT_FEATURES.wordNgrams,
      charNgrams: o.charNgrams,
      charWeight: o.charWeight,
      language: o.language,
    },
  );
  const rows = data.map((d) => vectorizer.transform(d.text));
  const labels = data.map((d) => labelIndex.get(d.label) ?? 0);
  const counts = intents.map((l) => data.filter((d) => d.label === l).length);
  const sampleWeights = labels.map((y) =>
    o.classWeight === "balanced" ? data.length / (intents.length * (counts[y] ?? 1)) : 1,
  );
  const weights = fitSoftmax(rows, labels, sampleWeights, intents.length, vectorizer.dimension, {
    l2: o.l2,
    maxIterations: o.maxIterations,
    tolerance: 1e-5,
  });
  return { intents, vectorizer, weights };
}

/** Mean negative log-likelihood of the true labels at temperature t. */
function nll(outOfFold: readonly { z: Float64Array; y: number }[], t: number): number {
  let sum = 0;
  for (const { z, y } of outOfFold) sum -= Math.log(Math.max(softmax(z, t)[y] ?? 0, 1e-12));
  return sum / outOfFold.length;
}

/**
 * The temperature T minimising the out-of-fold log-loss of softmax(z / T), found by golden-section
 * search over ln T ∈ [ln 0.05, ln 20] (the log-loss of temperature scaling is unimodal in T).
 */
function fitTemperature(data: readonly Clean[], o: Resolved): number {
  const counts = new Map<string, number>();
  for (const d of data) counts.set(d.label, (counts.get(d.label) ?? 0) + 1);
  const smallest = Math.min(...counts.values());
  if (counts.size < 2 || smallest < 3) return 1;
  const k = Math.min(3, smallest);
  const fold = stratifiedFolds(
    data.map((d) => d.label),
    k,
    o.seed,
  );
  const outOfFold: { z: Float64Array; y: number }[] = [];
  for (let f = 0; f < k; f++) {
    const trainSet = data.filter((_, i) => fold[i] !== f);
    const core = fitCore(trainSet, o);
    data.forEach((d, i) => {
      if (fold[i] !== f) return;
      const y = core.intents.indexOf(d.label);
      const z = logits(core.weights, core.vectorizer.transform(d.text));
      outOfFold.push({ z, y });
    });
  }
  let lo = Math.log(0.05);
  let hi = Math.log(20);
  const phi = (Math.sqrt(5) - 1) / 2;
  let a = hi - phi * (hi - lo);
  let b = lo + phi * (hi - lo);
  let fa = nll(outOfFold, Math.exp(a));
  let fb = nll(outOfFold, Math.exp(b));
  for (let i = 0; i < 60; i++) {
    if (fa < fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - phi * (hi - lo);
      fa = nll(outOfFold, Math.exp(a));
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + phi * (hi - lo);
      fb = nll(outOfFold, Math.exp(b));
    }
  }
  return Math.exp((lo + hi) / 2);
}

/** A trained intent classifier: TF-IDF features, softmax regression, calibrated probabilities. */
export class IntentModel {
  readonly intents: readonly string[];
  readonly thresholds: Readonly<Record<string, number>>;

  /** @internal use train() */
  constructor(
    private readonly core: Core,
    readonly temperature: number,
    thresholds: Record<string, number>,
    private readonly meta: { samples: number; l2: number },
  ) {
    this.intents = core.intents;
    this.thresholds = thresholds;
  }

  /** Probabilities of every intent for `text`, in the order of `intents`. */
  probabilities(text: string): Float64Array {
    return softmax(logits(this.core.weights, this.vector(text)), this.temperature);
  }

  private vector(text: string): SparseVector {
    return this.core.vectorizer.transform(text);
  }

  /** The threshold learnt for `intent` (undefined for an intent the model does not know). */
  thresholdFor(intent: string): number | undefined {
    return this.thresholds[intent];
  }

  predict(text: string): Prediction {
    const p = this.probabilities(text);
    const ranking = this.intents
      .map((intent, k) => ({ intent, confidence: p[k] ?? 0 }))
      .sort((a, b) => b.confidence - a.confidence || (a.intent < b.intent ? -1 : 1));
    const top = ranking[0] ?? { intent: "", confidence: 0 };
    const threshold = this.thresholds[top.intent] ?? 1;
    const knownFeatures = this.core.vectorizer.knownWordFeatures(text);
    return {
      intent: top.intent,
      confidence: top.confidence,
      threshold,
      accepted: knownFeatures > 0 && top.confidence >= threshold,
      ranking,
      knownFeatures,
    };
  }

  get info(): ModelInfo {
    return {
      intents: [...this.intents],
      samples: this.meta.samples,
      features: this.core.vectorizer.dimension,
      thresholds: { ...this.thresholds },
      temperature: this.temperature,
      iterations: this.core.weights.iterations,
      converged: this.core.weights.converged,
      l2: this.meta.l2,
    };
  }
}

/**
 * Trains a classifier from labelled samples (e.g. the validated TrainingSamples of Verdict).
 * Needs at least two intents. Deterministic: the same samples, in any order, with the same
 * options give the same model.
 */
export function train(samples: readonly LabeledText[], options: TrainOptions = {}): IntentModel {
  const o = resolveOptions(options);
  if (!(o.l2 > 0)) throw new IntentDataError(`l2 must be greater than 0, got ${o.l2}`);
  const data = clean(samples);
  const intents = new Set(data.map((d) => d.label));
  if (intents.size < 2) {
    throw new IntentDataError(
      `need samples of at least 2 intents to train, got ${intents.size}${intents.size === 1 ? ` (${[...intents][0]})` : ""}`,
    );
  }
  const core = fitCore(data, o);
  const temperature = o.calibrate ? fitTemperature(data, o) : 1;
  const thresholds: Record<string, number> = {};
  for (const intent of core.intents) {
    const values = data.filter((d) => d.label === intent && d.threshold !== undefined).map((d) => d.threshold ?? 0);
    thresholds[intent] =
      values.length === 0
        ? o.defaultThreshold
        : o.thresholdPolicy === "max"
          ? Math.max(...values)
          : values.reduce((a, b) => a + b, 0) / values.length;
  }
  return new IntentModel(core, temperature, thresholds, { samples: data.length, l2: o.l2 });
}
