export * from "./errors.js";
export * from "./format.js";
export * from "./import.js";
export * from "./export.js";
