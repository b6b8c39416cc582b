import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT, ensureCliBuilt, spawnListening, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The one log format of `verdict serve` and the worker (@verdict/api/log, pino): JSON lines with the
 * level by name and an ISO-8601 time when not on a terminal, LOG_LEVEL as the threshold.
 */
const LOG_JS = join(REPO_ROOT, "packages", "api", "dist", "log.js");
const dir = tempDir("verdict-log-");
let cli = "";
beforeAll(async () => {
  cli = ensureCliBuilt(); // builds @verdict/api (and its dist/log.js) too
}, 120_000);
afterAll(() => dir.cleanup());

/** Lines a child process logs through createLog on stdout, one debug/info/warn record each. */
function logged(env: Record<string, string>, opts = "{ fd: 1 }"): string[] {
  const program = `import { createLog } from ${JSON.stringify(LOG_JS)};
const log = createLog(${opts});
log.debug({ n: 1 }, "a debug line"); log.info({ n: 2 }, "an info line"); log.warn({ n: 3 }, "a warning");`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", program], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", ...env },
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split("\n").filter((l) => l !== "");
}

describe("createLog", () => {
  it("writes JSON lines: level name, ISO time, the fields, msg; info and up by default", () => {
    const lines = logged({});
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0] ?? "") as Record<string, unknown>;
    expect(first).toEqual({ level: "info", time: expect.any(String), n: 2, msg: "an info line" });
    expect(new Date(String(first.time)).toISOString()).toBe(first.time);
    expect((JSON.parse(lines[1] ?? "") as { level: string }).level).toBe("warn");
  });

  it("LOG_LEVEL sets the threshold; an unknown value keeps the default", () => {
    expect(logged({ LOG_LEVEL: "debug" }).map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual([
      "a debug line",
      "an info line",
      "a warning",
    ]);
    expect(logged({ LOG_LEVEL: "warn" })).toHaveLength(1);
    expect(logged({ LOG_LEVEL: "silent" })).toHaveLength(0);
    expect(logged({ LOG_LEVEL: "loud" })).toHaveLength(2);
    // The worker's --debug lowers the default to debug; LOG_LEVEL still wins.
    expect(logged({}, "{ fd: 1, debug: true }")).toHaveLength(3);
    expect(logged({ LOG_LEVEL: "error" }, "{ fd: 1, debug: true }")).toHaveLength(0);
  });
});

describe("verdict serve", () => {
  it("logs listening and request lines in that format, with the request id", async () => {
    const db = `file:${dir.file("serve.db")}`;
    expect(spawnSync(process.execPath, [cli, "--db", db, "init"]).status).toBe(0);
    const server = await spawnListening([cli, "--db", db, "serve", "--port", "0", "--no-web", "--no-auth"], {
      name: "verdict serve",
      stderr: "pipe",
    });
    try {
      const listening = JSON.parse(server.lines.find((l) => l.includes('"listening"')) ?? "") as Record<
        string,
        unknown
      >;
      expect(listening).toMatchObject({ level: "info", msg: "listening", url: server.url, auth: false });
      const res = await fetch(`${server.url}/trpc/no.such.procedure`, { headers: { "x-request-id": "req-log-1" } });
      expect(res.status).toBe(404);
      const deadline = Date.now() + 10_000;
      while (!server.lines.some((l) => l.includes("req-log-1")) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      const entry = JSON.parse(server.lines.find((l) => l.includes("req-log-1")) ?? "{}") as Record<string, unknown>;
      expect(entry).toMatchObject({ level: expect.any(String), request_id: "req-log-1", time: expect.any(String) });
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
    }
  }, 60_000);
});
