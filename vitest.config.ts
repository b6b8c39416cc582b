import { defineConfig } from "vitest/config";

// One run over every package; each package's own vitest.config.ts (if any) is a project.
// Two test files at a time: vitest's default on a 2-core machine is one (cores - 1), and most files
// spend their time waiting on child processes (CLI, server, worker, browser), not on the CPU.
export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*"],
    maxWorkers: 2,
  },
});
