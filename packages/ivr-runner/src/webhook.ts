import { deadline, fetchText } from "./deadline.js";
import { randomUUID } from "node:crypto";
import { DTMF_PATTERN } from "@verdict/schema";
import { z } from "zod";
import {
  ChannelAbortedError,
  type ChannelCallOptions,
  ChannelError,
  ChannelTimeoutError,
  type IvrChannel,
} from "./channel.js";

/**
 * An IVR reached over HTTP: every caller action is a POST to the IVR's webhook URL,
 *
 *   { "call_id": "...", "to": "<target>", "input": { "type": "start" } }        (to: only on start)
 *   { "call_id": "...", "input": { "type": "dtmf", "digits": "1#" } }
 *   { "call_id": "...", "input": { "type": "speech", "text": "what is my balance" } }
 *   { "call_id": "...", "input": { "type": "hangup" } }
 *
 * and the IVR answers 200 with the prompt it plays next: { "prompt": "..." }. A non-2xx answer
 * is an error ({ "error": "..." } is shown when present). Timeouts and cancellation come from
 * the AbortSignal of each call; hangUp() also cancels whatever is still in flight.
 */
export type WebhookInput =
  | { type: "start" }
  | { type: "dtmf"; digits: string }
  | { type: "speech"; text: string }
  | { type: "hangup" };

export interface WebhookChannelOptions {
  /** The IVR's webhook URL (http or https). */
  url: string;
  /** How long hangUp() waits for the IVR to acknowledge (default 2000 ms). */
  hangUpTimeoutMs?: number;
}

const webhookAnswer = z.object({ prompt: z.string().max(100_000) });
const errorAnswer = z.object({ error: z.string() });

function describe(input: WebhookInput): string {
  switch (input.type) {
    case "start":
      return "the call's start";
    case "dtmf":
      return `DTMF ${input.digits}`;
    case "speech":
      return `"${input.text.length > 60 ? `${input.text.slice(0, 57)}...` : input.text}"`;
    case "hangup":
      return "the hang-up";
  }
}

function isTimeout(reason: unknown): boolean {
  return reason instanceof Error && reason.name === "TimeoutError";
}

export class WebhookChannel implements IvrChannel {
  private readonly url: string;
  private readonly hangUpTimeoutMs: number;
  private callId: string | null = null;
  private ended = false;
  private readonly call = new AbortController();
  private readonly prompts: string[] = [];
  private readonly waiters = new Set<(prompt: string) => void>();

  constructor(opts: WebhookChannelOptions) {
    let parsed: URL;
    try {
      parsed = new URL(opts.url);
    } catch {
      throw new ChannelError(`IVR webhook URL is not a URL: '${opts.url}'`);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new ChannelError(`IVR webhook URL must be http or https, got '${opts.url}'`);
    }
    this.url = parsed.toString();
    this.hangUpTimeoutMs = opts.hangUpTimeoutMs ?? 2000;
  }

  get currentCallId(): string | null {
    return this.callId;
  }

  async startCall(target: string, opts: ChannelCallOptions = {}): Promise<string> {
    if (this.callId !== null) throw new ChannelError(`this channel already placed call ${this.callId}`);
    this.callId = `call-${randomUUID()}`;
    await this.post({ type: "start" }, opts, target);
    return this.callId;
  }

  async sendDtmf(digits: string, opts: ChannelCallOptions = {}): Promise<void> {
    if (!DTMF_PATTERN.test(digits)) throw new ChannelError(`DTMF digits must match [0-9*#A-D]+, got '${digits}'`);
    await this.post({ type: "dtmf", digits }, opts);
  }

  async sendUtterance(text: string, opts: ChannelCallOptions = {}): Promise<void> {
    if (text.trim() === "") throw new ChannelError("cannot say an empty utterance");
    await this.post({ type: "speech", text }, opts);
  }

  async receivePrompt(opts: ChannelCallOptions & { timeoutMs?: number } = {}): Promise<string> {
    this.requireLiveCall();
    const queued = this.prompts.shift();
    if (queued !== undefined) return queued;
    const { signal, clear } = deadline(opts.timeoutMs, this.call.signal, opts.signal);
    return new Promise<string>((resolve, reject) => {
      const onAbort = () => {
        clear();
        this.waiters.delete(deliver);
        reject(this.abortError(signal, "a prompt", opts.timeoutMs ?? null));
      };
      const deliver = (prompt: string) => {
        clear();
        signal.removeEventListener("abort", onAbort);
        this.waiters.delete(deliver);
        resolve(prompt);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiters.add(deliver);
    });
  }

  async hangUp(): Promise<void> {
    if (this.callId === null || this.ended) return;
    this.ended = true;
    this.call.abort(new ChannelAbortedError("the call was hung up"));
    try {
      const d = deadline(this.hangUpTimeoutMs);
      await this.request({ type: "hangup" }, d.signal).finally(d.clear);
    } catch {
      // The IVR may be gone or stuck; the call is over on our side either way.
    }
  }

  private requireLiveCall(): void {
    if (this.callId === null) throw new ChannelError("no call in progress: startCall() first");
    if (this.ended) throw new ChannelError(`call ${this.callId} has been hung up`);
  }

  private deliver(prompt: string): void {
    const waiter = this.waiters.values().next();
    if (!waiter.done) waiter.value(prompt);
    else this.prompts.push(prompt);
  }

  private abortError(signal: AbortSignal, what: string, timeoutMs: number | null): ChannelError {
    if (this.call.signal.aborted) return new ChannelAbortedError(`waiting for ${what} stopped: the call was hung up`);
    const reason: unknown = signal.reason;
    if (isTimeout(reason)) {
      return new ChannelTimeoutError(
        `no answer from the IVR to ${what}${timeoutMs === null ? " in time" : ` within ${timeoutMs} ms`}`,
        timeoutMs,
      );
    }
    const why = reason instanceof Error ? reason.message : String(reason);
    return new ChannelAbortedError(`waiting for ${what} was cancelled: ${why}`);
  }

  private async post(input: WebhookInput, opts: ChannelCallOptions, target?: string): Promise<void> {
    this.requireLiveCall();
    const d = deadline(undefined, this.call.signal, opts.signal);
    const prompt = await this.request(input, d.signal, target).finally(d.clear);
    this.deliver(prompt);
  }

  private async request(input: WebhookInput, signal: AbortSignal, target?: string): Promise<string> {
    const what = describe(input);
    let res: Response;
    let body: unknown;
    try {
      let text: string;
      ({ res, text } = await fetchText(
        this.url,
        {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json" },
          body: JSON.stringify({ call_id: this.callId, ...(target !== undefined ? { to: target } : {}), input }),
        },
        undefined,
        signal,
      ));
      try {
        body = text === "" ? null : JSON.parse(text);
      } catch {
        body = text;
      }
    } catch (e) {
      if (signal.aborted) throw this.abortError(signal, what, null);
      const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : (e as Error).message;
      throw new ChannelError(`cannot reach the IVR webhook at ${this.url}: ${cause}`);
    }
    if (!res.ok) {
      const err = errorAnswer.safeParse(body);
      const detail = err.success ? err.data.error : typeof body === "string" ? body.slice(0, 200) : res.statusText;
      throw new ChannelError(`the IVR webhook answered ${what} with HTTP ${res.status}: ${detail}`);
    }
    const answer = webhookAnswer.safeParse(body);
    if (!answer.success) {
      throw new ChannelError(`the IVR webhook's answer to ${what} is not {"prompt": "<text>"}`);
    }
    return answer.data.prompt;
  }
}
