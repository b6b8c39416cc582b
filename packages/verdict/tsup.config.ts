import { cpSync, rmSync } from "node:fs";
import { build, defineConfig } from "tsup";
import { cliBundle, shared } from "../../tsup.shared.js";

/**
 * The published `verdict` package: the CLI and the worker bundled with every workspace package and
 * every pure-JS dependency into dist/ (nothing unpublished to install, fewer files to load at start),
 * plus what they read from disk: the migrations, the dashboard's built assets and the JSON Schemas.
 * The libSQL driver (native) and pino with pino-pretty (loaded at run time by require(), and pino
 * runs its transports in worker threads from files of its own) stay installed dependencies.
 */
export default defineConfig({
  ...shared,
  entry: { cli: "src/cli.ts", worker: "src/worker.ts" },
  // Maps of every bundled dependency would triple the download.
  sourcemap: false,
  platform: "node",
  splitting: true,
  noExternal: [/^(?!@libsql\/|libsql$|pino$|pino-pretty$)/],
  external: ["@libsql/client", "libsql", "pino", "pino-pretty"],
  // Bundled CommonJS modules call require() for Node's own modules.
  banner: {
    js: 'import { createRequire as __verdictCreateRequire } from "node:module";\nconst require = __verdictCreateRequire(import.meta.url);',
  },
  // Workspace packages from their TypeScript sources (their exports' @verdict/source condition).
  esbuildOptions(options) {
    options.conditions = ["@verdict/source"];
  },
  async onSuccess() {
    // Files the code finds next to itself: ../migrations, ../web, ./commands.json, ./verdict.cjs (see each reader).
    for (const dir of ["migrations", "web", "schemas"]) rmSync(dir, { recursive: true, force: true });
    cpSync("../db/migrations", "migrations", { recursive: true });
    cpSync("../../apps/web/dist", "web", { recursive: true });
    cpSync("../../schemas", "schemas", { recursive: true });
    cpSync("../../apps/cli/dist/commands.json", "dist/commands.json");
    // The CLI's CommonJS bundle, which dist/cli.js runs through a V8 code cache (apps/cli/src/index.ts);
    // its modules find their files (migrations, dashboard) beside it, as copied above.
    await build({
      ...cliBundle({ entry: "../../apps/cli/src/bundle.ts", outDir: "dist", workspaceFiles: false }),
      sourcemap: false,
    });
  },
});
