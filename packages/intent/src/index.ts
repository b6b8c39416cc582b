export { analyze, normalize, wordFeaturesOf, words } from "./text.js";
export { stem } from "./stemmer.js";
export {
  LANGUAGES,
  type Language,
  type LanguageSetting,
  asciiFold,
  detectLanguage,
  foldCase,
} from "./language.js";
export { seededRandom, stratifiedFolds } from "./random.js";
export {
  IntentDataError,
  IntentModel,
  type LabeledText,
  type ModelInfo,
  type Prediction,
  type RankedIntent,
  type TrainOptions,
  train,
} from "./model.js";
export { type Averages, type EvaluateOptions, type Evaluation, type IntentScore, evaluate } from "./evaluate.js";
export {
  type AcceptanceTotals,
  type IntentThreshold,
  MIN_SAMPLES_PER_INTENT,
  type ThresholdOptions,
  type ThresholdReport,
  smallIntents,
  suggestThresholds,
} from "./thresholds.js";
