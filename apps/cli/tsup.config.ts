import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/build-command-index.ts"],
  format: ["esm"],
  target: "node20",
  sourcemap: true,
  clean: true,
  // Commands are imported per command (commands/registry.ts): each gets its own chunk.
  splitting: true,
  banner: { js: "#!/usr/bin/env node" },
  onSuccess: "node dist/build-command-index.js",
});
