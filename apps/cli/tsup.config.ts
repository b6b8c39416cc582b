import { defineConfig } from "tsup";
import { executable } from "../../tsup.shared.js";

export default defineConfig({
  ...executable,
  entry: ["src/index.ts", "src/build-command-index.ts"],
  // Commands are imported per command (commands/registry.ts): each gets its own chunk.
  splitting: true,
  onSuccess: "node dist/build-command-index.js",
});
