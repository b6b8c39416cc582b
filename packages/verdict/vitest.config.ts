import { defineProject, mergeConfig } from "vitest/config";
import { sharedConfig } from "../../vitest.shared.js";

export default mergeConfig(
  sharedConfig,
  defineProject({
    test: { name: "verdict", include: ["test/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 240_000 },
  }),
);
