import { fileURLToPath } from "node:url";
import { defineConfig } from "tsup";
import { shared } from "../../tsup.shared.js";

const packages = fileURLToPath(new URL("..", import.meta.url));

/**
 * The client's code is @verdict/api/client's, bundled in (api is only a dev dependency); tRPC, zod
 * and @verdict/schema stay imports of the published package's dependencies. The declarations are
 * bundled the same way: api's client-side router type and the output types it names (some declared
 * in @verdict/db) are written into dist/index.d.ts, found through `paths` (the declaration bundler
 * does not read package exports).
 */
export default defineConfig({
  ...shared,
  entry: ["src/index.ts"],
  esbuildOptions(options) {
    options.conditions = ["@verdict/source"];
  },
  noExternal: ["@verdict/api"],
  external: ["@trpc/client", "@trpc/server", "@verdict/schema", "zod"],
  dts: {
    compilerOptions: {
      paths: {
        "@verdict/api/client": [`${packages}api/src/client.ts`],
        "@verdict/db": [`${packages}db/src/index.ts`],
      },
    },
  },
});
