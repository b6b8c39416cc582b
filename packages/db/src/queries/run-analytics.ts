/** The run questions live one per file under ./run-analytics/; this path stays for existing importers. */
export * from "./run-analytics/index.js";
