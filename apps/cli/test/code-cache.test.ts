import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ensureCliBuilt, runCli, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The CLI's bundle runs through a V8 code cache (src/code-cache.ts): one file per bundle content,
 * Node and command, written once after a success; a changed bundle never runs with an old cache.
 */
const dir = tempDir("verdict-code-cache-");
const loader = pathToFileURL(join(import.meta.dirname, "..", "src", "code-cache.ts")).href;

beforeAll(() => ensureCliBuilt(), 180_000);
afterAll(() => dir.cleanup());

/**
 * loadBundle(file, command) in a fresh Node process, as each CLI start is (within one process V8
 * reuses what it compiled, whatever the cache says): the bundle's `answer`, then saveCache().
 */
function start(file: string, command: string, cacheHome: string): unknown {
  const script = `import { loadBundle } from ${JSON.stringify(loader)};
const b = loadBundle(${JSON.stringify(file)}, ${JSON.stringify(command)});
process.stdout.write(JSON.stringify(b.exports.answer));
b.saveCache();`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    encoding: "utf8",
    env: { ...process.env, XDG_CACHE_HOME: cacheHome },
  });
  if (r.status !== 0) throw new Error(`loadBundle failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function cacheFiles(home: string): string[] {
  try {
    return readdirSync(join(home, "verdict", "code-cache")).filter((f) => f.endsWith(".bin"));
  } catch {
    return [];
  }
}

describe("loadBundle", () => {
  it("runs the bundle, writes its cache once, and uses it unchanged on the next start", () => {
    const home = dir.file("home-a");
    const file = dir.file("a.cjs");
    writeFileSync(file, "exports.answer = [40, 2].reduce(function (a, b) { return a + b; }, 0);\n");
    expect(start(file, "runs-summary", home)).toBe(42);
    const [cache] = cacheFiles(home);
    expect(cacheFiles(home)).toHaveLength(1);
    expect(cache).toMatch(new RegExp(`-${process.version}-${process.arch}-runs-summary\\.bin$`));
    const path = join(home, "verdict", "code-cache", cache as string);
    const written = statSync(path).mtimeMs;

    expect(start(file, "runs-summary", home)).toBe(42);
    // Accepted by V8: nothing written.
    expect(statSync(path).mtimeMs).toBe(written);
    expect(cacheFiles(home)).toEqual([cache]);
  });

  it("a bundle changed in place (same length) gets a cache of its own and never runs old code", () => {
    const home = dir.file("home-b");
    const file = dir.file("b.cjs");
    writeFileSync(file, "exports.answer = 41;\n");
    expect(start(file, "_", home)).toBe(41);
    const [oldCache] = cacheFiles(home);

    writeFileSync(file, "exports.answer = 42;\n");
    expect(start(file, "_", home)).toBe(42);
    const now = cacheFiles(home);
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(oldCache); // the old build's cache is removed
  });

  it("a damaged cache file is refused and written anew; the bundle still runs", () => {
    const home = dir.file("home-c");
    const file = dir.file("c.cjs");
    writeFileSync(file, "exports.answer = 42;\n");
    expect(start(file, "_", home)).toBe(42);
    const [cache] = cacheFiles(home);
    const path = join(home, "verdict", "code-cache", cache as string);
    writeFileSync(path, Buffer.alloc(256, 7));

    expect(start(file, "_", home)).toBe(42);
    expect(readFileSync(path).equals(Buffer.alloc(256, 7))).toBe(false);
  });
});

describe("the built CLI", () => {
  it("writes a cache for a command that succeeded, none for one that failed", async () => {
    const home = dir.file("home-cli");
    const db = `file:${dir.file("cache.db")}`;
    expect((await runCli(["--db", db, "init"], { env: { XDG_CACHE_HOME: home } })).status).toBe(0);
    expect(cacheFiles(home).filter((f) => f.endsWith("-init.bin"))).toHaveLength(1);

    const missing = await runCli(["--db", db, "runs", "summary", "no-such-run"], { env: { XDG_CACHE_HOME: home } });
    expect(missing.status).toBe(1);
    expect(cacheFiles(home).filter((f) => f.includes("-runs-summary"))).toEqual([]);

    const listed = await runCli(["--db", db, "--json", "runs", "list"], { env: { XDG_CACHE_HOME: home } });
    expect(listed.status).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual({ items: [], next_cursor: null });
    expect(cacheFiles(home).filter((f) => f.endsWith("-runs-list.bin"))).toHaveLength(1);
  });
});
