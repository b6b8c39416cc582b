/**
 * Issue 9, defect 10: the server answers only requests addressed to it. A web page that rebinds its
 * DNS name to 127.0.0.1 sends `Host: its-name:PORT`; a cross-site page sends `Origin: its-site`.
 * Both are refused (421 / 403) before any procedure runs, with auth on or off, so `--no-auth` on
 * loopback cannot be used to mint an admin token. `--allowed-host` adds names (a reverse proxy's).
 * Real servers on 127.0.0.1 and a libSQL file; node:http so the Host header can be set.
 */
import { request } from "node:http";
import { type RunningServer, ServerConfigError, startServer } from "@verdict/api";
import { type VerdictDb, createToken, listTokens, openDatabase } from "@verdict/db";
import { ensureCliBuilt, runCli, spawnListening, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const dir = tempDir("verdict-host-");
let db: VerdictDb;
let open: RunningServer; // --no-auth
let authed: RunningServer;
let adminToken = "";

beforeAll(async () => {
  db = await openDatabase({ url: `file:${dir.file("h.db")}`, migrate: true });
  adminToken = (await createToken(db, "owner", "admin")).token;
  open = await startServer({
    db,
    port: 0,
    auth: false,
    log: () => undefined,
    allowedHosts: ["verdict.internal", "proxy.example:8443"],
  });
  const db2 = await openDatabase({ url: `file:${dir.file("h.db")}` });
  authed = await startServer({ db: db2, port: 0, log: () => undefined });
});
afterAll(async () => {
  await open.close();
  await authed.close();
  dir.cleanup();
});

interface Res {
  status: number;
  body: string;
}

function send(server: { port: number }, path: string, headers: Record<string, string>, body?: string): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: server.port,
        path,
        method: body === undefined ? "GET" : "POST",
        headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          text += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const mint = (name: string) => JSON.stringify({ json: { name, scope: "admin" } });

async function tokenNames(): Promise<string[]> {
  return (await listTokens(db)).map((t) => t.name);
}

describe("Host header", () => {
  it("a DNS-rebinding request to a --no-auth server cannot create a token (421)", async () => {
    const res = await send(open, "/trpc/admin.tokens.create", { host: `attacker.example:${open.port}` }, mint("evil"));
    expect(res.status).toBe(421);
    expect(res.body).toMatch(/attacker\.example/);
    expect(await tokenNames()).not.toContain("evil");
    expect((await send(open, "/health", { host: `attacker.example:${open.port}` })).status).toBe(421);
  });

  it("the loopback names on the server's port are accepted; another port is not", async () => {
    for (const host of [
      `127.0.0.1:${open.port}`,
      `localhost:${open.port}`,
      `LOCALHOST:${open.port}`,
      `[::1]:${open.port}`,
    ]) {
      expect((await send(open, "/health", { host })).status, host).toBe(200);
    }
    expect((await send(open, "/health", { host: `127.0.0.1:${open.port + 1}` })).status).toBe(421);
    expect((await send(open, "/health", { host: "127.0.0.1" })).status).toBe(421);
    const created = await send(
      open,
      "/trpc/admin.tokens.create",
      { host: `localhost:${open.port}` },
      mint("via-localhost"),
    );
    expect(created.status).toBe(200);
    expect(await tokenNames()).toContain("via-localhost");
  });

  it("--allowed-host names are accepted (without a port: any port; with one: only that port)", async () => {
    expect((await send(open, "/health", { host: `verdict.internal:${open.port}` })).status).toBe(200);
    expect((await send(open, "/health", { host: "verdict.internal" })).status).toBe(200);
    expect((await send(open, "/health", { host: "proxy.example:8443" })).status).toBe(200);
    expect((await send(open, "/health", { host: "proxy.example:8444" })).status).toBe(421);
    expect((await send(open, "/health", { host: "sub.verdict.internal" })).status).toBe(421);
  });

  it("with auth on, a wrong Host is refused even with a valid admin token", async () => {
    const res = await send(
      authed,
      "/trpc/admin.tokens.create",
      { host: `attacker.example:${authed.port}`, authorization: `Bearer ${adminToken}` },
      mint("evil-authed"),
    );
    expect(res.status).toBe(421);
    expect(await tokenNames()).not.toContain("evil-authed");
  });
});

describe("Origin header", () => {
  it("a cross-site Origin is 403 and creates nothing", async () => {
    for (const origin of [
      "http://attacker.example",
      `http://attacker.example:${open.port}`,
      "null",
      "file://",
      `https://127.0.0.1:${open.port + 1}`,
    ]) {
      const res = await send(
        open,
        "/trpc/admin.tokens.create",
        { host: `127.0.0.1:${open.port}`, origin },
        mint("cross-site"),
      );
      expect(res.status, origin).toBe(403);
    }
    expect(await tokenNames()).not.toContain("cross-site");
  });

  it("the server's own origins and allowed hosts are accepted", async () => {
    for (const origin of [
      `http://127.0.0.1:${open.port}`,
      `http://localhost:${open.port}`,
      "https://verdict.internal",
    ]) {
      const res = await send(open, "/health", { host: `127.0.0.1:${open.port}`, origin });
      expect(res.status, origin).toBe(200);
    }
  });

  it("with auth on, a cross-site Origin is refused even with a valid admin token", async () => {
    const res = await send(
      authed,
      "/trpc/admin.tokens.create",
      { host: `127.0.0.1:${authed.port}`, origin: "http://attacker.example", authorization: `Bearer ${adminToken}` },
      mint("cross-authed"),
    );
    expect(res.status).toBe(403);
    expect(await tokenNames()).not.toContain("cross-authed");
  });
});

describe("configuration", () => {
  it("an --allowed-host that is not a host name is a configuration error", async () => {
    await expect(
      startServer({ db, port: 0, log: () => undefined, allowedHosts: ["http://x/y"] }),
    ).rejects.toBeInstanceOf(ServerConfigError);
  });

  it("verdict serve --allowed-host: the built CLI accepts the name and refuses others", async () => {
    const cli = ensureCliBuilt();
    const url = `file:${dir.file("cli.db")}`;
    expect((await runCli(["--db", url, "init"])).status).toBe(0);
    const bad = await runCli(["--db", url, "serve", "--port", "0", "--allowed-host", "a b"]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--allowed-host: 'a b'/);
    const proc = await spawnListening(
      [cli, "--db", url, "serve", "--port", "0", "--no-auth", "--allowed-host", "verdict.test"],
      { name: "verdict serve", stderr: "ignore" },
    );
    try {
      const port = Number(new URL(proc.url).port);
      expect((await send({ port }, "/health", { host: `verdict.test:${port}` })).status).toBe(200);
      expect((await send({ port }, "/health", { host: `rebound.example:${port}` })).status).toBe(421);
    } finally {
      proc.child.kill("SIGTERM");
      await proc.exited;
    }
  }, 60_000);
});
