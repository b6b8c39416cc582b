import { readFile } from "node:fs/promises";
import { relative, resolve, sep } from "node:path";
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

/**
 * esbuild plugin for a bundle of workspace packages: `import.meta.url` in a module of
 * packages/<name>/src is that module's own file URL, computed at run time from the bundle's folder
 * (`__dirname`; `bundleDir` is where the bundle is written). Files such a module finds next to itself
 * (@verdict/db's migrations, dependencies it resolves) are then the workspace's own, not copies.
 */
type Plugin = NonNullable<Options["esbuildPlugins"]>[number];

export function workspaceModuleUrls(bundleDir: string): Plugin {
  return {
    name: "verdict-workspace-module-urls",
    setup(build) {
      build.onLoad({ filter: /[\\/]packages[\\/][^\\/]+[\\/]src[\\/].*\.ts$/ }, async (args) => {
        const text = await readFile(args.path, "utf8");
        if (!text.includes("import.meta.url")) return undefined;
        const rel = relative(bundleDir, args.path).split(sep).join("/");
        // Not `require(…)`: a module may name its own `require` (createRequire(import.meta.url)).
        const url = `process.getBuiltinModule("node:url").pathToFileURL(process.getBuiltinModule("node:path").join(__dirname, ${JSON.stringify(rel)})).href`;
        return { contents: text.replaceAll("import.meta.url", url), loader: "ts" };
      });
    },
  };
}

/**
 * The CLI's CommonJS bundle (`verdict.cjs`, run by apps/cli/src/index.ts through a V8 code cache):
 * apps/cli/src/bundle.ts with every workspace package (from source) and every pure-JS dependency.
 * Out of it stay the libSQL driver (native) and pino with pino-pretty (required at run time; pino
 * runs transports from files of its own). In the workspace (`workspaceFiles`), bundled packages find
 * their files in the workspace (see workspaceModuleUrls); a published copy ships them beside itself.
 */
export function cliBundle(opts: { entry: string; outDir: string; workspaceFiles: boolean }): Options {
  return {
    ...shared,
    config: false,
    clean: false,
    entry: { verdict: opts.entry },
    outDir: opts.outDir,
    format: ["cjs"],
    platform: "node",
    outExtension: () => ({ js: ".cjs" }),
    noExternal: [/^(?!libsql$|pino$|pino-pretty$)/],
    external: ["libsql", "pino", "pino-pretty"],
    // import.meta.url of the app's own modules (and, outside the workspace, of all): the bundle's URL.
    shims: true,
    silent: true,
    esbuildPlugins: opts.workspaceFiles ? [workspaceModuleUrls(resolve(opts.outDir))] : [],
    esbuildOptions(options) {
      options.conditions = ["@verdict/source"];
      // Less to read and hash at every start; names stay (stack traces, error names), the map has the rest.
      options.minifyWhitespace = true;
      options.minifySyntax = true;
    },
  };
}
