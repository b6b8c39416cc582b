import { fetchText } from "./deadline.js";
import { DTMF_PATTERN } from "@verdict/schema";
import {
  ChannelAbortedError,
  type ChannelCallOptions,
  ChannelError,
  type CallEvents,
  type IvrChannel,
} from "./channel.js";
import { TwimlCall, twilioSid } from "./twiml-call.js";
import { type HttpMethod, TwimlError, type Verb, parseTwiml } from "./twiml-document.js";
import { SIGNATURE_HEADER, twilioSignature } from "./twiml-signature.js";

/**
 * An IVR that answers Twilio's voice webhooks with TwiML (also SignalWire cXML, Telnyx TeXML).
 * The channel plays Twilio's side of one inbound call:
 *
 * - startCall requests the voice URL (POST form fields, or GET with them in the query) with
 *   CallSid, AccountSid, From, To, Called, Caller, Direction, CallStatus and ApiVersion, and plays
 *   the TwiML it gets: <Say> text (loop times) becomes the prompt heard, <Play> URLs are recorded,
 *   <Pause> passes, <Redirect> fetches the next document (relative URLs resolve against the
 *   document's URL; more than maxRedirects in a row without caller input is a loop and fails),
 *   <Dial> is a transfer (its targets recorded; its action gets DialCallStatus), <Hangup> and
 *   <Reject> end the call, as does running out of verbs. Playing stops at a <Gather>: the text
 *   heard since the last input is delivered as one prompt and the call waits for input.
 * - sendDtmf submits digits to the Gather's action (default: the document's URL) as Digits, cut
 *   at numDigits or at finishOnKey (then FinishedOnKey is sent too); sendUtterance submits
 *   SpeechResult and Confidence to a Gather that takes speech.
 * - sendSilence(seconds) at or past the Gather's timeout is "no input": the action is requested
 *   without Digits when actionOnEmptyResult is true, otherwise the verbs after the Gather play.
 *   Only the digits "#" (the finishOnKey alone) count as no input as well.
 *
 * Time is not waited for: a Pause or a Gather's timeout passes at once, so a test runs fast.
 * With an auth token every request carries X-Twilio-Signature; without one, none.
 */
export interface TwimlChannelOptions {
  /** The IVR's voice URL (http or https). */
  url: string;
  /** Method of the first request (default POST). */
  method?: HttpMethod;
  /** The account's auth token: signs every request. */
  authToken?: string;
  /** AccountSid sent with every request (default: a random AC… id). */
  accountSid?: string;
  /** The caller's number (default +15005550006, Twilio's test number). */
  from?: string;
  /** Redirects followed in a row without caller input before it counts as a loop (default 20). */
  maxRedirects?: number;
  /** Confidence sent with SpeechResult (default 0.9). */
  speechConfidence?: number;
  /** DialCallStatus reported to a <Dial action> (default completed). */
  dialCallStatus?: "completed" | "busy" | "no-answer" | "failed" | "canceled";
}

function parseUrl(url: string, what: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ChannelError(`${what} is not a URL: '${url}'`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ChannelError(`${what} must be http or https, got '${url}'`);
  }
  return parsed;
}

function isTimeout(reason: unknown): boolean {
  return reason instanceof Error && reason.name === "TimeoutError";
}

export class TwimlChannel implements IvrChannel {
  private readonly url: string;
  private readonly opts: TwimlChannelOptions;
  private readonly accountSid: string;
  private call: TwimlCall | null = null;
  private readonly abort = new AbortController();
  private readonly prompts: string[] = [];
  /** Text heard since the last caller input. */
  private heard: string[] = [];

  constructor(opts: TwimlChannelOptions) {
    this.url = parseUrl(opts.url, "TwiML voice URL").toString();
    this.opts = opts;
    this.accountSid = opts.accountSid ?? twilioSid("AC");
  }

  get currentCallId(): string | null {
    return this.call?.callSid ?? null;
  }

  events(): CallEvents {
    return this.call?.events() ?? { transfers: [], ended: null, audio: [] };
  }

  async startCall(target: string, opts: ChannelCallOptions = {}): Promise<string> {
    if (this.call !== null) throw new ChannelError(`this channel already placed call ${this.call.callSid}`);
    const call = new TwimlCall(this.accountSid, this.opts.from ?? "+15005550006", target);
    this.call = call;
    const verbs = await this.fetchTwiml(this.url, this.opts.method ?? "POST", {}, "the call's start", opts.signal);
    call.status = "in-progress";
    await this.play(verbs.verbs, verbs.url, opts.signal);
    return call.callSid;
  }

  async sendDtmf(digits: string, opts: ChannelCallOptions = {}): Promise<void> {
    if (!DTMF_PATTERN.test(digits)) throw new ChannelError(`DTMF digits must match [0-9*#A-D]+, got '${digits}'`);
    const waiting = this.requireGather(`DTMF ${digits}`);
    const g = waiting.gather;
    if (!g.input.dtmf)
      throw new ChannelError(`the IVR's <Gather> takes input="speech" only; it ignores DTMF ${digits}`);
    let collected = "";
    let finishedOnKey: string | null = null;
    for (const d of digits) {
      if (g.finishOnKey !== "" && d === g.finishOnKey) {
        finishedOnKey = d;
        break;
      }
      collected += d;
      if (g.numDigits !== null && collected.length >= g.numDigits) break;
    }
    if (collected === "") return this.noInput(opts.signal);
    const extra: Record<string, string> = { Digits: collected };
    if (finishedOnKey !== null) extra.FinishedOnKey = finishedOnKey;
    await this.submit(extra, `DTMF ${digits}`, opts.signal);
  }

  async sendUtterance(text: string, opts: ChannelCallOptions = {}): Promise<void> {
    if (text.trim() === "") throw new ChannelError("cannot say an empty utterance");
    const what = `"${text.length > 60 ? `${text.slice(0, 57)}...` : text}"`;
    const waiting = this.requireGather(what);
    if (!waiting.gather.input.speech) {
      throw new ChannelError(`the IVR's <Gather> does not take speech (input="dtmf"); it ignores ${what}`);
    }
    const confidence = String(this.opts.speechConfidence ?? 0.9);
    await this.submit({ SpeechResult: text, Confidence: confidence }, what, opts.signal);
  }

  async sendSilence(seconds: number, opts: ChannelCallOptions = {}): Promise<boolean> {
    const waiting = this.requireGather(`${seconds} s of silence`);
    if (seconds < waiting.gather.timeout) return false;
    await this.noInput(opts.signal);
    return true;
  }

  async receivePrompt(): Promise<string> {
    if (this.call === null) throw new ChannelError("no call in progress: startCall() first");
    const next = this.prompts.shift();
    if (next !== undefined) return next;
    if (this.call.hungUpByCaller) throw new ChannelError(`call ${this.call.callSid} has been hung up`);
    if (this.call.ended) throw new ChannelError(`the IVR ended the call (${this.describeEnd()}); no more prompts`);
    throw new ChannelError("the IVR is waiting at a <Gather> for input; no prompt comes before the caller acts");
  }

  async hangUp(): Promise<void> {
    if (this.call === null || this.call.hungUpByCaller) return;
    this.call.hungUpByCaller = true;
    this.abort.abort(new ChannelAbortedError("the call was hung up"));
    if (this.call.ended === null) this.call.status = "completed";
  }

  private describeEnd(): string {
    const e = this.call?.ended;
    if (!e) return "still up";
    return e.by === "hangup" ? "<Hangup>" : e.by === "reject" ? `<Reject reason="${e.detail}">` : e.detail;
  }

  private requireGather(what: string) {
    const call = this.call;
    if (call === null) throw new ChannelError("no call in progress: startCall() first");
    if (call.hungUpByCaller) throw new ChannelError(`call ${call.callSid} has been hung up`);
    if (call.ended !== null)
      throw new ChannelError(`cannot send ${what}: the IVR ended the call (${this.describeEnd()})`);
    if (call.waiting === null) throw new ChannelError(`cannot send ${what}: the IVR is not waiting at a <Gather>`);
    return call.waiting;
  }

  /** The caller's input for the Gather the call waits at: request its action and play the answer. */
  private async submit(extra: Record<string, string>, what: string, signal: AbortSignal | undefined): Promise<void> {
    const call = this.call as TwimlCall;
    const waiting = this.requireGather(what);
    call.waiting = null;
    call.redirects = 0;
    this.heard = [];
    const action = this.resolve(waiting.gather.action ?? waiting.documentUrl, waiting.documentUrl, "<Gather action>");
    const next = await this.fetchTwiml(action, waiting.gather.method, extra, what, signal);
    await this.play(next.verbs, next.url, signal);
  }

  private async noInput(signal: AbortSignal | undefined): Promise<void> {
    const call = this.call as TwimlCall;
    const waiting = this.requireGather("no input");
    call.redirects = 0;
    this.heard = [];
    if (waiting.gather.actionOnEmptyResult) {
      await this.submit({}, "no input", signal);
      return;
    }
    call.waiting = null;
    await this.play(waiting.rest, waiting.documentUrl, signal);
  }

  private resolve(url: string, base: string, what: string): string {
    try {
      return parseUrl(new URL(url, base).toString(), `${what} '${url}'`).toString();
    } catch (e) {
      if (e instanceof ChannelError) throw e;
      throw new ChannelError(`${what} '${url}' is not a URL (document ${base})`);
    }
  }

  private deliver(): void {
    this.prompts.push(this.heard.join(" ").replace(/\s+/g, " ").trim());
    this.heard = [];
  }

  /** Plays verbs until the call waits at a Gather or ends, following Redirects and Dial actions. */
  private async play(verbs: Verb[], documentUrl: string, signal: AbortSignal | undefined): Promise<void> {
    const call = this.call as TwimlCall;
    let list = verbs;
    let docUrl = documentUrl;
    let i = 0;
    for (;;) {
      const v = list[i++];
      if (v === undefined) {
        call.end("completed", "the IVR's TwiML ran out of verbs");
        return this.deliver();
      }
      switch (v.verb) {
        case "Say":
          for (let n = 0; n < Math.max(1, Math.min(v.loop, 10)); n++) this.heard.push(v.text);
          break;
        case "Play":
          call.audio.push(this.resolve(v.url, docUrl, "<Play>"));
          break;
        case "Pause":
          break;
        case "Gather":
          for (const c of v.children) {
            if (c.verb === "Say") for (let n = 0; n < Math.max(1, Math.min(c.loop, 10)); n++) this.heard.push(c.text);
            else if (c.verb === "Play") call.audio.push(this.resolve(c.url, docUrl, "<Play>"));
          }
          call.waiting = { gather: v, documentUrl: docUrl, rest: list.slice(i) };
          return this.deliver();
        case "Redirect": {
          call.redirects++;
          const max = this.opts.maxRedirects ?? 20;
          if (call.redirects > max) {
            throw new ChannelError(
              `Redirect loop: more than ${max} <Redirect>s in a row without caller input (last to ${v.url} from ${docUrl})`,
            );
          }
          const next = await this.fetchTwiml(
            this.resolve(v.url, docUrl, "<Redirect>"),
            v.method,
            {},
            "a <Redirect>",
            signal,
          );
          list = next.verbs;
          docUrl = next.url;
          i = 0;
          break;
        }
        case "Dial": {
          const status = this.opts.dialCallStatus ?? "completed";
          for (const t of v.targets) call.transfers.push({ kind: t.kind, target: t.value, status });
          if (v.action !== null) {
            const action = this.resolve(v.action, docUrl, "<Dial action>");
            const next = await this.fetchTwiml(
              action,
              v.method,
              { DialCallStatus: status, DialCallSid: twilioSid("CA"), DialCallDuration: "0" },
              "the <Dial>'s end",
              signal,
            );
            list = next.verbs;
            docUrl = next.url;
            i = 0;
          }
          break;
        }
        case "Hangup":
          call.end("hangup", "<Hangup>");
          return this.deliver();
        case "Reject":
          call.end("reject", v.reason);
          return this.deliver();
      }
    }
  }

  /** One webhook request, signed, and the TwiML it answers. */
  private async fetchTwiml(
    url: string,
    method: HttpMethod,
    extra: Record<string, string>,
    what: string,
    signal: AbortSignal | undefined,
  ): Promise<{ verbs: Verb[]; url: string }> {
    const call = this.call as TwimlCall;
    const params = { ...call.params(), ...extra };
    let target = url;
    let body: string | undefined;
    const headers: Record<string, string> = {
      accept: "application/xml, text/xml, */*",
      "user-agent": "Verdict-TwiML/0.1",
    };
    let signed: Record<string, string> = params;
    if (method === "GET") {
      const u = new URL(url);
      for (const [k, val] of Object.entries(params)) u.searchParams.append(k, val);
      target = u.toString();
      signed = {};
    } else {
      body = new URLSearchParams(params).toString();
      headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
    }
    if (this.opts.authToken !== undefined)
      headers[SIGNATURE_HEADER] = twilioSignature(this.opts.authToken, target, signed);
    let res: Response;
    let text: string;
    try {
      ({ res, text } = await fetchText(target, { method, headers, body }, undefined, this.abort.signal, signal));
    } catch (e) {
      const aborted = [this.abort.signal, signal].find((s) => s?.aborted);
      if (aborted) {
        const reason: unknown = aborted.reason;
        if (isTimeout(reason)) throw new ChannelError(`no answer from the IVR to ${what} (${method} ${url}) in time`);
        throw new ChannelAbortedError(
          `waiting for the IVR's answer to ${what} was cancelled: ${reason instanceof Error ? reason.message : String(reason)}`,
        );
      }
      const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : (e as Error).message;
      throw new ChannelError(`cannot reach the IVR at ${url}: ${cause}`);
    }
    if (!res.ok) {
      const hint =
        res.status === 403
          ? this.opts.authToken === undefined
            ? " (the IVR may require X-Twilio-Signature: give the channel the account's auth token)"
            : " (the IVR refused the request: is X-Twilio-Signature made with the right auth token?)"
          : "";
      const detail = text.replace(/\s+/g, " ").trim().slice(0, 200);
      throw new ChannelError(
        `the IVR answered ${what} (${method} ${url}) with HTTP ${res.status}${hint}${detail ? `: ${detail}` : ""}`,
      );
    }
    const type = res.headers.get("content-type") ?? "";
    if (type.startsWith("text/plain")) return { verbs: [{ verb: "Say", text, loop: 1, language: null }], url };
    try {
      return { verbs: parseTwiml(text), url };
    } catch (e) {
      if (e instanceof TwimlError)
        throw new ChannelError(`the IVR's answer to ${what} (${method} ${url}) is not valid TwiML: ${e.message}`);
      throw e;
    }
  }
}
