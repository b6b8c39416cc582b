import { ensureCliBuilt, runCli, tempDir } from "@verdict/testing";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerCompletionCommand } from "../src/commands/completion.js";
import { registerConfigCommands } from "../src/commands/config.js";
import { registerDbCommands } from "../src/commands/db.js";
import { registerIvrCommands } from "../src/commands/ivr.js";
import { registerIvrRunCommand } from "../src/commands/ivr-run.js";
import { registerMetricsCommands } from "../src/commands/metrics.js";
import { registerQueueCommands } from "../src/commands/queue.js";
import { registerQueueStartCommands } from "../src/commands/queue-start.js";
import { registerRunQueryCommands } from "../src/commands/runs.js";
import { registerRunDataCommands } from "../src/commands/runs-data.js";
import { registerRunAnalysisCommands } from "../src/commands/runs-analysis.js";
import { registerRunReportCommands } from "../src/commands/runs-report.js";
import { registerSchemaCommands } from "../src/commands/schema.js";
import { registerServerCommands } from "../src/commands/server.js";
import { registerTrainingEvalCommands } from "../src/commands/training-eval.js";
import { addGlobalOptions } from "../src/globals.js";
import { ROOT_EXAMPLES } from "../src/help.js";

/**
 * Help for every command: a command added without a description or an example fails here.
 */
const dir = tempDir("verdict-help-");
const db = `file:${dir.file("help.db")}`;

beforeAll(() => {
  ensureCliBuilt();
}, 120_000);
afterAll(() => dir.cleanup());

/**
 * The tree as index.ts builds it, in this process (spawning the CLI once per command is far too slow
 * on a busy machine); the built CLI's completion script proves it is the same tree.
 */
async function programTree(): Promise<Command> {
  const program = new Command("verdict").description("Verdict").addHelpText("after", ROOT_EXAMPLES);
  await addGlobalOptions(program);
  registerDbCommands(program);
  registerServerCommands(program);
  registerIvrCommands(program);
  registerIvrRunCommand(program);
  registerTrainingEvalCommands(program);
  registerMetricsCommands(program);
  const runs = program.command("runs").description("run data");
  registerRunQueryCommands(runs);
  registerRunDataCommands(runs);
  registerRunAnalysisCommands(runs);
  registerRunReportCommands(runs);
  registerQueueStartCommands(program);
  registerQueueCommands(program);
  registerSchemaCommands(program);
  registerCompletionCommand(program);
  registerConfigCommands(program);
  return program;
}

function walk(cmd: Command, path: string[], out: { path: string[]; cmd: Command }[]): typeof out {
  out.push({ path, cmd });
  for (const c of cmd.commands) walk(c, [...path, c.name()], out);
  return out;
}

/** The full --help text, with the "after" texts commander adds when it prints help. */
function helpText(cmd: Command): string {
  let text = "";
  cmd.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  cmd.outputHelp();
  return text;
}

async function helpOf(path: string[]): Promise<string> {
  const r = await runCli([...path, "--help"]);
  expect(r.status, `${path.join(" ")}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

describe("verdict --help", () => {
  it("every command and subcommand has a description and an example of itself", async () => {
    const all = walk(await programTree(), [], []);
    for (const { path, cmd } of all) {
      const own = path.length === 0 ? "verdict" : path.join(" ");
      if (path.length > 0) expect(cmd.description(), `${own} has no description`).toMatch(/\w/);
      const examples = helpText(cmd).split(/^Examples:\n/m)[1] ?? "";
      const lines = examples.split("\n").filter((l) => l.startsWith("  $ "));
      expect(lines.length, `${own} has no example`).toBeGreaterThan(0);
      // Each example is a verdict command line; one of them uses this very command.
      expect(
        lines.some((l) => l.includes(own) || (path.length > 0 && l.includes(`verdict ${path.at(-1)}`))),
        `${own}: no example uses it:\n${lines.join("\n")}`,
      ).toBe(true);
    }
    // The built CLI has exactly these commands (its fish completion names every command path).
    const fish = await runCli(["completion", "fish"]);
    expect(fish.status, fish.stderr).toBe(0);
    const known = /^\s*set -l known (.*)$/m.exec(fish.stdout)?.[1] ?? "";
    const built = new Set([...known.matchAll(/'verdict ?([^']*)'/g)].map((m) => m[1] ?? ""));
    const here = new Set(all.map((a) => a.path.join(" ")));
    expect([...here].sort()).toEqual([...built].sort());
    expect(here).toContain("config show");
    // And the built CLI prints the same examples.
    expect(await helpOf(["runs", "summary"])).toContain("$ verdict runs summary seed-run-001");
  }, 120_000);

  it("shows the exit-code table and -q/-v at the top level", async () => {
    const help = await helpOf([]);
    expect(help).toMatch(/Exit codes:\n\s+0\s+ok\n\s+1\s+failure[^\n]*\n\s+2\s+a gate[^\n]*\n\s+64\s+usage error/);
    expect(help).toContain("-q, --quiet");
    expect(help).toContain("-v, --verbose");
  });
});

describe("-q/--quiet, -v/--verbose", () => {
  it("--quiet drops notes, keeps results; --verbose adds timings; both together is a usage error", async () => {
    expect((await runCli(["--db", db, "init"])).status).toBe(0);
    const normal = await runCli(["--db", db, "migrate", "up"]);
    expect(normal.status, normal.stderr).toBe(0);
    expect(normal.stderr).toContain("already up to date");
    const quiet = await runCli(["--db", db, "-q", "migrate", "up"]);
    expect(quiet.status, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe("");
    const status = await runCli(["--db", db, "--quiet", "migrate", "status"]);
    expect(status.stdout).toMatch(/applied/);
    const verbose = await runCli(["--db", db, "-v", "migrate", "status"]);
    expect(verbose.status, verbose.stderr).toBe(0);
    expect(verbose.stderr).toMatch(/^migrate status: done in \d+ ms$/m);
    const both = await runCli(["--db", db, "-q", "-v", "migrate", "status"]);
    expect(both.status).toBe(64);
    expect(both.stderr).toMatch(/^error: --quiet and --verbose cannot be used together/);
  });
});

describe("colour", () => {
  const err = (env: Record<string, string>) => runCli(["--db", db, "scenarios", "show", "no-such-scenario"], { env });
  it("off when piped and with NO_COLOR, on with FORCE_COLOR (which wins over NO_COLOR)", async () => {
    const piped = await err({ NO_COLOR: "" });
    expect(piped.status).toBe(1);
    expect(piped.stderr).not.toContain("\u001b[");
    expect((await err({ NO_COLOR: "1" })).stderr).not.toContain("\u001b[");
    const forced = await err({ NO_COLOR: "", FORCE_COLOR: "1" });
    expect(forced.stderr.startsWith("\u001b[31merror:\u001b[39m ")).toBe(true);
    expect((await err({ NO_COLOR: "1", FORCE_COLOR: "1" })).stderr).toContain("\u001b[31m");
    expect((await err({ NO_COLOR: "", FORCE_COLOR: "0" })).stderr).not.toContain("\u001b[");
  });
});
