/**
 * The HTTP executor's keep-alive client against real node:http servers on 127.0.0.1: requests reuse
 * one connection, a kept-alive connection the server dropped while idle is replaced without failing
 * the request, a deadline ends a request that gets no answer, and a caller's abort ends it with
 * the caller's reason.
 */
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createHttpClient } from "../src/http-client.js";

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; sockets: Socket[] }> {
  const srv = createServer(handler);
  const sockets: Socket[] = [];
  srv.on("connection", (s: Socket) => sockets.push(s));
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, sockets };
}

const never = new AbortController().signal;

describe("keep-alive HTTP client", () => {
  it("sends method, headers and body, reads status, headers and body, over one reused connection", async () => {
    const t = await serve((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => {
        body += d.toString();
      });
      req.on("end", () => {
        res.writeHead(201, { "content-type": "application/json", "x-seen": String(req.headers["x-test"]) });
        res.end(JSON.stringify({ method: req.method, body, length: req.headers["content-length"] ?? null }));
      });
    });
    const client = createHttpClient();
    try {
      for (let i = 0; i < 5; i++) {
        const r = await client.request("POST", new URL(`${t.url}/x`), { "x-test": `v${i}` }, "héllo", 2000, never);
        expect(r.status).toBe(201);
        expect(r.headers["x-seen"]).toBe(`v${i}`);
        expect(JSON.parse(r.text)).toEqual({ method: "POST", body: "héllo", length: "6" });
      }
      expect(t.sockets).toHaveLength(1);
    } finally {
      client.close();
    }
  });

  it("replaces a kept-alive connection the server closed while it was idle", async () => {
    const t = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
    });
    const client = createHttpClient();
    try {
      expect((await client.request("GET", new URL(t.url), {}, undefined, 2000, never)).text).toBe("ok");
      // The server drops the idle connection without the client having noticed yet.
      for (const s of t.sockets) s.destroy();
      const again = await client.request("GET", new URL(t.url), {}, undefined, 2000, never);
      expect(again).toMatchObject({ status: 200, text: "ok" });
      expect(t.sockets.length).toBeGreaterThanOrEqual(2);
    } finally {
      client.close();
    }
  });

  it("ends a request without an answer at its deadline (TimeoutError), and at the caller's abort with its reason", async () => {
    const t = await serve(() => {
      // never answers
    });
    const client = createHttpClient();
    try {
      const late = client.request("GET", new URL(t.url), {}, undefined, 100, never);
      await expect(late).rejects.toMatchObject({ name: "TimeoutError" });
      const ac = new AbortController();
      const aborted = client.request("GET", new URL(t.url), {}, undefined, 10_000, ac.signal);
      ac.abort(new Error("shutdown"));
      await expect(aborted).rejects.toThrow("shutdown");
    } finally {
      client.close();
    }
  });
});
