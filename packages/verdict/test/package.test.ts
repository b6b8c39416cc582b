import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { REPO_ROOT, ensureAppBuilt, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The published `verdict` package as a user gets it: packed to a tarball, installed with npm into an
 * empty prefix (its dependencies from the registry, nothing from this workspace), then run from there:
 * --version (CLI and worker), init, serve (/health and the dashboard), runs import of a real run.
 */
const dir = tempDir("verdict-package-");
const prefix = join(dir.path, "prefix");
const work = join(dir.path, "work");
const PKG = join(REPO_ROOT, "packages", "verdict");
const manifest = JSON.parse(readFileSync(join(PKG, "package.json"), "utf8")) as { name: string; version: string };
let tarball = "";

function bin(name: string): string {
  return join(prefix, "bin", name);
}

/** Runs an installed command with a clean environment (no VERDICT_* of the caller), in `work`. */
function run(cmd: string, args: string[]): { status: number; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { NO_COLOR: "1" };
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("VERDICT_")) env[k] = v;
  try {
    const stdout = execFileSync(cmd, args, { cwd: work, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return { status: 0, stdout, stderr: "" };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { status: err.status, stdout: err.stdout, stderr: err.stderr };
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (a && typeof a === "object" ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}

beforeAll(() => {
  ensureAppBuilt("packages/verdict", "packages/verdict/dist/cli.js");
  execFileSync("mkdir", ["-p", prefix, work]);
  execFileSync("pnpm", ["pack", "--pack-destination", dir.path], { cwd: PKG, stdio: "pipe" });
  const packed = readdirSync(dir.path).find((f) => f.endsWith(".tgz"));
  if (!packed) throw new Error("pnpm pack wrote no tarball");
  tarball = join(dir.path, packed);
  // Only the tarball and the registry: run from the temp folder, so no workspace is in reach.
  execFileSync(
    "npm",
    ["install", "--global", "--prefix", prefix, "--no-audit", "--no-fund", "--loglevel=error", tarball],
    {
      cwd: work,
      stdio: "pipe",
      timeout: 180_000,
    },
  );
}, 240_000);
afterAll(() => dir.cleanup());

describe("the packed verdict package", () => {
  it("is named verdict-<version>.tgz and carries the built files, no sources or workspace dependencies", () => {
    expect(tarball.endsWith(`${manifest.name}-${manifest.version}.tgz`)).toBe(true);
    const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n");
    expect(files).toContain("package/dist/cli.js");
    expect(files).toContain("package/dist/worker.js");
    expect(files).toContain("package/web/index.html");
    expect(files.some((f) => f.startsWith("package/migrations/"))).toBe(true);
    expect(files.some((f) => /^package\/schemas\/.+\.schema\.json$/.test(f))).toBe(true);
    expect(files.filter((f) => f.startsWith("package/src/"))).toEqual([]);
    const installed = join(prefix, "lib", "node_modules", "verdict");
    const pkg = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
    };
    expect(Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith("@verdict/"))).toEqual([]);
    expect(existsSync(join(installed, "node_modules", "@verdict"))).toBe(false);
  });

  it("verdict --version and verdict-worker --version print the package version", () => {
    expect(run(bin("verdict"), ["--version"]).stdout.trim()).toBe(manifest.version);
    expect(run(bin("verdict-worker"), ["--version"]).stdout.trim()).toBe(manifest.version);
  });

  it("verdict init creates a database, runs import stores a real turbulence run", () => {
    const db = `file:${join(work, "v.db")}`;
    const init = run(bin("verdict"), ["--db", db, "init"]);
    expect(init.status, init.stderr).toBe(0);
    const fixture = join(REPO_ROOT, "packages", "db", "test", "fixtures", "turbulence", "run_real_001");
    const imported = run(bin("verdict"), ["--db", db, "--json", "runs", "import", fixture]);
    expect(imported.status, imported.stderr).toBe(0);
    const runId = (JSON.parse(readFileSync(join(fixture, "manifest.json"), "utf8")) as { run_id: string }).run_id;
    const listed = JSON.parse(run(bin("verdict"), ["--db", db, "--json", "runs", "list"]).stdout) as {
      items: { id: string }[];
    };
    expect(listed.items.map((r) => r.id)).toContain(runId);
  });

  it("verdict serve answers /health and serves the shipped dashboard", async () => {
    const port = await freePort();
    const db = `file:${join(work, "serve.db")}`;
    expect(run(bin("verdict"), ["--db", db, "init"]).status).toBe(0);
    const child = spawn(bin("verdict"), ["--db", db, "serve", "--port", String(port), "--no-auth"], {
      cwd: work,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      const url = `http://127.0.0.1:${port}`;
      let health: Response | null = null;
      for (let i = 0; i < 600 && !health?.ok; i++) {
        if (child.exitCode !== null) throw new Error(`verdict serve exited: ${out}`);
        health = await fetch(`${url}/health`).catch(() => null);
        if (!health?.ok) await new Promise((r) => setTimeout(r, 50));
      }
      expect(health?.status, out).toBe(200);
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
  });

  it("npx runs verdict from the tarball", () => {
    const r = run("npx", ["--yes", "--package", tarball, "verdict", "--version"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(manifest.version);
  });
});
