import { XMLBuilder } from "fast-xml-parser";
import { type CallState, type CallerInput, PROMPTS, step } from "./bank.js";

/**
 * The demo IVR's TwiML dialect (--dialect twiml): the same Acme Bank menu, answering Twilio's
 * voice webhooks (form fields in, TwiML out) the way an IVR hosted on Twilio does.
 *
 *   POST /twiml/voice     the call's start (CallSid)
 *   POST /twiml/input     the Gather's action: Digits or SpeechResult; neither = no input
 *   POST /twiml/reprompt  where the Redirect after a Gather leads when the caller stays silent
 *
 * Each answer says the prompt inside <Gather input="dtmf speech" action="input">; after the Gather
 * the no-input prompt and a Redirect to reprompt. Reaching an agent is a <Dial> (a transfer to
 * AGENT_NUMBER); the end of the call is a <Hangup>.
 */
export const AGENT_NUMBER = "+15550100999";
export const NO_INPUT_PROMPT = "Sorry, I did not hear anything.";

export type TwimlTurn =
  | { kind: "answer"; xml: string; state: CallState; prompt: string }
  | { kind: "error"; status: number; message: string };

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: "@_", suppressEmptyNode: true });

const say = (text: string) => ({ "#text": text });

export function twimlDocument(state: CallState, prompt: string): string {
  let response: Record<string, unknown>;
  if (state.menu === "ended") {
    response = { Say: say(prompt), Hangup: "" };
  } else if (state.menu === "agent") {
    response = { Say: say(prompt), Dial: { Number: AGENT_NUMBER } };
  } else {
    response = {
      Gather: { "@_input": "dtmf speech", "@_action": "input", "@_method": "POST", "@_timeout": "5", Say: say(prompt) },
      Say: say(NO_INPUT_PROMPT),
      Redirect: "reprompt",
    };
  }
  return `<?xml version="1.0" encoding="UTF-8"?>${builder.build({ Response: response }) as string}`;
}

/** The caller's input a request carries, by path and form fields. */
export function twimlInput(path: string, params: URLSearchParams): CallerInput | "reprompt" | null {
  if (path === "/twiml/voice" || path === "/twiml") return { type: "start" };
  if (path === "/twiml/reprompt") return "reprompt";
  if (path !== "/twiml/input") return null;
  const digits = params.get("Digits");
  if (digits) return { type: "dtmf", digits };
  const speech = params.get("SpeechResult");
  if (speech?.trim()) return { type: "speech", text: speech };
  return "reprompt";
}

/** One TwiML request in, the call's new state and document out. */
export function twimlTurn(
  current: { state: CallState; prompt: string } | undefined,
  input: CallerInput | "reprompt",
  callSid: string,
): TwimlTurn {
  if (input !== "reprompt" && input.type === "start") {
    if (current) return { kind: "error", status: 409, message: `call ${callSid} is already in progress` };
    const turn = step(undefined, input);
    return { kind: "answer", xml: twimlDocument(turn.state, turn.prompt), state: turn.state, prompt: turn.prompt };
  }
  if (!current)
    return { kind: "error", status: 404, message: `unknown CallSid ${callSid}: request /twiml/voice first` };
  if (input === "reprompt") {
    const prompt = current.state.menu === "main" ? PROMPTS.menu : current.prompt;
    return { kind: "answer", xml: twimlDocument(current.state, prompt), state: current.state, prompt };
  }
  const turn = step(current.state, input);
  return { kind: "answer", xml: twimlDocument(turn.state, turn.prompt), state: turn.state, prompt: turn.prompt };
}
