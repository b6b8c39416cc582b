/**
 * Hand-written banking utterances in the style callers actually use (fillers, politeness,
 * indirect requests, a few recognition slips), for four intents of a caller-side classifier.
 * BASE is a small starting set (3-4 per intent; the seed's training data before it became IVR
 * prompts), TRAIN extends it; HELD_OUT is never trained on.
 */
export interface Utterance {
  text: string;
  intent: "check_balance" | "transfer_funds" | "speak_to_agent" | "report_lost_card";
}

export const BASE: Utterance[] = [
  { text: "what is my balance", intent: "check_balance" },
  { text: "how much money do I have", intent: "check_balance" },
  { text: "tell me my account balance", intent: "check_balance" },
  { text: "balance please", intent: "check_balance" },
  { text: "I want to transfer money", intent: "transfer_funds" },
  { text: "move funds to my savings account", intent: "transfer_funds" },
  { text: "make a transfer", intent: "transfer_funds" },
  { text: "let me speak to an agent", intent: "speak_to_agent" },
  { text: "I need a real person", intent: "speak_to_agent" },
  { text: "representative", intent: "speak_to_agent" },
  { text: "connect me to customer service", intent: "speak_to_agent" },
  { text: "I lost my card", intent: "report_lost_card" },
  { text: "block my debit card", intent: "report_lost_card" },
  { text: "someone took my wallet with my card", intent: "report_lost_card" },
];

export const TRAIN: Utterance[] = [
  { text: "can you tell me how much is in my checking account", intent: "check_balance" },
  { text: "I'd like to know my current balance", intent: "check_balance" },
  { text: "what's the balance on my savings", intent: "check_balance" },
  { text: "how much do I have available right now", intent: "check_balance" },
  { text: "check my balance", intent: "check_balance" },
  { text: "account balance", intent: "check_balance" },
  { text: "I want to hear my balance", intent: "check_balance" },
  { text: "how much money is left in my account", intent: "check_balance" },
  { text: "what is the available funds in checking", intent: "check_balance" },
  { text: "read me my balance please", intent: "check_balance" },
  { text: "transfer two hundred dollars to savings", intent: "transfer_funds" },
  { text: "I need to move money from checking to savings", intent: "transfer_funds" },
  { text: "can I send money to my daughter's account", intent: "transfer_funds" },
  { text: "pay my friend fifty dollars", intent: "transfer_funds" },
  { text: "I want to make a payment to another account", intent: "transfer_funds" },
  { text: "wire money", intent: "transfer_funds" },
  { text: "transfer please", intent: "transfer_funds" },
  { text: "I'd like to transfer funds between my accounts", intent: "transfer_funds" },
  { text: "send funds to my landlord", intent: "transfer_funds" },
  { text: "move 500 dollars into my savings account", intent: "transfer_funds" },
  { text: "can I talk to somebody", intent: "speak_to_agent" },
  { text: "operator", intent: "speak_to_agent" },
  { text: "get me a human", intent: "speak_to_agent" },
  { text: "I want to speak with a representative", intent: "speak_to_agent" },
  { text: "none of these options, let me talk to someone", intent: "speak_to_agent" },
  { text: "agent please", intent: "speak_to_agent" },
  { text: "transfer me to a live person", intent: "speak_to_agent" },
  { text: "I need help from customer support", intent: "speak_to_agent" },
  { text: "can I speak to someone in person", intent: "speak_to_agent" },
  { text: "talk to an operator", intent: "speak_to_agent" },
  { text: "my card is missing", intent: "report_lost_card" },
  { text: "I can't find my debit card", intent: "report_lost_card" },
  { text: "I think my card was stolen yesterday", intent: "report_lost_card" },
  { text: "please freeze my card", intent: "report_lost_card" },
  { text: "report a lost card", intent: "report_lost_card" },
  { text: "my wallet was stolen", intent: "report_lost_card" },
  { text: "cancel my credit card it's gone", intent: "report_lost_card" },
  { text: "there are charges I did not make, my card was taken", intent: "report_lost_card" },
  { text: "I left my card at a restaurant and it's gone", intent: "report_lost_card" },
  { text: "lost card", intent: "report_lost_card" },
];

export const HELD_OUT: Utterance[] = [
  { text: "what's my checking balance", intent: "check_balance" },
  { text: "how much cash do I have in savings", intent: "check_balance" },
  { text: "tell me the balance", intent: "check_balance" },
  { text: "I'd like my account balance please", intent: "check_balance" },
  { text: "how much is left in my account", intent: "check_balance" },
  { text: "send 20 dollars to my brother", intent: "transfer_funds" },
  { text: "move money to my savings", intent: "transfer_funds" },
  { text: "I need to transfer some money", intent: "transfer_funds" },
  { text: "make a payment to my landlord's account", intent: "transfer_funds" },
  { text: "transferring funds to checking", intent: "transfer_funds" },
  { text: "I want to talk to a person", intent: "speak_to_agent" },
  { text: "representative please", intent: "speak_to_agent" },
  { text: "let me talk to somebody real", intent: "speak_to_agent" },
  { text: "connect me with an agent", intent: "speak_to_agent" },
  { text: "can I get a human on the line", intent: "speak_to_agent" },
  { text: "I lost my credit card", intent: "report_lost_card" },
  { text: "my debit card got stolen", intent: "report_lost_card" },
  { text: "block my card please it is missing", intent: "report_lost_card" },
  { text: "someone stole my wallet", intent: "report_lost_card" },
  { text: "I can't find my card anywhere", intent: "report_lost_card" },
];

/** The same held-out requests as speech recognition might garble them. */
export const MISRECOGNISED: Utterance[] = [
  { text: "whats my ballance", intent: "check_balance" },
  { text: "transfering mony to savings", intent: "transfer_funds" },
  { text: "representitive", intent: "speak_to_agent" },
  { text: "my card was stollen", intent: "report_lost_card" },
];
