export {
  ChannelAbortedError,
  type ChannelCallOptions,
  ChannelError,
  ChannelTimeoutError,
  type IvrChannel,
} from "./channel.js";
export { ModelCache, type ModelSample, samplesHash } from "./classifier.js";
export { type ChannelKind, type IvrExecutorConfig, createChannel, createIvrExecutor } from "./executor.js";
export { type MatchMode, type MatchResult, matchPrompt } from "./match.js";
export type { IvrExecutionContext, IvrExecutor, StepReport } from "./types.js";
export { WebhookChannel, type WebhookChannelOptions, type WebhookInput } from "./webhook.js";
export { bestSimilarity, checkText, similarity } from "./match.js";
export type { CallEnd, CallEvents, CallTransfer } from "./channel.js";
export { TwimlChannel, type TwimlChannelOptions } from "./twiml.js";
export { SIGNATURE_HEADER, twilioSignature } from "./twiml-signature.js";
export { type Verb, TwimlError, parseTwiml } from "./twiml-document.js";
export { type IvrTargetSpec, channelFactoryForTarget, tokenForTarget } from "./targets.js";
export { type Deadline, abortable, deadline, fetchText, timeoutReason } from "./deadline.js";
