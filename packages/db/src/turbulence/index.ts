export * from "./errors.js";
export * from "./format.js";
export * from "./import.js";
export * from "./export.js";
export { IMPORT_CACHE_KIB } from "./sink.js";
export * from "./new-file.js";
