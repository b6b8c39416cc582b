export { type CallState, type CallerInput, type Turn, PROMPTS, dollars, newCall, step, understand } from "./bank.js";
export {
  type DemoIvrOptions,
  type RunningDemoIvr,
  type WebhookRequest,
  startDemoIvr,
  webhookRequest,
} from "./server.js";
export { AGENT_NUMBER, NO_INPUT_PROMPT, twimlDocument, twimlTurn } from "./twiml.js";
