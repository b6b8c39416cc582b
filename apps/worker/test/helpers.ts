/**
 * Real processes for the worker's end-to-end tests, all on 127.0.0.1: the built `verdict serve`,
 * built `verdict-worker` processes, the built demo IVR, and small node:http targets. Every child
 * is killed by its own PID when the test process ends.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { listeningUrl, onProcessExit } from "@verdict/testing";

export const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
export const CLI = join(ROOT, "apps/cli/dist/index.js");
export const WORKER = join(ROOT, "apps/worker/dist/index.js");
export const DEMO_IVR = join(ROOT, "apps/demo-ivr/dist/main.js");

const live = new Set<ChildProcess>();
onProcessExit(() => {
  for (const c of live) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, "SIGKILL");
});

function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) t = Math.max(t, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return t;
}

/** Builds the worker, the CLI and the demo IVR (and what they import) when a dist is missing or older than its sources. */
export function ensureBuilt(): void {
  const parts: [string, string][] = [
    ["apps/worker", "dist/index.js"],
    ["apps/cli", "dist/index.js"],
    ["apps/demo-ivr", "dist/main.js"],
    ["packages/api", "dist/client.js"],
    ["packages/db", "dist/index.js"],
    ["packages/schema", "dist/index.js"],
    ["packages/intent", "dist/index.js"],
  ];
  const stale = parts.some(([dir, out]) => {
    const dist = join(ROOT, dir, out);
    return !existsSync(dist) || newest(join(ROOT, dir, "src")) > statSync(dist).mtimeMs;
  });
  if (!stale) return;
  const r = spawnSync(
    "pnpm",
    [
      "exec",
      "turbo",
      "run",
      "build",
      "--filter",
      "@verdict/worker...",
      "--filter",
      "@verdict/cli...",
      "--filter",
      "@verdict/demo-ivr...",
      "--output-logs=errors-only",
    ],
    { cwd: ROOT, encoding: "utf8", timeout: 170_000 },
  );
  if (r.status !== 0) throw new Error(`build failed:\n${r.stdout}${r.stderr}`);
}

/** A child process whose output is kept, with a way to wait for a line. */
export interface Proc {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** JSON lines of stderr (the worker's logs). */
  logs(): Record<string, unknown>[];
  waitFor(pred: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

export function run(args: string[], opts: { env?: Record<string, string> } = {}): Proc {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("VERDICT_")) env[k] = v;
  Object.assign(env, { NO_COLOR: "1" }, opts.env);
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  if (child.pid === undefined) throw new Error(`could not start ${args.join(" ")}`);
  live.add(child);
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString("utf8");
  });
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString("utf8");
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }),
  );
  const pid = child.pid;
  const proc: Proc = {
    child,
    pid,
    stdout: () => out,
    stderr: () => err,
    logs: () =>
      err
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    async waitFor(pred, what, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      while (!pred()) {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`process exited while waiting for ${what}\nstdout: ${out}\nstderr: ${err}`);
        if (Date.now() > until) throw new Error(`timed out waiting for ${what}\nstdout: ${out}\nstderr: ${err}`);
        await sleep(25);
      }
    },
    exited: () => exit,
    kill(signal) {
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, signal);
    },
  };
  return proc;
}

/** Runs the built CLI to completion. */
export async function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = run([CLI, ...args]);
  const { code } = await p.exited();
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

export interface VerdictServer {
  url: string;
  port: number;
  proc: Proc;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** `verdict serve` on a database file; port 0 picks a free one (read back from its "listening" log line). */
export async function startVerdict(dbUrl: string, port = 0): Promise<VerdictServer> {
  const proc = run([CLI, "--db", dbUrl, "serve", "--host", "127.0.0.1", "--port", String(port), "--migrate"]);
  let url = "";
  await proc.waitFor(() => {
    url = listeningUrl(proc.stdout()) ?? "";
    return url !== "";
  }, "verdict serve to listen");
  return {
    url,
    port: Number(new URL(url).port),
    proc,
    async stop(signal = "SIGTERM") {
      proc.kill(signal);
      await proc.exited();
    },
  };
}

export function startWorker(
  server: string,
  token: string,
  id: string,
  extra: string[] = [],
  nodeArgs: string[] = [],
): Proc {
  return run([
    ...nodeArgs,
    WORKER,
    "--server",
    server,
    "--token",
    token,
    "--id",
    id,
    "--poll-ms",
    "100",
    "--flush-ms",
    "50",
    "--max-backoff-ms",
    "500",
    ...extra,
  ]);
}

/** The demo IVR (built), on a free port. */
export async function startDemoIvr(extra: string[] = []): Promise<{ url: string; proc: Proc }> {
  const proc = run([DEMO_IVR, "--port", "0", "--quiet", ...extra]);
  let url = "";
  await proc.waitFor(() => {
    url = listeningUrl(proc.stdout()) ?? "";
    return url !== "";
  }, "the demo IVR to listen");
  return { url, proc };
}

export interface Target {
  url: string;
  /** Requests seen, by path. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

/**
 * A tiny shop API to run HTTP scenarios against:
 *   POST /login {user} → {token, user: {name}}      GET /cart (Bearer token) → {items: [...], owner}
 *   GET /slow?ms=N → after N ms {ok: true}          GET /hang → never answers
 */
export async function startTarget(): Promise<Target> {
  const hits = new Map<string, number>();
  const hanging = new Set<ServerResponse>();
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    let body = "";
    req.on("data", (d: Buffer) => {
      body += d.toString("utf8");
    });
    req.on("end", () => {
      if (url.pathname === "/login" && req.method === "POST") {
        const user = (JSON.parse(body || "{}") as { user?: string }).user ?? "anon";
        return json(res, 200, { token: `tok-${user}`, user: { name: user } });
      }
      if (url.pathname === "/cart") {
        const auth = req.headers.authorization ?? "";
        if (!auth.startsWith("Bearer tok-")) return json(res, 401, { error: "no token" });
        return json(res, 200, { owner: auth.slice("Bearer tok-".length), items: ["apple", "pear"] });
      }
      if (url.pathname === "/slow") {
        const ms = Number(url.searchParams.get("ms") ?? "100");
        const t = setTimeout(() => json(res, 200, { ok: true }), ms);
        res.on("close", () => clearTimeout(t));
        return;
      }
      if (url.pathname === "/hang") {
        hanging.add(res);
        res.on("close", () => hanging.delete(res));
        return;
      }
      json(res, 404, { error: "not found" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of hanging) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function until<T>(
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: last value ${JSON.stringify(v)}`);
    await sleep(100);
  }
}
