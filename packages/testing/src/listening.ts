import { type ChildProcess, spawn } from "node:child_process";
import { REPO_ROOT } from "./sqld.js";

export interface ListeningProcess {
  child: ChildProcess;
  /** The URL from the process's `{"msg":"listening","url":…}` log line. */
  url: string;
  /** Every stdout line seen so far (later lines keep arriving). */
  lines: string[];
  /** Settles with the exit code; created at spawn, so an early exit is never missed. */
  exited: Promise<number | null>;
}

/**
 * Starts `node ARGS` (our servers: `verdict serve`, the demo IVR) and resolves once it logs its
 * JSON `listening` line on stdout; rejects if it exits first or stays silent past the timeout.
 */
export function spawnListening(
  args: string[],
  opts: { name?: string; stderr?: "inherit" | "pipe" | "ignore"; timeoutMs?: number } = {},
): Promise<ListeningProcess> {
  const name = opts.name ?? args.join(" ");
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", opts.stderr ?? "inherit"] });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start within ${opts.timeoutMs ?? 20_000} ms:\n${lines.join("\n")}`)),
      opts.timeoutMs ?? 20_000,
    );
    let buffer = "";
    child.stdout?.on("data", (d: Buffer) => {
      buffer += d.toString("utf8");
      for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        lines.push(line);
        let entry: { msg?: unknown; url?: unknown } = {};
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          continue; // not a log line
        }
        if (entry.msg === "listening" && typeof entry.url === "string") {
          clearTimeout(timer);
          resolve({ child, url: entry.url, lines, exited });
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening:\n${lines.join("\n")}`));
    });
  });
}

/** The URL of the first `{"msg":"listening","url":…}` JSON log line in `text`, if any. */
export function listeningUrl(text: string): string | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const entry = JSON.parse(line) as { msg?: unknown; url?: unknown };
      if (entry.msg === "listening" && typeof entry.url === "string") return entry.url;
    } catch {
      // a partial line: not yet a log line
    }
  }
  return undefined;
}
