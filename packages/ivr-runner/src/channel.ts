/**
 * How the IVR executor talks to the system under test. Real telephony (SIP, a CPaaS API)
 * cannot run on a test machine, so the executor depends only on this interface; the
 * webhook channel (./webhook.ts) is the one implementation shipped here.
 *
 * Model: each input the caller sends (the call's start, DTMF digits, an utterance) makes the
 * IVR play a prompt; prompts queue up in the order they arrive and receivePrompt() takes them
 * one at a time, waiting when none has arrived yet.
 */
export interface ChannelCallOptions {
  /** Abort the operation (a step's timeout, the execution's deadline, worker shutdown). */
  signal?: AbortSignal;
}

/** A transfer the IVR made (TwiML <Dial>): where to, and how the dialled leg ended. */
export interface CallTransfer {
  kind: string;
  target: string;
  status: string;
}

/** How the IVR ended the call: <Hangup>, <Reject>, or its instructions ran out. */
export interface CallEnd {
  by: "hangup" | "reject" | "completed";
  detail: string;
}

/** What happened on the call so far, for the outcome steps. */
export interface CallEvents {
  transfers: readonly CallTransfer[];
  ended: CallEnd | null;
  /** URLs of the audio the IVR played, in order. */
  audio: readonly string[];
}

export interface IvrChannel {
  /** The call's id once one is being placed (also after a failed start), if the channel knows it. */
  readonly currentCallId?: string | null;
  /**
   * Stays silent for `seconds`: true when the IVR's no-input handling ran (its next prompt is then
   * pending), false when the IVR would still be waiting. Channels that cannot tell leave it out.
   */
  sendSilence?(seconds: number, opts?: ChannelCallOptions): Promise<boolean>;
  /** Transfers, the end of the call and audio played so far; channels that cannot tell leave it out. */
  events?(): CallEvents;

  /** Places a call to `target` (e.g. a phone number) and returns the call id once it is connected. */
  startCall(target: string, opts?: ChannelCallOptions): Promise<string>;
  sendDtmf(digits: string, opts?: ChannelCallOptions): Promise<void>;
  sendUtterance(text: string, opts?: ChannelCallOptions): Promise<void>;
  /** The next prompt the IVR plays, as text; rejects with ChannelTimeoutError when none comes in time. */
  receivePrompt(opts?: ChannelCallOptions & { timeoutMs?: number }): Promise<string>;
  /** Ends the call; safe to call more than once and after failures. */
  hangUp(): Promise<void>;
}

/** The channel could not do what was asked: the IVR is unreachable, answered with an error, or broke the protocol. */
export class ChannelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ChannelError";
  }
}

/** Waiting for the IVR took longer than allowed. */
export class ChannelTimeoutError extends ChannelError {
  constructor(
    message: string,
    readonly timeoutMs: number | null,
  ) {
    super(message);
    this.name = "ChannelTimeoutError";
  }
}

/** The operation was cancelled from outside (the execution's signal), not by a timeout of its own. */
export class ChannelAbortedError extends ChannelError {
  constructor(message: string) {
    super(message);
    this.name = "ChannelAbortedError";
  }
}
