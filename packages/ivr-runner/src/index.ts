export {
  ChannelAbortedError,
  type ChannelCallOptions,
  ChannelError,
  ChannelTimeoutError,
  type IvrChannel,
} from "./channel.js";
export { ModelCache, samplesHash } from "./classifier.js";
export { type IvrExecutorConfig, createIvrExecutor } from "./executor.js";
export { type MatchMode, type MatchResult, matchPrompt } from "./match.js";
export type { IvrExecutionContext, IvrExecutor, StepReport } from "./types.js";
export { WebhookChannel, type WebhookChannelOptions, type WebhookInput } from "./webhook.js";
