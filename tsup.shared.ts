import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
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

type Plugin = NonNullable<Options["esbuildPlugins"]>[number];

/** Workspace packages whose src/index.ts only re-exports its modules (`export * from "./x.js"`). */
const BARRELS = ["@verdict/schema", "@verdict/db"] as const;

function sourceFile(from: string, spec: string): string | null {
  const base = resolve(dirname(from), spec.replace(/\.js$/, ""));
  for (const f of [`${base}.ts`, join(base, "index.ts")]) if (existsSync(f)) return f;
  return null;
}

/**
 * Where each value a barrel exports is defined: name → the module exporting it (a name re-exported
 * with `export { a } from` maps to the re-exporting module). Types are left out: imports of them vanish.
 */
function exportMap(file: string, map = new Map<string, string>(), seen = new Set<string>()): Map<string, string> {
  if (seen.has(file)) return map;
  seen.add(file);
  const text = readFileSync(file, "utf8");
  for (const m of text.matchAll(
    /^export\s+(?:declare\s+)?(?:async\s+)?(?:function\*?|const|let|var|class|abstract\s+class|enum)\s+([A-Za-z_$][\w$]*)/gm,
  ))
    map.set(m[1] as string, file);
  for (const m of text.matchAll(/^export\s+\*\s+as\s+([A-Za-z_$][\w$]*)\s+from/gm)) map.set(m[1] as string, file);
  for (const m of text.matchAll(/^export\s*\{([^}]*)\}/gm))
    for (const spec of (m[1] as string).split(",")) {
      const parts = spec.trim().split(/\s+as\s+/);
      const name = (parts[1] ?? parts[0] ?? "").trim();
      if (name && !spec.trim().startsWith("type ")) map.set(name, file);
    }
  for (const m of text.matchAll(/^export\s+\*\s+from\s+["']([^"']+)["']/gm)) {
    const target = sourceFile(file, m[1] as string);
    if (target) exportMap(target, map, seen);
  }
  return map;
}

/**
 * `import { a, b as c, type T } from "<barrel>"` → one import per defining module (types dropped);
 * names not found stay on an import of the barrel itself.
 */
function debarrel(text: string, barrel: string, exports: Map<string, string>): string {
  const esc = barrel.replace(/[/]/g, "\\/");
  const staticImport = new RegExp(`import\\s*\\{([^}]*)\\}\\s*from\\s*["']${esc}["'];?`, "g");
  const dynamicImport = new RegExp(`const\\s*\\{([^}]*)\\}\\s*=\\s*await\\s+import\\(\\s*["']${esc}["']\\s*\\)`, "g");
  const group = (specs: string[], nameOf: (spec: string) => string) => {
    const byFile = new Map<string, string[]>();
    const rest: string[] = [];
    for (const spec of specs) {
      // Types are erased; kept on an import they would keep the barrel as a side-effect import.
      if (spec.startsWith("type ")) continue;
      const file = exports.get(nameOf(spec));
      if (file) byFile.set(file, [...(byFile.get(file) ?? []), spec]);
      else rest.push(spec);
    }
    return { byFile, rest };
  };
  const specsOf = (list: string) =>
    list
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean);
  return text
    .replace(staticImport, (_all, list: string) => {
      const { byFile, rest } = group(specsOf(list), (spec) => spec.split(/\s+as\s+/)[0]?.trim() ?? spec);
      const lines = [...byFile].map(([file, specs]) => `import { ${specs.join(", ")} } from ${JSON.stringify(file)};`);
      if (rest.length > 0) lines.push(`import { ${rest.join(", ")} } from "${barrel}";`);
      return lines.join(" ");
    })
    .replace(dynamicImport, (all, list: string) => {
      const { byFile, rest } = group(specsOf(list), (spec) => spec.split(":")[0]?.trim() ?? spec);
      if (rest.length > 0) return all;
      const loads = [...byFile.keys()].map((file) => `await import(${JSON.stringify(file)})`);
      return `const { ${list.trim()} } = Object.assign({}, ${loads.join(", ")})`;
    });
}

function repoRoot(): string {
  let dir = process.cwd();
  while (!existsSync(join(dir, "pnpm-workspace.yaml"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("tsup.shared.ts: no pnpm-workspace.yaml above the build's folder");
    dir = up;
  }
  return dir;
}

/**
 * esbuild plugin for a bundle of workspace packages' sources (packages/<name>/src, apps/<name>/src):
 * - Imports of a barrel package (BARRELS) go to the modules that define the names imported. In a
 *   bundle whose commands load on demand, esbuild initialises an imported module whole: through
 *   @verdict/schema's index a runs command would build every domain's zod schemas, through
 *   @verdict/db's the JUnit parser, importers and every domain's queries. Same modules, same values.
 * - Non-ASCII characters are written as \u escapes (see the loader's latin1 fast path).
 * - With `bundleDir` (a bundle run inside the workspace), `import.meta.url` in a package's module is
 *   that module's own file URL, computed at run time from the bundle's folder (`__dirname`): files
 *   it finds next to itself (@verdict/db's migrations, dependencies it resolves) are the
 *   workspace's own, not copies. Without, it is the bundle's URL (tsup's shim).
 */
export function workspaceSources(bundleDir: string | null): Plugin {
  return {
    name: "verdict-workspace-sources",
    setup(build) {
      const root = repoRoot();
      const maps = new Map<string, Map<string, string>>();
      const exportsOf = (barrel: string) => {
        let map = maps.get(barrel);
        if (!map) {
          map = exportMap(join(root, "packages", barrel.slice("@verdict/".length), "src", "index.ts"));
          maps.set(barrel, map);
        }
        return map;
      };
      build.onLoad({ filter: /[\\/](packages|apps)[\\/][^\\/]+[\\/]src[\\/].*\.ts$/ }, async (args) => {
        let text = await readFile(args.path, "utf8");
        const original = text;
        for (const barrel of BARRELS)
          if (text.includes(`"${barrel}"`)) text = debarrel(text, barrel, exportsOf(barrel));
        if (bundleDir && /[\\/]packages[\\/]/.test(args.path) && text.includes("import.meta.url")) {
          const rel = relative(bundleDir, args.path).split(sep).join("/");
          // Not `require(…)`: a module may name its own `require` (createRequire(import.meta.url)).
          const url = `process.getBuiltinModule("node:url").pathToFileURL(process.getBuiltinModule("node:path").join(__dirname, ${JSON.stringify(rel)})).href`;
          text = text.replaceAll("import.meta.url", url);
        }
        // esbuild's ASCII output leaves regular expressions as written; escaped here, the bundle is
        // all ASCII (a \uXXXX escape means the same in a string, template, regex or identifier).
        text = text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
        return text === original ? undefined : { contents: text, loader: "ts" };
      });
    },
  };
}

/**
 * The CLI's CommonJS bundle (`verdict.cjs`, run by apps/cli/src/index.ts through a V8 code cache):
 * apps/cli/src/bundle.ts with every workspace package (from source) and every pure-JS dependency.
 * Out of it stay the libSQL driver (native) and pino with pino-pretty (required at run time; pino
 * runs transports from files of its own). In the workspace (`workspaceFiles`), bundled packages find
 * their files in the workspace (see workspaceSources); a published copy ships them beside itself.
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
    esbuildPlugins: [workspaceSources(opts.workspaceFiles ? resolve(opts.outDir) : null)],
    esbuildOptions(options) {
      options.conditions = ["@verdict/source"];
      // Less to read and hash at every start; names stay (stack traces, error names), the map has the rest.
      options.minifyWhitespace = true;
      options.minifySyntax = true;
      // Non-ASCII as escapes: the loader then decodes the file as latin1, several times faster than UTF-8.
      options.charset = "ascii";
    },
  };
}
