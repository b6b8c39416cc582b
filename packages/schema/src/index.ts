export * from "./common.js";
export * from "./ivr.js";
export * from "./metrics.js";
export * from "./runs.js";
export * from "./queue.js";
export * from "./run-gates.js";
export * from "./run-questions.js";
