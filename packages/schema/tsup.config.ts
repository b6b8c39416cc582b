import { defineConfig } from "tsup";
import { shared } from "../../tsup.shared.js";

export default defineConfig({
  ...shared,
  entry: ["src/index.ts"],
  // Declarations for the published package (publishConfig.exports); the workspace reads src/.
  dts: true,
});
