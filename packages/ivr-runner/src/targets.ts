import { type IvrChannelKind, ivrTargetTokenEnv } from "@verdict/schema";
import { ChannelError, type IvrChannel } from "./channel.js";
import { TwimlChannel, type TwimlChannelOptions } from "./twiml.js";
import { WebhookChannel } from "./webhook.js";

/**
 * Where one execution's call goes: a stored IVR target (channel, URL, non-secret options) plus its
 * auth token, which never comes from the database: `tokenForTarget` reads it from the environment
 * by the target's name. Used by `verdict ivr run --target NAME` and by the worker alike.
 */
export interface IvrTargetSpec {
  name: string;
  channel: IvrChannelKind;
  url: string;
  options: Record<string, string>;
}

/** The auth token of a named target: env VERDICT_IVR_TOKEN_<NAME> (upper case, non-alphanumerics → _). */
export function tokenForTarget(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[ivrTargetTokenEnv(name)];
  return value === undefined || value === "" ? undefined : value;
}

const DIAL_STATUSES = ["completed", "busy", "no-answer", "failed", "canceled"] as const;

/** TwiML channel options from a target's options (method, from, account_sid, max_redirects, ...). */
function twimlOptions(target: IvrTargetSpec, authToken: string | undefined): TwimlChannelOptions {
  const o = target.options;
  const bad = (key: string, why: string) => new ChannelError(`IVR target '${target.name}': option ${key}: ${why}`);
  const opts: TwimlChannelOptions = { url: target.url };
  if (authToken !== undefined) opts.authToken = authToken;
  if (o.method !== undefined) {
    const m = o.method.toUpperCase();
    if (m !== "GET" && m !== "POST") throw bad("method", `expected GET or POST, got '${o.method}'`);
    opts.method = m;
  }
  if (o.from !== undefined) opts.from = o.from;
  const sid = o.account_sid ?? o.AccountSid;
  if (sid !== undefined) opts.accountSid = sid;
  if (o.max_redirects !== undefined) {
    const n = Number(o.max_redirects);
    if (!Number.isInteger(n) || n < 1)
      throw bad("max_redirects", `expected a positive integer, got '${o.max_redirects}'`);
    opts.maxRedirects = n;
  }
  if (o.speech_confidence !== undefined) {
    const c = Number(o.speech_confidence);
    if (!(c >= 0 && c <= 1)) throw bad("speech_confidence", `expected a number 0..1, got '${o.speech_confidence}'`);
    opts.speechConfidence = c;
  }
  if (o.dial_call_status !== undefined) {
    const d = DIAL_STATUSES.find((s) => s === o.dial_call_status);
    if (d === undefined) throw bad("dial_call_status", `expected one of ${DIAL_STATUSES.join(", ")}`);
    opts.dialCallStatus = d;
  }
  return opts;
}

/**
 * A factory of channels for a target: one channel per call. Options are checked here, once, so a
 * target with a bad option fails before any call is placed.
 */
export function channelFactoryForTarget(target: IvrTargetSpec, authToken: string | undefined): () => IvrChannel {
  if (target.channel === "twiml") {
    const opts = twimlOptions(target, authToken);
    return () => new TwimlChannel(opts);
  }
  return () => new WebhookChannel({ url: target.url });
}
