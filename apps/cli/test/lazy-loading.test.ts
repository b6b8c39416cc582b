import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ensureCliBuilt, runCli, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOP_LEVEL_COMMANDS } from "../src/commands/registry.js";

/**
 * Commands are loaded per command: `--version` and `--help` load no database driver, ORM, tRPC or zod;
 * a command loads what it needs. Checked on the built CLI with a module-resolution hook that records
 * every module the process loads.
 */
const dir = tempDir("verdict-lazy-");
const register = pathToFileURL(join(import.meta.dirname, "fixtures", "load-trace", "register.mjs")).href;
const HEAVY = ["@libsql", "libsql", "drizzle-orm", "@trpc", "/zod/"];

async function loaded(args: string[]): Promise<{ status: number | null; stdout: string; modules: string[] }> {
  const trace = dir.file(`trace-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(trace, "");
  const r = await runCli(args, { env: { NODE_OPTIONS: `--import=${register}`, VERDICT_LOAD_TRACE: trace } });
  const modules = readFileSync(trace, "utf8").split("\n").filter(Boolean);
  return { status: r.status, stdout: r.stdout, modules };
}

const heavyIn = (modules: string[]) =>
  modules.filter((m) => HEAVY.some((h) => m.includes(`/node_modules/${h}`) || m.includes(h)));

beforeAll(() => ensureCliBuilt(), 180_000);
afterAll(() => dir.cleanup());

describe("lazy command loading", () => {
  it("--version loads no database driver, ORM, tRPC or zod", async () => {
    const r = await loaded(["--version"]);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.modules.length).toBeGreaterThan(0);
    expect(heavyIn(r.modules)).toEqual([]);
  });

  it("--help lists every command from the build's command index without loading them", async () => {
    const r = await loaded(["--help"]);
    expect(r.status).toBe(0);
    for (const name of TOP_LEVEL_COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${name}\\b`, "m"));
    expect(heavyIn(r.modules)).toEqual([]);
    expect(r.modules.filter((m) => /\/dist\/(db|runs-data|server)-/.test(m))).toEqual([]);
  });

  it("a command that opens a database loads the driver", async () => {
    const r = await loaded(["--db", `file:${dir.file("lazy.db")}`, "init"]);
    expect(r.status).toBe(0);
    expect(r.modules.some((m) => m.includes("@libsql"))).toBe(true);
  });
});
