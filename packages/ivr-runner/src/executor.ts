import { type IntentModel, IntentDataError } from "@verdict/intent";
import type { StepDefinition } from "@verdict/schema";
import { ChannelTimeoutError, type IvrChannel } from "./channel.js";
import { ModelCache } from "./classifier.js";
import { matchPrompt } from "./match.js";
import { WebhookChannel } from "./webhook.js";
import type { IvrExecutionContext, IvrExecutor, StepReport } from "./types.js";

/**
 * Runs an IVR scenario over a channel, one call per execution.
 *
 * Semantics of the steps (what each one waits for and checks):
 * - The call is placed when the first step starts (within that step's timeout); the IVR's
 *   greeting becomes the pending prompt.
 * - prompt: takes the pending prompt (the IVR's answer to the last thing sent, not yet checked
 *   by a prompt step) or waits for the next one; checks expected_text (contains | exact | regex).
 * - dtmf: sends the digits and waits for the IVR's answer, which becomes the pending prompt.
 * - intent: says the utterance and classifies the IVR's answer with the intent model trained
 *   from the validated training samples; passes when the top intent is expected_intent with a
 *   confidence at or above the step's confidence_threshold, or else the intent's own threshold.
 *   The answer stays pending for a following prompt step. Without an utterance it classifies
 *   the pending (or next) prompt.
 * - validate: checks the last prompt heard (intent and/or text) without sending anything.
 *
 * Every step is reported. A step that fails or errs ends the scenario: the IVR is then in an
 * unknown menu, so the remaining steps are reported as skipped. final_result is "pass" iff
 * every step passed. The call is always hung up.
 */
export interface IvrExecutorConfig {
  /** Where the IVR under test answers the webhook protocol (see ../ivr/webhook.ts). */
  ivrWebhookUrl?: string;
  /** Timeout of a step that has no timeout_ms (default 10 000 ms). */
  defaultStepTimeoutMs?: number;
  /** The channel for one call; by default a WebhookChannel on ivrWebhookUrl. */
  channel?: () => IvrChannel;
  /** Trained models by samples hash; shared by every run of this executor by default. */
  models?: ModelCache;
}

type Outcome = Pick<
  StepReport,
  "status" | "error" | "transcript" | "expected_intent" | "actual_intent" | "confidence" | "dtmf_sent"
>;

interface CallState {
  channel: IvrChannel;
  callId: string | null;
  /** The IVR's latest answer not yet checked by a prompt step. */
  pending: string | null;
  /** The last prompt heard. */
  last: string | null;
}

const fmt = (p: number) => p.toFixed(2);

function stepLabel(i: number, step: StepDefinition): string {
  return `step ${i}${step.name ? ` (${step.name})` : ""}`;
}

export function createIvrExecutor(config: IvrExecutorConfig): IvrExecutor {
  const defaultTimeout = config.defaultStepTimeoutMs ?? 10_000;
  const models = config.models ?? new ModelCache();
  const url = config.ivrWebhookUrl;
  const makeChannel = config.channel ?? (url !== undefined ? () => new WebhookChannel({ url }) : null);

  function classify(
    model: IntentModel | null,
    modelError: string | null,
    text: string,
    expected: string,
    stepThreshold: number | undefined,
  ): Outcome {
    const base: Outcome = { status: "error", expected_intent: expected, transcript: text };
    if (model === null) return { ...base, error: modelError ?? "no intent model" };
    const p = model.predict(text);
    const result: Outcome = { ...base, actual_intent: p.intent, confidence: p.confidence };
    const intentThreshold = model.thresholdFor(expected);
    if (intentThreshold === undefined) {
      return {
        ...result,
        error: `expected intent ${expected} has no validated training samples (known intents: ${model.intents.join(", ")})`,
      };
    }
    if (p.knownFeatures === 0) {
      return {
        ...result,
        status: "fail",
        error: `the prompt shares no words with the training data, so its intent cannot be told (best guess ${p.intent}, ${fmt(p.confidence)})`,
      };
    }
    if (p.intent !== expected) {
      return {
        ...result,
        status: "fail",
        error: `expected intent ${expected}, got ${p.intent} (confidence ${fmt(p.confidence)})`,
      };
    }
    const threshold = stepThreshold ?? intentThreshold;
    if (p.confidence < threshold) {
      return {
        ...result,
        status: "fail",
        error: `intent ${expected} recognised with confidence ${fmt(p.confidence)}, below the threshold ${fmt(threshold)}`,
      };
    }
    return { ...result, status: "pass", error: null };
  }

  async function runStep(
    step: StepDefinition,
    call: CallState,
    signal: AbortSignal,
    model: IntentModel | null,
    modelError: string | null,
  ): Promise<Outcome> {
    const { channel } = call;
    const answer = async () => {
      const prompt = await channel.receivePrompt({ signal });
      call.pending = prompt;
      call.last = prompt;
      return prompt;
    };
    switch (step.type) {
      case "prompt": {
        const prompt = call.pending ?? (await answer());
        call.pending = null;
        call.last = prompt;
        if (step.expected_text === undefined) return { status: "pass", transcript: prompt, error: null };
        const m = matchPrompt(prompt, step.expected_text, step.match);
        return { status: m.ok ? "pass" : m.invalid ? "error" : "fail", transcript: prompt, error: m.reason };
      }
      case "dtmf": {
        await channel.sendDtmf(step.digits, { signal });
        const prompt = await answer();
        return { status: "pass", dtmf_sent: step.digits, transcript: prompt, error: null };
      }
      case "intent": {
        let prompt: string;
        if (step.utterance !== undefined) {
          await channel.sendUtterance(step.utterance, { signal });
          prompt = await answer();
        } else {
          prompt = call.pending ?? (await answer());
          call.pending = null;
        }
        return classify(model, modelError, prompt, step.expected_intent, step.confidence_threshold);
      }
      case "validate": {
        const prompt = call.last;
        if (prompt === null) {
          return { status: "error", error: "nothing to validate: the IVR has not played a prompt yet" };
        }
        if (step.expected_text !== undefined) {
          const m = matchPrompt(prompt, step.expected_text, "contains");
          if (!m.ok) {
            return {
              status: m.invalid ? "error" : "fail",
              transcript: prompt,
              error: m.reason,
              expected_intent: step.expected_intent ?? null,
            };
          }
        }
        if (step.expected_intent === undefined) return { status: "pass", transcript: prompt, error: null };
        return classify(model, modelError, prompt, step.expected_intent, undefined);
      }
    }
  }

  return {
    async run(ctx: IvrExecutionContext) {
      const { scenario } = ctx;
      if (makeChannel === null) {
        return {
          final_result: "fail",
          call_id: null,
          error: "no IVR channel configured: give the worker --ivr-webhook URL",
        };
      }
      let channel: IvrChannel;
      try {
        channel = makeChannel();
      } catch (e) {
        return { final_result: "fail", call_id: null, error: (e as Error).message };
      }
      const deadline = AbortSignal.timeout(scenario.timeout_seconds * 1000);
      const execution = AbortSignal.any([ctx.signal, deadline]);

      let model: IntentModel | null = null;
      let modelError: string | null = null;
      const needsModel = scenario.steps.some(
        (s) => s.type === "intent" || (s.type === "validate" && s.expected_intent !== undefined),
      );
      if (needsModel) {
        try {
          model = models.get(await ctx.trainingSamples());
        } catch (e) {
          modelError =
            e instanceof IntentDataError
              ? `cannot classify intents: ${e.message}`
              : `cannot load the training samples: ${(e as Error).message}`;
        }
      }

      const call: CallState = { channel, callId: null, pending: null, last: null };
      let failure: string | null = null;
      let failedStep = "";
      try {
        for (const [i, step] of scenario.steps.entries()) {
          const started = Date.now();
          const startedAt = new Date(started).toISOString();
          const report = (o: Outcome) => {
            const ended = Date.now();
            ctx.report({
              step_number: i,
              step_type: step.type,
              expected_intent: o.expected_intent ?? (step.type === "intent" ? step.expected_intent : null),
              actual_intent: o.actual_intent ?? null,
              confidence: o.confidence ?? null,
              transcript: o.transcript ?? null,
              dtmf_sent: o.dtmf_sent ?? null,
              status: o.status,
              started_at: startedAt,
              ended_at: new Date(ended).toISOString(),
              latency_ms: ended - started,
              error: o.error ?? null,
            });
            if (o.status !== "pass" && failure === null) {
              failedStep = stepLabel(i, step);
              failure = `${failedStep}: ${o.error ?? o.status}`;
            }
          };
          if (failure !== null) {
            report({ status: "skipped", error: `not run: ${failedStep} did not pass` });
            continue;
          }
          const timeoutMs = step.timeout_ms ?? defaultTimeout;
          const stepTimer = AbortSignal.timeout(timeoutMs);
          const signal = AbortSignal.any([execution, stepTimer]);
          try {
            if (call.callId === null) {
              call.callId = await channel.startCall(scenario.target_phone, { signal });
              call.pending = await channel.receivePrompt({ signal });
              call.last = call.pending;
            }
            report(await runStep(step, call, signal, model, modelError));
          } catch (e) {
            const message = e instanceof Error ? e.message : String(e);
            let error: string;
            if (ctx.signal.aborted) {
              const reason: unknown = ctx.signal.reason;
              error = `execution aborted: ${reason instanceof Error ? reason.message : String(reason ?? "cancelled")}`;
            } else if (deadline.aborted) {
              error = `scenario timed out: timeout_seconds ${scenario.timeout_seconds} reached (${message})`;
            } else if (stepTimer.aborted || e instanceof ChannelTimeoutError) {
              error = `timed out after ${timeoutMs} ms: ${message}`;
            } else {
              error = message;
            }
            report({ status: "error", error });
          }
        }
      } finally {
        await channel.hangUp().catch(() => undefined);
      }
      return { final_result: failure === null ? "pass" : "fail", call_id: call.callId, error: failure };
    },
  };
}
