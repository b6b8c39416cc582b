/** Questions about load-test runs, answered in SQL over the runs domain: one file per question. */
export * from "./percentiles.js";
export * from "./totals.js";
export * from "./summary.js";
export * from "./failures.js";
export * from "./compare.js";
export * from "./flaky.js";
export * from "./gate.js";
export * from "./report.js";
export * from "./instance.js";
export * from "./stats.js";
export * from "./stored.js";
export * from "./store.js";
