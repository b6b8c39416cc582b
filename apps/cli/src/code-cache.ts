import { isAscii } from "node:buffer";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import { Script, constants as vmConstants } from "node:vm";

/**
 * Runs the CLI's CommonJS bundle (dist/verdict.cjs) with a V8 code cache, so a start compiles
 * (almost) nothing: the cache holds the bytecode of every function the same kind of command ran
 * before. Node 20 has no compile cache for ES modules, hence a CommonJS bundle run through
 * vm.Script's cachedData.
 *
 * - One cache file per bundle (path and content) and command (`runs-summary`, `serve`, … or `_`):
 *   each holds what that command compiles. The name carries the SHA-1 of the bundle's bytes and the Node
 *   version and architecture, so a rebuilt bundle or another Node never uses an old cache (V8 also
 *   refuses a cache made by another V8 or with other flags; that cache is then written anew).
 * - Written once, after the command succeeded, to a temporary file renamed into place: a reader
 *   never sees half a file. Caches of earlier builds at the same path are removed then.
 * - Where: $XDG_CACHE_HOME/verdict/code-cache (default ~/.cache/verdict/code-cache). Any failure to
 *   read or write it only costs speed: the bundle then runs as a plain script.
 */
export interface LoadedBundle {
  exports: Record<string, unknown>;
  /** Writes the code cache if there was none or V8 refused it; never throws. */
  saveCache(): void;
}

function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "verdict", "code-cache");
}

/** The cache key's command part: short and safe in a file name. */
function commandKey(command: string): string {
  return /^[a-z][a-z0-9-]{0,40}$/.test(command) ? command : "_";
}

export function loadBundle(file: string, command: string): LoadedBundle {
  const bytes = readFileSync(file);
  // esbuild writes ASCII (non-ASCII as escapes); latin1 decodes that several times faster than UTF-8.
  const source = bytes.toString(isAscii(bytes) ? "latin1" : "utf8");
  // Per installed copy (its path), so that two checkouts never prune each other's caches.
  const stem = `${basename(file).replace(/\.[^.]+$/, "")}-${createHash("sha1").update(file).digest("hex").slice(0, 8)}`;
  const hash = createHash("sha1").update(bytes).digest("hex").slice(0, 20);
  const dir = cacheDir();
  const cacheFile = join(dir, `${stem}-${hash}-${process.version}-${process.arch}-${commandKey(command)}.bin`);
  let cached: Buffer | undefined;
  try {
    cached = readFileSync(cacheFile);
  } catch {
    cached = undefined;
  }
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    ...(cached ? { cachedData: cached } : {}),
    importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const wrapper = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: { exports: Record<string, unknown> },
    filename: string,
    dirname: string,
  ) => void;
  const mod = { exports: {} as Record<string, unknown> };
  wrapper.call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file));
  const needed = cached === undefined || script.cachedDataRejected === true;
  return {
    exports: mod.exports,
    saveCache() {
      if (!needed) return;
      try {
        const data = script.createCachedData();
        mkdirSync(dir, { recursive: true });
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(tmp, data);
        renameSync(tmp, cacheFile);
        // Caches of earlier builds of this copy of the bundle are of no further use.
        for (const name of readdirSync(dir))
          if (name.startsWith(`${stem}-`) && name.endsWith(".bin") && !name.includes(`-${hash}-`))
            rmSync(join(dir, name), { force: true });
      } catch {
        // Only speed is lost.
      }
    },
  };
}
