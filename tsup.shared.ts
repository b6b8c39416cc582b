import type { Options } from "tsup";

/**
 * The build every workspace package shares (each tsup.config.ts spreads it and names its entries):
 * ES modules for the Node version the root package.json's engines allow, with source maps.
 */
export const shared = {
  format: ["esm"],
  target: "node20",
  sourcemap: true,
  clean: true,
} satisfies Options;

/** For a package's executables (bin): the same build, starting with a shebang line. */
export const executable = { ...shared, banner: { js: "#!/usr/bin/env node" } } satisfies Options;
