export * from "./ivr.js";
export * from "./metrics.js";
export * from "./runs.js";
export * from "./admin.js";
export * from "./queue.js";
