import { deadline } from "./deadline.js";
import { type IntentModel, IntentDataError } from "@verdict/intent";
import { type StepDefinition, recordedStepType } from "@verdict/schema";
import { type CallEvents, ChannelTimeoutError, type IvrChannel } from "./channel.js";
import { ModelCache } from "./classifier.js";
import { type MatchResult, checkText, matchPrompt } from "./match.js";
import { TwimlChannel } from "./twiml.js";
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
 * - no_input: stays silent for `seconds`; the IVR's no-input prompt becomes the pending prompt and
 *   is checked like a prompt step's (fails when the IVR would still be waiting). Recorded as prompt.
 * - expect_transfer / expect_hangup / expect_audio: check what happened on the call so far (a
 *   transfer, optionally to `to`; the IVR ending the call; audio played whose URL matches
 *   url_pattern), on channels that can tell (TwiML). Recorded as validate.
 * Prompt checks: expected_text with match contains | exact | regex | similar (threshold
 * `similarity`), or `expect`, a combination (all/any) of those.
 *
 * Every step is reported. A step that fails or errs ends the scenario: the IVR is then in an
 * unknown menu, so the remaining steps are reported as skipped. final_result is "pass" iff
 * every step passed. The call is always hung up.
 */
export interface IvrExecutorConfig {
  /** Where the IVR under test answers: the webhook protocol (./webhook.ts) or TwiML (./twiml.ts). */
  ivrWebhookUrl?: string;
  /** Which protocol ivrWebhookUrl speaks (default webhook). */
  ivrChannel?: ChannelKind;
  /** TwiML: the auth token that signs every request (X-Twilio-Signature). */
  authToken?: string;
  /** Timeout of a step that has no timeout_ms (default 10 000 ms). */
  defaultStepTimeoutMs?: number;
  /** The channel for one call; by default a WebhookChannel on ivrWebhookUrl. */
  channel?: () => IvrChannel;
  /** Trained models by samples hash; shared by every run of this executor by default. */
  models?: ModelCache;
  /** Gets one line per intent with fewer than 10 validated samples, each time a model is trained. */
  onWarning?: (line: string) => void;
}

export type ChannelKind = "webhook" | "twiml";

/** A channel of this kind for one call to the IVR at `url`. */
export function createChannel(kind: ChannelKind, url: string, authToken?: string): IvrChannel {
  if (kind === "twiml") return new TwimlChannel({ url, ...(authToken !== undefined ? { authToken } : {}) });
  return new WebhookChannel({ url });
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

function verdictOf(m: MatchResult): "pass" | "fail" | "error" {
  return m.ok ? "pass" : m.invalid ? "error" : "fail";
}

/** The text check of a prompt or no_input step; passes when the step expects nothing. */
function checkPrompt(prompt: string, step: Extract<StepDefinition, { type: "prompt" | "no_input" }>): Outcome {
  let m: MatchResult | null = null;
  if (step.expect !== undefined) m = checkText(prompt, step.expect);
  else if (step.expected_text !== undefined) m = matchPrompt(prompt, step.expected_text, step.match, step.similarity);
  if (m === null) return { status: "pass", transcript: prompt, error: null };
  return { status: verdictOf(m), transcript: prompt, error: m.reason };
}

/** Phone numbers compare without spaces, dashes, dots and parentheses; SIP URIs case-insensitively. */
function dialable(target: string): string {
  const t = target.trim().toLowerCase();
  return t.startsWith("sip:") ? t : t.replace(/[\s().-]+/g, "");
}

function cannotTell(kind: string): Outcome {
  return {
    status: "error",
    error: `${kind} needs a channel that reports transfers, hang-ups and audio (the twiml channel); this one cannot tell`,
  };
}

function describeEvents(e: CallEvents): string {
  const parts = [
    e.transfers.length > 0 ? `transfers: ${e.transfers.map((t) => t.target).join(", ")}` : "no transfer",
    e.ended ? `ended: ${e.ended.detail}` : "call still up",
    e.audio.length > 0 ? `audio: ${e.audio.join(", ")}` : "no audio",
  ];
  return parts.join("; ");
}

function stepLabel(i: number, step: StepDefinition): string {
  return `step ${i}${step.name ? ` (${step.name})` : ""}`;
}

export function createIvrExecutor(config: IvrExecutorConfig): IvrExecutor {
  const defaultTimeout = config.defaultStepTimeoutMs ?? 10_000;
  const models = config.models ?? new ModelCache();
  const url = config.ivrWebhookUrl;
  const defaultChannel =
    config.channel ??
    (url !== undefined ? () => createChannel(config.ivrChannel ?? "webhook", url, config.authToken) : null);

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
        return checkPrompt(prompt, step);
      }
      case "no_input": {
        if (channel.sendSilence === undefined) {
          return { status: "error", error: "this channel cannot stay silent (no_input needs the twiml channel)" };
        }
        call.pending = null;
        const reacted = await channel.sendSilence(step.seconds, { signal });
        if (!reacted) {
          return {
            status: "fail",
            error: `after ${step.seconds} s of silence the IVR is still waiting for input (its <Gather> timeout is longer)`,
          };
        }
        const prompt = await answer();
        call.pending = null;
        return checkPrompt(prompt, step);
      }
      case "expect_transfer": {
        const events = channel.events?.();
        if (events === undefined) return cannotTell(step.type);
        const seen = events.transfers.map((t) => `${t.target} (${t.kind}, ${t.status})`).join(", ");
        if (events.transfers.length === 0) {
          return { status: "fail", error: "the IVR did not transfer the call", transcript: describeEvents(events) };
        }
        if (step.to !== undefined) {
          const want = dialable(step.to);
          if (!events.transfers.some((t) => dialable(t.target) === want)) {
            return {
              status: "fail",
              error: `expected a transfer to ${step.to}, the IVR transferred to ${seen}`,
              transcript: seen,
            };
          }
        }
        return { status: "pass", error: null, transcript: `transferred to ${seen}` };
      }
      case "expect_hangup": {
        const events = channel.events?.();
        if (events === undefined) return cannotTell(step.type);
        if (events.ended === null) {
          return { status: "fail", error: "the IVR has not ended the call", transcript: describeEvents(events) };
        }
        return { status: "pass", error: null, transcript: `the IVR ended the call: ${events.ended.detail}` };
      }
      case "expect_audio": {
        const events = channel.events?.();
        if (events === undefined) return cannotTell(step.type);
        const re = new RegExp(step.url_pattern);
        const hit = events.audio.find((u) => re.test(u));
        if (hit === undefined) {
          const played = events.audio.length === 0 ? "no audio" : events.audio.join(", ");
          return { status: "fail", error: `no audio played matches /${step.url_pattern}/ (played: ${played})` };
        }
        return { status: "pass", error: null, transcript: `played ${hit}` };
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
      const makeChannel = ctx.channel ?? defaultChannel;
      if (makeChannel === null) {
        return {
          final_result: "fail",
          call_id: null,
          error:
            "no IVR channel configured: give the IVR's URL (verdict-worker --ivr-webhook URL, verdict ivr run --target URL)",
        };
      }
      let channel: IvrChannel;
      try {
        channel = makeChannel();
      } catch (e) {
        return { final_result: "fail", call_id: null, error: (e as Error).message };
      }
      const executionDeadline = deadline(scenario.timeout_seconds * 1000, ctx.signal);
      const execution = executionDeadline.signal;

      let model: IntentModel | null = null;
      let modelError: string | null = null;
      const needsModel = scenario.steps.some(
        (s) => s.type === "intent" || (s.type === "validate" && s.expected_intent !== undefined),
      );
      if (needsModel) {
        try {
          model = models.get(await ctx.trainingSamples(), config.onWarning);
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
              step_type: recordedStepType(step.type),
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
          const stepDeadline = deadline(timeoutMs, execution);
          const signal = stepDeadline.signal;
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
            } else if (executionDeadline.signal.aborted) {
              error = `scenario timed out: timeout_seconds ${scenario.timeout_seconds} reached (${message})`;
            } else if (signal.aborted || e instanceof ChannelTimeoutError) {
              error = `timed out after ${timeoutMs} ms: ${message}`;
            } else {
              error = message;
            }
            report({ status: "error", error });
          } finally {
            stepDeadline.clear();
          }
        }
      } finally {
        executionDeadline.clear();
        await channel.hangUp().catch(() => undefined);
      }
      // The call's id even when placing it failed (the IVR then saw it in its logs).
      const callId = call.callId ?? channel.currentCallId ?? null;
      return { final_result: failure === null ? "pass" : "fail", call_id: callId, error: failure };
    },
  };
}
