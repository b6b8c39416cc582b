import { defineConfig } from "vitest/config";

/**
 * Workspace packages export their TypeScript source under the "@verdict/source" condition,
 * so tests run against source without a build step.
 */
export const sharedConfig = defineConfig({
  resolve: { conditions: ["@verdict/source", "module", "node", "import", "default"] },
  ssr: {
    resolve: {
      conditions: ["@verdict/source", "module", "node", "import", "default"],
      externalConditions: ["@verdict/source"],
    },
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
