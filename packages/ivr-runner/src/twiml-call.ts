import { randomBytes } from "node:crypto";
import type { CallEnd, CallEvents, CallTransfer } from "./channel.js";
import type { Verb } from "./twiml-document.js";

/**
 * The state of one call the TwiML channel places, as Twilio would hold it: its ids, the
 * parameters every request carries, where the IVR waits for input, and what it did so far.
 */
export const TWILIO_API_VERSION = "2010-04-01";

/** Twilio-shaped ids: a two-letter prefix and 32 hex digits (CallSid CA…, AccountSid AC…). */
export function twilioSid(prefix: "CA" | "AC"): string {
  return `${prefix}${randomBytes(16).toString("hex")}`;
}

export interface WaitingGather {
  gather: Extract<Verb, { verb: "Gather" }>;
  /** The document the Gather came from, to resolve its action and to continue after it. */
  documentUrl: string;
  /** The verbs after the Gather, played when no input comes and actionOnEmptyResult is false. */
  rest: Verb[];
}

export class TwimlCall {
  readonly callSid = twilioSid("CA");
  status: "ringing" | "in-progress" | "completed" | "busy" | "canceled" = "ringing";
  waiting: WaitingGather | null = null;
  /** Redirects followed since the caller's last input (the loop guard). */
  redirects = 0;
  readonly transfers: CallTransfer[] = [];
  readonly audio: string[] = [];
  ended: CallEnd | null = null;
  hungUpByCaller = false;

  constructor(
    readonly accountSid: string,
    readonly from: string,
    readonly to: string,
  ) {}

  /** The parameters of every request about this call. */
  params(): Record<string, string> {
    return {
      AccountSid: this.accountSid,
      ApiVersion: TWILIO_API_VERSION,
      CallSid: this.callSid,
      CallStatus: this.status,
      Called: this.to,
      Caller: this.from,
      Direction: "inbound",
      From: this.from,
      To: this.to,
    };
  }

  end(by: CallEnd["by"], detail: string): void {
    this.ended = { by, detail };
    this.status = by === "reject" ? (detail === "busy" ? "busy" : "canceled") : "completed";
    this.waiting = null;
  }

  events(): CallEvents {
    return { transfers: [...this.transfers], ended: this.ended, audio: [...this.audio] };
  }
}
