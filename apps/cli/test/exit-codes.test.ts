import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, ensureCliBuilt, runCli, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectOneLineError } from "./helpers.js";

/**
 * The exit-code table: 0 ok, 1 failure, 2 a gate violation, 64 a usage error. CI tells "the run
 * broke its requirements" (2) from "the command line is wrong" (64) by the code alone.
 */
const dir = tempDir("verdict-exit-codes-");
const db = `file:${dir.file("exit.db")}`;
const cli = (args: string[]) => runCli(["--db", db, ...args]);

beforeAll(async () => {
  ensureCliBuilt();
  expect((await cli(["init", "--seed"])).status).toBe(0);
}, 120_000);
afterAll(() => dir.cleanup());

describe("exit codes", () => {
  it("runs gate: 2 for a violated requirement, 0 when all hold", async () => {
    const violated = await cli(["runs", "gate", "seed-run-001", "--fail-on", "pass_rate>=99.99"]);
    expect(violated.status, violated.stderr).toBe(2);
    expect(violated.stdout).toMatch(/FAIL pass_rate>=99.99/);
    const held = await cli(["runs", "gate", "seed-run-001", "--fail-on", "pass_rate>=0"]);
    expect(held.status, held.stderr).toBe(0);
  });

  it.each([
    ["a rule that cannot be read", ["--fail-on", "pass_rate=>99"], "fail-on: cannot read 'pass_rate=>99'"],
    ["an unknown metric", ["--fail-on", "pass_ratio>=99"], "unknown metric 'pass_ratio'"],
  ])("runs gate: 64 for %s, never 2", async (_what, flags, message) => {
    const r = await cli(["runs", "gate", "seed-run-001", ...flags]);
    expect(expectOneLineError(r, 64)).toContain(message);
  });

  it("runs gate without --fail-on, an unknown option or command: 64", async () => {
    expect((await cli(["runs", "gate", "seed-run-001"])).status).toBe(64);
    expect((await cli(["runs", "gate", "seed-run-001", "--fail-onn", "pass_rate>=1"])).status).toBe(64);
    expect((await cli(["runz", "list"])).status).toBe(64);
    expect(expectOneLineError(await cli(["executions", "list", "--limit", "-3"]), 64)).toContain("--limit");
  });

  it("a failure (run not found) is 1, not a usage error", async () => {
    const r = await cli(["runs", "gate", "ghost", "--fail-on", "pass_rate>=1"]);
    expect(expectOneLineError(r, 1)).toBe("error: run 'ghost' not found");
  });

  it("--help prints the same table as the README and exits 0", async () => {
    const help = await runCli(["--help"]);
    expect(help.status).toBe(0);
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    for (const code of ["0", "1", "2", "64"]) {
      expect(help.stdout).toMatch(new RegExp(`^\\s+${code}\\s+\\S`, "m"));
      expect(readme).toMatch(new RegExp(`^\\| ${code} \\| \\S`, "m"));
    }
    expect(help.stdout).toMatch(/^\s+64\s+usage error/m);
    expect(readme).toMatch(/^\| 64 \| usage error/m);
    expect(help.stdout).toMatch(/^\s+2\s+a gate, threshold or regression violation/m);
    expect(readme).toMatch(/^\| 2 \| a gate, threshold or regression violation/m);
  });
});
