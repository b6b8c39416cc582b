export { normalize, stem, words } from "./text.js";
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
