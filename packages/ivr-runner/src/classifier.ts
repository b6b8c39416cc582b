import { createHash } from "node:crypto";
import { type IntentModel, smallIntents, train } from "@verdict/intent";
import type { TrainingSample } from "@verdict/schema";

/**
 * Trained intent models, cached by a hash of the samples they were trained on: every
 * execution asks for the current validated samples, and only a change to them (added,
 * relabelled, re-thresholded, rejected) costs a new training.
 */
/** What a model is trained from: the fields of a TrainingSample the classifier reads. */
export type ModelSample = Pick<TrainingSample, "text_sample" | "intent_label" | "confidence_threshold">;

export function samplesHash(samples: readonly ModelSample[]): string {
  const canonical = samples.map((s) => JSON.stringify([s.intent_label, s.text_sample, s.confidence_threshold])).sort();
  return createHash("sha256").update(canonical.join("\n")).digest("hex");
}

export class ModelCache {
  private readonly models = new Map<string, IntentModel>();
  trainings = 0;

  constructor(private readonly capacity = 4) {}

  /**
   * The model for these samples, trained now unless an identical set was seen before. Throws IntentDataError.
   * When it trains, `warn` gets one line per intent with fewer than 10 samples (once per set of samples).
   */
  get(samples: readonly ModelSample[], warn?: (line: string) => void): IntentModel {
    const key = samplesHash(samples);
    const hit = this.models.get(key);
    if (hit) {
      this.models.delete(key);
      this.models.set(key, hit); // most recently used last
      return hit;
    }
    const model = train(samples);
    this.trainings++;
    if (warn) for (const line of smallIntents(samples)) warn(line);
    this.models.set(key, model);
    while (this.models.size > this.capacity) {
      const oldest = this.models.keys().next();
      if (oldest.done) break;
      this.models.delete(oldest.value);
    }
    return model;
  }
}
