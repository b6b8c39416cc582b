/**
 * Acme Bank's phone menu: the system under test of the demo. Per-call state machine with its
 * own (deliberately simple, keyword-based) understanding of caller speech, as many production
 * IVRs still have. Pure: no I/O, no clock; the HTTP layer feeds it inputs.
 */

export type CallerInput =
  | { type: "start" }
  | { type: "dtmf"; digits: string }
  | { type: "speech"; text: string }
  | { type: "hangup" };

export type Menu = "main" | "transfer" | "agent" | "ended";

export type Understood = "balance" | "transfer" | "agent" | "lost_card" | "repeat" | "goodbye" | "unknown";

export interface CallState {
  menu: Menu;
  /** Consecutive inputs the menu could not make sense of. */
  noMatch: number;
  /** Balance in cents; a confirmed transfer moves money from checking to savings. */
  checkingCents: number;
  savingsCents: number;
  transfersConfirmed: number;
}

export interface Turn {
  state: CallState;
  prompt: string;
  /** What the IVR made of the input (for logs). */
  understood: Understood | null;
}

export const TRANSFER_CENTS = 10_000;

export const PROMPTS = {
  greeting:
    "Welcome to Acme Bank. For your account balance, press 1 or say balance. To transfer money, press 2 or say transfer. If your card is lost or stolen, press 3. To speak to an agent, press 0 or say agent.",
  menu: "Main menu. For your balance press 1, for transfers press 2, for a lost or stolen card press 3, for an agent press 0.",
  balance: (cents: number) =>
    `Your balance is ${dollars(cents)} in checking, as of today. To return to the main menu, press 9.`,
  transferMenu: `You chose to transfer money. To move ${dollars(TRANSFER_CENTS)} from your checking to your savings account, press 1 and then pound. To cancel, press star.`,
  transferDone: (cents: number) =>
    `Your transfer of ${dollars(TRANSFER_CENTS)} to savings is confirmed. Your new checking balance is ${dollars(cents)}. To return to the main menu, press 9.`,
  transferTooLow: "Sorry, your checking balance is too low for this transfer. Returning to the main menu.",
  transferCancelled: "Your transfer was cancelled. Returning to the main menu.",
  transferReprompt: "To confirm the transfer press 1 then pound. To cancel press star.",
  lostCard:
    "We are sorry to hear your card is lost or stolen. Your card ending in 4 2 1 0 has been blocked and a replacement is on its way. To return to the main menu, press 9.",
  agent: "Connecting you to an agent. Your call is important to us, so please stay on the line.",
  hold: "All our representatives are still busy. Please continue to hold.",
  noMatch: "Sorry, I did not understand that. For your balance press 1, for transfers press 2, for an agent press 0.",
  tooManyNoMatch:
    "Sorry, I am having trouble understanding you. Connecting you to an agent. Your call is important to us, so please stay on the line.",
  goodbye: "Thank you for calling Acme Bank. Goodbye.",
  ended: "This call has ended.",
} as const;

export function dollars(cents: number): string {
  const whole = Math.floor(cents / 100);
  const rest = cents % 100;
  const grouped = whole.toLocaleString("en-US");
  return rest === 0 ? `${grouped} dollars` : `${grouped} dollars and ${rest} cents`;
}

const has = (text: string, pattern: RegExp) => pattern.test(text);

/**
 * Keyword understanding of what the caller said. Order matters: "transfer me to a person"
 * is a request for an agent, "my card was stolen, block it" a lost card, not a transfer.
 */
export function understand(speech: string): Understood {
  const t = ` ${speech.toLowerCase().replace(/[^a-z0-9 ]+/g, " ")} `;
  if (has(t, /\b(card|wallet)\b/) && has(t, /\b(lost|lose|stolen|stole|missing|gone|block|freeze|took|find)\b/))
    return "lost_card";
  if (
    has(
      t,
      /\b(agent|person|human|representative|operator|someone|somebody|customer (service|support)|real people|advisor)\b/,
    )
  )
    return "agent";
  if (has(t, /\b(transfer|transfers|move|send|wire|pay)\b/)) return "transfer";
  if (has(t, /\b(balance|how much|available funds)\b/)) return "balance";
  if (has(t, /\b(repeat|menu|options|again|start over)\b/)) return "repeat";
  if (has(t, /\b(bye|goodbye|that is all|nothing else|no thanks)\b/)) return "goodbye";
  return "unknown";
}

const DTMF_MAIN: Record<string, Understood> = {
  "1": "balance",
  "2": "transfer",
  "3": "lost_card",
  "0": "agent",
  "9": "repeat",
};

export function newCall(): CallState {
  return { menu: "main", noMatch: 0, checkingCents: 120_456, savingsCents: 500_000, transfersConfirmed: 0 };
}

function mainMenu(state: CallState, choice: Understood): Turn {
  const s = { ...state, noMatch: 0 };
  switch (choice) {
    case "balance":
      return { state: s, prompt: PROMPTS.balance(s.checkingCents), understood: choice };
    case "transfer":
      return { state: { ...s, menu: "transfer" }, prompt: PROMPTS.transferMenu, understood: choice };
    case "lost_card":
      return { state: s, prompt: PROMPTS.lostCard, understood: choice };
    case "agent":
      return { state: { ...s, menu: "agent" }, prompt: PROMPTS.agent, understood: choice };
    case "repeat":
      return { state: s, prompt: PROMPTS.menu, understood: choice };
    case "goodbye":
      return { state: { ...s, menu: "ended" }, prompt: PROMPTS.goodbye, understood: choice };
    case "unknown": {
      const noMatch = state.noMatch + 1;
      if (noMatch >= 3) return { state: { ...s, menu: "agent" }, prompt: PROMPTS.tooManyNoMatch, understood: choice };
      return { state: { ...s, noMatch }, prompt: PROMPTS.noMatch, understood: choice };
    }
  }
}

function transferMenu(state: CallState, input: CallerInput): Turn {
  const said = input.type === "speech" ? input.text.toLowerCase() : "";
  const digits = input.type === "dtmf" ? input.digits : "";
  if (digits === "1#" || digits === "1" || /\b(yes|confirm)\b/.test(said)) {
    if (state.checkingCents < TRANSFER_CENTS) {
      return { state: { ...state, menu: "main" }, prompt: PROMPTS.transferTooLow, understood: "transfer" };
    }
    const next: CallState = {
      ...state,
      menu: "main",
      noMatch: 0,
      checkingCents: state.checkingCents - TRANSFER_CENTS,
      savingsCents: state.savingsCents + TRANSFER_CENTS,
      transfersConfirmed: state.transfersConfirmed + 1,
    };
    return { state: next, prompt: PROMPTS.transferDone(next.checkingCents), understood: "transfer" };
  }
  if (digits === "*" || /\b(no|cancel|stop)\b/.test(said)) {
    return { state: { ...state, menu: "main", noMatch: 0 }, prompt: PROMPTS.transferCancelled, understood: "repeat" };
  }
  if (said !== "" && understand(said) === "agent") return mainMenu(state, "agent");
  return { state, prompt: PROMPTS.transferReprompt, understood: "unknown" };
}

/** One caller input in, the IVR's next prompt out. */
export function step(state: CallState | undefined, input: CallerInput): Turn {
  if (input.type === "start") return { state: newCall(), prompt: PROMPTS.greeting, understood: null };
  if (state === undefined || state.menu === "ended") {
    return { state: state ?? { ...newCall(), menu: "ended" }, prompt: PROMPTS.ended, understood: null };
  }
  if (input.type === "hangup") return { state: { ...state, menu: "ended" }, prompt: PROMPTS.goodbye, understood: null };
  switch (state.menu) {
    case "agent":
      return { state, prompt: PROMPTS.hold, understood: null };
    case "transfer":
      return transferMenu(state, input);
    case "main": {
      if (input.type === "speech") return mainMenu(state, understand(input.text));
      const choice = DTMF_MAIN[input.digits.replace(/#$/, "")] ?? "unknown";
      return mainMenu(state, choice);
    }
  }
}
