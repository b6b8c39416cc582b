import { randomUUID } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { type VerdictDb, verifyToken } from "@verdict/db";
import { toTRPCError } from "./errors.js";
import { appRouter } from "./root.js";
import { health } from "./services/admin.js";
import type { Context } from "./trpc.js";

export interface LogEntry {
  level: "info" | "warn" | "error";
  msg: string;
  [key: string]: unknown;
}
export type Logger = (entry: LogEntry) => void;

/** Structured logs: one JSON object per line on stdout. */
export const jsonLogger: Logger = (entry) => {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
};

export interface ServerOptions {
  db: VerdictDb;
  host?: string;
  port?: number;
  /** Require API tokens. Turning it off is only allowed on a loopback address. */
  auth?: boolean;
  /** Largest accepted request body; larger ones get 413. */
  bodyLimitBytes?: number;
  /** How long shutdown waits for in-flight requests before cutting them. */
  shutdownGraceMs?: number;
  log?: Logger;
}

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  server: Server;
  /** Stop accepting, finish in-flight requests, close the database. */
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export class ServerConfigError extends Error {}

function bearer(req: IncomingMessage): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m?.[1] ?? null;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const host = opts.host ?? "127.0.0.1";
  const auth = opts.auth ?? true;
  const log = opts.log ?? jsonLogger;
  const bodyLimit = opts.bodyLimitBytes ?? 8 * 1024 * 1024;
  if (!auth && !isLoopback(host)) {
    throw new ServerConfigError(`--no-auth is only allowed on a loopback address, not ${host}`);
  }
  const { db } = opts;

  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: "/trpc/",
    maxBodySize: bodyLimit,
    createContext: async ({ req }): Promise<Context> => {
      const requestId = String(req.headers["x-request-id"] ?? "");
      const token = bearer(req);
      // A storage fault while checking the token answers like one in a procedure (503 naming it).
      const caller = token
        ? await verifyToken(db, token).catch((e: unknown) => Promise.reject(toTRPCError(e, db)))
        : null;
      return {
        db,
        caller,
        authRequired: auth,
        tokenProblem: token === null ? "missing" : caller === null ? "unknown" : null,
        requestId,
      };
    },
    onError: ({ error, path }) => {
      if (error.code === "INTERNAL_SERVER_ERROR")
        log({ level: "error", msg: "procedure failed", path, error: error.message });
    },
  });

  let inFlight = 0;
  let closing = false;
  let drained: (() => void) | null = null;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const requestId = typeof req.headers["x-request-id"] === "string" ? req.headers["x-request-id"] : randomUUID();
    req.headers["x-request-id"] = requestId;
    res.setHeader("x-request-id", requestId);
    inFlight++;
    res.on("close", () => {
      inFlight--;
      log({
        level: res.statusCode >= 500 ? "error" : "info",
        msg: "request",
        request_id: requestId,
        method: req.method,
        path: (req.url ?? "").split("?")[0],
        status: res.statusCode,
        duration_ms: Math.round((performance.now() - started) * 100) / 100,
      });
      if (closing && inFlight === 0) drained?.();
    });
    if (closing) {
      res.writeHead(503, { "content-type": "application/json", connection: "close" });
      res.end(JSON.stringify({ error: "server is shutting down" }));
      return;
    }
    const url = req.url ?? "/";
    if (url === "/health" || url.startsWith("/health?")) {
      health({ db })
        .then((body) => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify(body));
        })
        .catch((e: unknown) => {
          res.writeHead(503, { "content-type": "application/json" });
          res.end(JSON.stringify({ ok: false, error: e instanceof Error ? e.message : String(e) }));
        });
      return;
    }
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > bodyLimit) {
      res.writeHead(413, { "content-type": "application/json", connection: "close" });
      res.end(JSON.stringify({ error: `request body of ${declared} bytes exceeds the limit of ${bodyLimit}` }));
      req.resume();
      return;
    }
    if (!url.startsWith("/trpc/")) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "not found" }));
      return;
    }
    trpc(req, res);
  };

  const server = createHttpServer(handle);
  // Clients (undici's fetch among them) pool connections; a long idle timeout keeps a pooled socket
  // from being closed by us just as a client reuses it, which surfaces as "other side closed".
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 4000, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${urlHost}:${address.port}`;
  log({ level: "info", msg: "listening", url, auth });

  let closed: Promise<void> | null = null;
  const close = () => {
    closed ??= (async () => {
      closing = true;
      // Stop accepting; keep-alive sockets that are idle go now, busy ones after their response.
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => {
            drained = resolve;
          }),
          new Promise<void>((resolve) => setTimeout(resolve, opts.shutdownGraceMs ?? 30_000).unref()),
        ]);
      }
      server.closeAllConnections();
      await stopped;
      db.close();
      log({ level: "info", msg: "stopped" });
    })();
    return closed;
  };
  return { url, host, port: address.port, server, close };
}
