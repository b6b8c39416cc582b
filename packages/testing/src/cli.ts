import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./sqld.js";

/** The built `verdict` CLI. */
export const CLI_PATH = join(REPO_ROOT, "apps", "cli", "dist", "index.js");

/** Newest modification time of any file under `dir` (0 when it does not exist). */
function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

function mtime(file: string): number {
  return existsSync(file) ? statSync(file).mtimeMs : 0;
}

/** Workspace folders whose built output the CLI runs: its own and those of the packages it imports. */
const CLI_PARTS = ["apps/cli", "packages/api", "packages/db", "packages/schema"];

function cliIsStale(): boolean {
  for (const part of CLI_PARTS) {
    const dist = join(REPO_ROOT, part, "dist", "index.js");
    if (!existsSync(join(REPO_ROOT, part, "package.json"))) continue;
    if (!existsSync(dist) || newestMtime(join(REPO_ROOT, part, "src")) > mtime(dist)) return true;
  }
  return false;
}

/**
 * Makes sure apps/cli/dist is built from the current sources (npm test builds first; a single test
 * file run from an editor may not have), building with turbo when it is missing or older than a
 * source file. Test files run in parallel processes, so a lock folder keeps builds one at a time.
 */
export function ensureCliBuilt(): string {
  if (!cliIsStale()) return CLI_PATH;
  const lock = join(REPO_ROOT, "node_modules", ".verdict-cli-build.lock");
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() - mtime(lock) > 300_000) rmdirSync(lock); // left behind by a killed run
      if (Date.now() > deadline) throw new Error(`timed out waiting for another CLI build (lock ${lock})`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    if (cliIsStale()) {
      const r = spawnSync(
        "pnpm",
        ["exec", "turbo", "run", "build", "--filter", "@verdict/cli...", "--output-logs=errors-only"],
        {
          cwd: REPO_ROOT,
          encoding: "utf8",
          timeout: 170_000,
        },
      );
      if (r.status !== 0) {
        throw new Error(
          `building the CLI failed (pnpm exec turbo run build --filter @verdict/cli...):\n${r.stdout}${r.stderr}`,
        );
      }
    }
  } finally {
    rmdirSync(lock);
  }
  if (!existsSync(CLI_PATH)) throw new Error(`the CLI build did not produce ${CLI_PATH}`);
  return CLI_PATH;
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `verdict` CLI with `args` (asynchronously, so servers in this process keep
 * answering). VERDICT_* variables of the caller's environment are not passed on unless given in `env`.
 */
export function runCli(
  args: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("VERDICT_")) env[k] = v;
  Object.assign(env, { NO_COLOR: "1" }, opts.env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString("utf8");
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString("utf8");
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`verdict ${args.join(" ")} did not finish within ${opts.timeoutMs ?? 30_000} ms`));
    }, opts.timeoutMs ?? 30_000);
    child.once("error", reject);
    child.once("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
