import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, ensureAppBuilt, ensureCliBuilt, runCli, runScript, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * `verdict completion bash|zsh|fish`, generated from the commander tree; `--version` of the worker and
 * the demo IVR. The bash script is loaded into a real bash and asked what it completes.
 */
const dir = tempDir("verdict-completion-");
let bashScript = "";

beforeAll(async () => {
  ensureCliBuilt();
  const r = await runCli(["completion", "bash"]);
  expect(r.status, r.stderr).toBe(0);
  bashScript = dir.file("verdict.bash");
  execFileSync("sh", ["-c", 'cat > "$1"', "sh", bashScript], { input: r.stdout });
}, 120_000);
afterAll(() => dir.cleanup());

/** What bash completes for the words typed so far (the last one being completed). */
function complete(...words: string[]): string[] {
  const program = `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _verdict_completion; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync("bash", ["-c", program, "bash", bashScript, ...words], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toBe("");
  return r.stdout.split("\n").filter((w) => w !== "");
}

describe("verdict completion", () => {
  it("bash: the script is valid (bash -n)", () => {
    const r = spawnSync("bash", ["-n", bashScript], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
  });

  it("bash: completes commands, subcommands and options from the command tree", () => {
    expect(complete("verdict", "ru")).toEqual(["runs"]);
    expect(complete("verdict", "runs", "im")).toEqual(["import"]);
    expect(complete("verdict", "runs", "")).toEqual(expect.arrayContaining(["import", "export", "gate", "--json"]));
    // A global option's value is skipped, not taken for a command.
    expect(complete("verdict", "--db", "runs", "runs", "")).toEqual(expect.arrayContaining(["import", "list"]));
    expect(complete("verdict", "runs", "import", "--skip")).toEqual(["--skip-invalid"]);
    expect(complete("verdict", "completion", "")).toEqual(expect.arrayContaining(["bash", "zsh", "fish"]));
  });

  it("zsh and fish scripts name every command path; zsh loads through bashcompinit", async () => {
    const zsh = await runCli(["completion", "zsh"]);
    expect(zsh.status, zsh.stderr).toBe(0);
    expect(zsh.stdout).toMatch(/^#compdef verdict/);
    expect(zsh.stdout).toContain("bashcompinit");
    expect(spawnSync("bash", ["-n"], { input: zsh.stdout.replace(/^autoload .*$/gm, ":") }).status).toBe(0);
    const fish = await runCli(["completion", "fish"]);
    expect(fish.status, fish.stderr).toBe(0);
    expect(fish.stdout).toContain("'verdict runs import'");
    expect(fish.stdout).toMatch(/complete -c verdict -n 'test \(__verdict_path\) = \\'verdict runs\\'' -a 'import'/);
  });

  it("an unknown shell is a usage error (64)", async () => {
    // Commander's own usage errors: the error line, then the pointer to --help.
    const r = await runCli(["completion", "tcsh"]);
    expect(r.status).toBe(64);
    expect(r.stderr.split("\n")[0]).toMatch(/^error: .*'tcsh'.*bash, zsh, fish/);
    expect(r.stdout).toBe("");
  });
});

describe("--version", () => {
  it.each([
    ["apps/worker", "apps/worker/dist/index.js"],
    ["apps/demo-ivr", "apps/demo-ivr/dist/main.js"],
  ])(
    "%s prints its package.json version",
    async (app, entry) => {
      const script = ensureAppBuilt(app, entry);
      const { version } = JSON.parse(readFileSync(join(REPO_ROOT, app, "package.json"), "utf8")) as { version: string };
      for (const flag of ["--version", "-V"]) {
        const r = await runScript(script, [flag]);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toBe(`${version}\n`);
      }
    },
    120_000,
  );
});
