import { defineConfig } from "tsup";
import { executable } from "../../tsup.shared.js";

export default defineConfig({
  ...executable,
  entry: ["src/index.ts", "src/main.ts"],
});
