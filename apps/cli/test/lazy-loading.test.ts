import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ensureCliBuilt, runCli, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOP_LEVEL_COMMANDS } from "../src/commands/registry.js";

/**
 * Commands are loaded per command: `--version` and `--help` load no database driver, ORM, tRPC or zod;
 * a command loads what it needs. Checked on the built CLI: a hook records every file the process
 * loads (ES modules as resolved, CommonJS ones from require's cache at exit), and V8's coverage of
 * the CLI's bundle (dist/verdict.cjs) tells which of its modules were initialised (each bundled
 * module is a function named by its path, run when the module is first needed).
 */
const dir = tempDir("verdict-lazy-");
const register = pathToFileURL(join(import.meta.dirname, "fixtures", "load-trace", "register.mjs")).href;
const HEAVY = ["@libsql", "libsql", "drizzle-orm", "@trpc", "/zod/"];

interface Coverage {
  result: { url: string; functions: { functionName: string; ranges: { count: number }[] }[] }[];
}

/** The bundle's modules that ran: functions named by a module path, called at least once. */
function initialisedInBundle(coverageDir: string): string[] {
  const names: string[] = [];
  for (const f of readdirSync(coverageDir)) {
    const cov = JSON.parse(readFileSync(join(coverageDir, f), "utf8")) as Coverage;
    for (const script of cov.result) {
      if (!script.url.endsWith("/verdict.cjs")) continue;
      names.push(script.url);
      for (const fn of script.functions)
        if (/\.(ts|js|mjs|cjs)$/.test(fn.functionName) && (fn.ranges[0]?.count ?? 0) > 0) names.push(fn.functionName);
    }
  }
  return names;
}

async function loaded(args: string[]): Promise<{ status: number | null; stdout: string; modules: string[] }> {
  const id = Math.random().toString(36).slice(2);
  const trace = dir.file(`trace-${id}.txt`);
  const coverage = dir.file(`coverage-${id}`);
  writeFileSync(trace, "");
  const r = await runCli(args, {
    env: { NODE_OPTIONS: `--import=${register}`, VERDICT_LOAD_TRACE: trace, NODE_V8_COVERAGE: coverage },
  });
  const files = readFileSync(trace, "utf8").split("\n").filter(Boolean);
  return { status: r.status, stdout: r.stdout, modules: [...files, ...initialisedInBundle(coverage)] };
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
    // Not even the bundle: the entry answers by itself.
    expect(r.modules.filter((m) => m.endsWith("/verdict.cjs"))).toEqual([]);
  });

  it("--help lists every command from the build's command index without loading them", async () => {
    const r = await loaded(["--help"]);
    expect(r.status).toBe(0);
    for (const name of TOP_LEVEL_COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${name}\\b`, "m"));
    expect(r.modules.some((m) => m.endsWith("/verdict.cjs"))).toBe(true);
    expect(r.modules.some((m) => m.includes("commander"))).toBe(true);
    expect(heavyIn(r.modules)).toEqual([]);
    expect(r.modules.filter((m) => /src\/commands\/(db|runs-data|server)\.ts$/.test(m))).toEqual([]);
  });

  it("a command that opens a database loads the driver", async () => {
    const r = await loaded(["--db", `file:${dir.file("lazy.db")}`, "init"]);
    expect(r.status).toBe(0);
    for (const part of ["@libsql", "drizzle-orm", "/zod/", "src/commands/db.ts"])
      expect(
        r.modules.some((m) => m.includes(part)),
        part,
      ).toBe(true);
  });

  it("a runs command initialises the runs command modules, not the IVR, queue or server ones", async () => {
    const r = await loaded(["--db", `file:${dir.file("lazy.db")}`, "runs", "list", "--json"]);
    expect(r.status).toBe(0);
    expect(r.modules.some((m) => m.includes("@trpc"))).toBe(true);
    const commands = r.modules.filter((m) => m.includes("src/commands/"));
    expect(commands.some((m) => m.endsWith("src/commands/runs.ts"))).toBe(true);
    expect(commands.some((m) => m.endsWith("src/commands/queue-start.ts"))).toBe(true);
    expect(commands.filter((m) => /src\/commands\/(ivr|queue|server|metrics)\.ts$/.test(m))).toEqual([]);
  });
});
