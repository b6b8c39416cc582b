import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/client.ts", "src/log.ts"],
  format: ["esm"],
  target: "node20",
  sourcemap: true,
  clean: true,
});
