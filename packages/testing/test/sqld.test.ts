import { spawnSync } from "node:child_process";
import { verify } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  REPO_ROOT,
  findSqldBinary,
  freePort,
  makeEd25519Keys,
  runningSqldPids,
  signJwt,
  sqldForTests,
  sqldVersion,
  startSqld,
  tempDir,
} from "../src/index.js";

/** Whether a process runs (a zombie left for init to reap does not count). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

async function gone(pid: number, withinMs = 3000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

describe("freePort / tempDir / JWT", () => {
  it("freePort returns a port that can be bound right away", async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
    await new Promise((r) => server.close(r));
  });

  it("tempDir creates an empty folder and cleanup removes it", () => {
    const dir = tempDir();
    writeFileSync(dir.file("x.txt"), "x");
    expect(existsSync(join(dir.path, "x.txt"))).toBe(true);
    dir.cleanup();
    expect(existsSync(dir.path)).toBe(false);
    dir.cleanup();
  });

  it("signJwt makes an EdDSA JWS that the public key verifies and no other key does", () => {
    const keys = makeEd25519Keys();
    const token = signJwt(keys.privateKey, { a: "rw", exp: 2_000_000_000 });
    const [h, p, s] = token.split(".");
    expect(JSON.parse(Buffer.from(h ?? "", "base64url").toString())).toEqual({ alg: "EdDSA", typ: "JWT" });
    expect(JSON.parse(Buffer.from(p ?? "", "base64url").toString())).toEqual({ a: "rw", exp: 2_000_000_000 });
    const sig = Buffer.from(s ?? "", "base64url");
    expect(verify(null, Buffer.from(`${h}.${p}`), keys.publicKey, sig)).toBe(true);
    expect(verify(null, Buffer.from(`${h}.${p}`), makeEd25519Keys().publicKey, sig)).toBe(false);
    expect(keys.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(Buffer.from(keys.publicKeyBase64Url, "base64url")).toHaveLength(32);
  });

  it("findSqldBinary explains what to do when VERDICT_SQLD_BIN points nowhere", () => {
    const r = findSqldBinary({ VERDICT_SQLD_BIN: "/nonexistent/sqld" });
    expect(r).toEqual({ available: false, reason: "VERDICT_SQLD_BIN=/nonexistent/sqld is not an executable file" });
  });
});

const sqld = sqldForTests("startSqld tests");

describe.skipIf(!sqld.available)("startSqld against the real binary", () => {
  it("is the pinned sqld 0.24.32", () => {
    if (!sqld.available) return;
    expect(sqldVersion(sqld.path)).toContain("0.24.32");
  });

  it("starts on a free port with a fresh database, answers SQL over HTTP, and stop() ends the process", async () => {
    const server = await startSqld();
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      expect(server.wsUrl).toBe(`ws://127.0.0.1:${server.port}`);
      expect(alive(server.pid)).toBe(true);
      expect(runningSqldPids()).toContain(server.pid);
      const res = await fetch(`${server.url}/v2/pipeline`, {
        method: "POST",
        body: JSON.stringify({
          requests: [{ type: "execute", stmt: { sql: "SELECT 40 + 2 AS n" } }, { type: "close" }],
        }),
      });
      const body = (await res.json()) as { results: { response: { result: { rows: { value: string }[][] } } }[] };
      expect(body.results[0]?.response.result.rows[0]?.[0]?.value).toBe("42");
    } finally {
      await server.stop();
    }
    expect(alive(server.pid)).toBe(false);
    expect(runningSqldPids()).not.toContain(server.pid);
    expect(existsSync(server.dbPath)).toBe(false);
  });

  it("keeps a caller-given database between restarts", async () => {
    const dir = tempDir();
    const dbPath = dir.file("kept.sqld");
    const exec = async (url: string, sql: string) => {
      const res = await fetch(`${url}/v2/pipeline`, {
        method: "POST",
        body: JSON.stringify({ requests: [{ type: "execute", stmt: { sql } }, { type: "close" }] }),
      });
      return (await res.json()) as { results: { response: { result: { rows: { value: string }[][] } } }[] };
    };
    const first = await startSqld({ dbPath });
    await exec(first.url, "CREATE TABLE t (x)");
    await exec(first.url, "INSERT INTO t VALUES (7)");
    await first.stop();
    const second = await startSqld({ dbPath });
    try {
      const body = await exec(second.url, "SELECT x FROM t");
      expect(body.results[0]?.response.result.rows[0]?.[0]?.value).toBe("7");
    } finally {
      await second.stop();
      dir.cleanup();
    }
  });

  it("reports sqld's own output when it cannot start", async () => {
    await expect(startSqld({ extraArgs: ["--no-such-flag"] })).rejects.toThrow(
      /sqld exited during startup[\s\S]*--no-such-flag/,
    );
  });

  it("kills servers that were never stopped when the test process exits", async () => {
    const script = `
      import { startSqld } from "./packages/testing/src/index.ts";
      const s = await startSqld();
      console.log(JSON.stringify({ pid: s.pid }));
      process.exit(0);
    `;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const { pid } = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as { pid: number };
    expect(pid).toBeGreaterThan(0);
    expect(await gone(pid)).toBe(true);
  });
});
