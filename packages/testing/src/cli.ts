import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, statSync } from "node:fs";
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

/** Workspace libraries an app's build output imports (their dist must be fresh too). */
const LIBRARIES = ["packages/api", "packages/db", "packages/schema", "packages/ivr-runner", "packages/intent"];

function isStale(app: string, entry: string): boolean {
  if (!existsSync(join(REPO_ROOT, entry)) || newestMtime(join(REPO_ROOT, app, "src")) > mtime(join(REPO_ROOT, entry)))
    return true;
  for (const part of LIBRARIES) {
    const dist = join(REPO_ROOT, part, "dist", "index.js");
    if (!existsSync(join(REPO_ROOT, part, "package.json"))) continue;
    if (!existsSync(dist) || newestMtime(join(REPO_ROOT, part, "src")) > mtime(dist)) return true;
  }
  return false;
}

/**
 * Makes sure an app (e.g. "apps/cli") is built from the current sources, building it and its
 * workspace dependencies with turbo when `entry` (a path from the repo root) is missing or older than
 * a source file. npm test builds first, so this only builds for a test file run on its own. Test files
 * run in parallel processes, so a lock folder keeps builds one at a time.
 */
export function ensureAppBuilt(app: string, entry: string): string {
  if (!isStale(app, entry)) return join(REPO_ROOT, entry);
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, app, "package.json"), "utf8")) as { name?: string };
  if (!manifest.name) throw new Error(`${app}/package.json has no name`);
  const lock = join(REPO_ROOT, "node_modules", ".verdict-build.lock");
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() - mtime(lock) > 300_000) rmdirSync(lock); // left behind by a killed run
      if (Date.now() > deadline) throw new Error(`timed out waiting for another build (lock ${lock})`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    if (isStale(app, entry)) {
      const filter = `${manifest.name}...`;
      const r = spawnSync("pnpm", ["exec", "turbo", "run", "build", "--filter", filter, "--output-logs=errors-only"], {
        cwd: REPO_ROOT,
        encoding: "utf8",
        timeout: 170_000,
      });
      if (r.status !== 0) {
        throw new Error(
          `building ${app} failed (pnpm exec turbo run build --filter ${filter}):\n${r.stdout}${r.stderr}`,
        );
      }
    }
  } finally {
    rmdirSync(lock);
  }
  if (!existsSync(join(REPO_ROOT, entry))) throw new Error(`building ${app} did not produce ${entry}`);
  return join(REPO_ROOT, entry);
}

/** The `verdict` CLI, built from the current sources (see ensureAppBuilt). */
export function ensureCliBuilt(): string {
  return ensureAppBuilt("apps/cli", "apps/cli/dist/index.js");
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a built Node entry point (an app's dist file) with `args`, asynchronously so servers in this
 * process keep answering. VERDICT_* variables of the caller's environment are not passed on unless
 * given in `env`; NO_COLOR is set.
 */
export function runScript(
  script: string,
  args: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {},
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("VERDICT_")) env[k] = v;
  Object.assign(env, { NO_COLOR: "1" }, opts.env);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: opts.cwd ?? REPO_ROOT,
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
      reject(new Error(`${script} ${args.join(" ")} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once("error", reject);
    child.once("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Runs the built `verdict` CLI (call ensureCliBuilt() first, e.g. in beforeAll). */
export function runCli(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {}) {
  return runScript(CLI_PATH, args, opts);
}
