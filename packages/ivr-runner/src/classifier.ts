import { createHash } from "node:crypto";
import { type IntentModel, train } from "@verdict/intent";
import type { TrainingSample } from "@verdict/schema";

/**
 * Trained intent models, cached by a hash of the samples they were trained on: every
 * execution asks for the current validated samples, and only a change to them (added,
 * relabelled, re-thresholded, rejected) costs a new training.
 */
export function samplesHash(samples: readonly TrainingSample[]): string {
  const canonical = samples.map((s) => JSON.stringify([s.intent_label, s.text_sample, s.confidence_threshold])).sort();
  return createHash("sha256").update(canonical.join("\n")).digest("hex");
}

export class ModelCache {
  private readonly models = new Map<string, IntentModel>();
  trainings = 0;

  constructor(private readonly capacity = 4) {}

  /** The model for these samples, trained now unless an identical set was seen before. Throws IntentDataError. */
  get(samples: readonly TrainingSample[]): IntentModel {
    const key = samplesHash(samples);
    const hit = this.models.get(key);
    if (hit) {
      this.models.delete(key);
      this.models.set(key, hit); // most recently used last
      return hit;
    }
    const model = train(samples);
    this.trainings++;
    this.models.set(key, model);
    while (this.models.size > this.capacity) {
      const oldest = this.models.keys().next();
      if (oldest.done) break;
      this.models.delete(oldest.value);
    }
    return model;
  }
}
