import { execFileSync } from "node:child_process";
import { build, defineConfig } from "tsup";
import { cliBundle, executable } from "../../tsup.shared.js";

/**
 * Two outputs (see src/index.ts):
 * - dist/index.js, the `verdict` bin: a small ES module that answers --version and runs the bundle;
 * - dist/verdict.cjs: the CLI in one CommonJS file (tsup.shared.ts cliBundle), run through a V8 code cache.
 * Beside them dist/commands.json, the command index, written by the bundle itself.
 */
export default defineConfig({
  ...executable,
  entry: ["src/index.ts"],
  async onSuccess() {
    await build(cliBundle({ entry: "src/bundle.ts", outDir: "dist", workspaceFiles: true }));
    execFileSync(process.execPath, ["-e", "require('./dist/verdict.cjs').writeCommandIndex()"], { stdio: "inherit" });
  },
});
