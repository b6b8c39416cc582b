import { defineConfig } from "tsup";
import { shared } from "../../tsup.shared.js";

export default defineConfig({
  ...shared,
  // local.ts on its own: the CLI's local mode loads the router without the HTTP server, OpenAPI and dashboard code.
  entry: ["src/index.ts", "src/client.ts", "src/local.ts", "src/log.ts"],
});
