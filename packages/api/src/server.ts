import { randomUUID } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import type { TRPCError } from "@trpc/server";
import { type VerdictDb, verifyToken } from "@verdict/db";
import type { Logger as Pino } from "pino";
import { RequestRefused, refusalError, toTRPCError } from "./errors.js";
import { type HostPolicy, hostPolicy, parseAllowedHost } from "./hosts.js";
import { createLog } from "./log.js";
import { API_VERSION, OPENAPI_PATH, REST_PREFIX, createRestHandler, openApiDocument } from "./openapi/http.js";
import { readInput } from "./request-body.js";
import { appRouter } from "./root.js";
import { health } from "./services/admin.js";
import { type Context, internalErrorMessage } from "./trpc.js";
import { type WebOptions, WebSessions, createWebHandler } from "./web.js";

export interface LogEntry {
  level: "info" | "warn" | "error";
  msg: string;
  [key: string]: unknown;
}
export type Logger = (entry: LogEntry) => void;

/** A Logger writing through pino (the format of log.ts). */
export function pinoLogger(p: Pino): Logger {
  return ({ level, msg, ...fields }) => p[level](fields, msg);
}

let stdoutLog: Logger | undefined;
/** Structured logs on stdout: JSON lines (pretty on a terminal), LOG_LEVEL as the threshold. */
export const jsonLogger: Logger = (entry) => {
  stdoutLog ??= pinoLogger(createLog({ fd: 1 }));
  stdoutLog(entry);
};

export interface ServerOptions {
  db: VerdictDb;
  host?: string;
  port?: number;
  /** Require API tokens. Turning it off is only allowed on a loopback address. */
  auth?: boolean;
  /** Largest accepted request body; larger ones get 413. */
  bodyLimitBytes?: number;
  /**
   * Host names (or host:port) accepted in Host and Origin headers besides the addresses the server
   * listens on; anything else gets 421 (Host) or 403 (Origin).
   */
  allowedHosts?: readonly string[];
  /** How long shutdown waits for in-flight requests before cutting them. */
  shutdownGraceMs?: number;
  log?: Logger;
  /** Serve the dashboard's built assets at / with cookie sessions (see web.ts). */
  web?: WebOptions;
}

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  server: Server;
  /** With the dashboard and auth on: the one-time login link (null once used). */
  loginUrl(): string | null;
  /** Stop accepting, finish in-flight requests, close the database. */
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export class ServerConfigError extends Error {}

/** tRPC's code names of the body refusals, for the REST surface's error shape. */
const REFUSAL_CODES: Record<number, string> = {
  400: "BAD_REQUEST",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
};

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
  for (const a of opts.allowedHosts ?? [])
    if (!parseAllowedHost(a)) throw new ServerConfigError(`--allowed-host: '${a}' is not a host name or host:port`);
  const { db } = opts;
  const sessions = new WebSessions();
  const web = opts.web ? createWebHandler({ ...opts.web, sessions, verify: (token) => verifyToken(db, token) }) : null;

  /** Refusals found before tRPC runs; createContext throws them so the answer has tRPC's error shape. */
  const refusals = new WeakMap<IncomingMessage, TRPCError>();

  const contextOf = async (req: IncomingMessage): Promise<Context> => {
    const refused = refusals.get(req);
    if (refused) throw refused;
    const requestId = String(req.headers["x-request-id"] ?? "");
    const token = bearer(req);
    let caller: Awaited<ReturnType<typeof verifyToken>>;
    try {
      caller = token ? await verifyToken(db, token) : sessions.callerOf(req);
    } catch (e) {
      throw toTRPCError(e, db);
    }
    return {
      db,
      caller,
      authRequired: auth,
      tokenProblem: caller !== null ? null : token === null ? "missing" : "unknown",
      requestId,
    };
  };

  const logError = ({ error, path, req }: { error: TRPCError; path: string | undefined; req: IncomingMessage }) => {
    const requestId = req.headers["x-request-id"];
    if (error.code === "INTERNAL_SERVER_ERROR") {
      // The client got a generic message; the whole error (cause and stack) is logged here.
      const cause = error.cause instanceof Error ? error.cause : error;
      log({
        level: "error",
        msg: "procedure failed",
        request_id: requestId,
        path,
        error: error.message,
        cause: cause.name,
        stack: cause.stack,
      });
    } else if (error.code === "SERVICE_UNAVAILABLE") {
      log({ level: "warn", msg: "storage unavailable", request_id: requestId, path, error: error.message });
    }
  };

  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: "/trpc/",
    maxBodySize: bodyLimit,
    createContext: ({ req }) => contextOf(req),
    onError: logError,
  });
  const restHandler = createRestHandler({ createContext: contextOf, onError: logError, maxBodySize: bodyLimit });

  let inFlight = 0;
  let closing = false;
  /** Open server-sent event streams (subscriptions): they never finish on their own, so close ends them. */
  const streams = new Set<ServerResponse>();
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
    const isTrpc = url.startsWith("/trpc/");
    if (isTrpc && String(req.headers.accept ?? "").includes("text/event-stream")) {
      streams.add(res);
      res.on("close", () => streams.delete(res));
    }
    const refuse = (refusal: RequestRefused) => {
      if (isTrpc) {
        refusals.set(req, refusalError(refusal));
        if (refusal.status === 413) res.setHeader("connection", "close");
        trpc(req, res);
        return;
      }
      res.writeHead(refusal.status, { "content-type": "application/json", connection: "close" });
      res.end(JSON.stringify({ error: refusal.message }));
      req.resume();
    };
    const policy = hosts;
    if (!policy) {
      res.writeHead(503, { "content-type": "application/json", connection: "close" });
      res.end(JSON.stringify({ error: "server is starting" }));
      return;
    }
    const badHost = policy.checkHost(req.headers.host);
    if (badHost) return refuse(new RequestRefused(421, "host", badHost));
    const origin = req.headers.origin;
    const badOrigin = policy.checkOrigin(typeof origin === "string" ? origin : undefined);
    if (badOrigin) return refuse(new RequestRefused(403, "origin", badOrigin));
    if (url === "/health" || url.startsWith("/health?")) {
      health({ db })
        .then((body) => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify(body));
        })
        .catch((e: unknown) => {
          const mapped = toTRPCError(e);
          const message = mapped.code === "INTERNAL_SERVER_ERROR" ? "health check failed" : mapped.message;
          if (mapped.code === "INTERNAL_SERVER_ERROR")
            log({ level: "error", msg: "health failed", request_id: requestId, error: mapped.message });
          res.writeHead(503, { "content-type": "application/json" });
          res.end(JSON.stringify({ ok: false, error: message, request_id: requestId }));
        });
      return;
    }
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > bodyLimit)
      return refuse(
        new RequestRefused(413, "body", `body: request body of ${declared} bytes exceeds the limit of ${bodyLimit}`),
      );
    const path = url.split("?")[0] ?? "";
    if (path === OPENAPI_PATH) {
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { "content-type": "application/json", allow: "GET, HEAD" });
        res.end(JSON.stringify({ error: `${req.method} is not allowed on ${OPENAPI_PATH}` }));
        req.resume();
        return;
      }
      const doc = openApiDocument(`http://${req.headers.host ?? "127.0.0.1"}`, API_VERSION);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(req.method === "HEAD" ? undefined : JSON.stringify(doc));
      return;
    }
    if (path === REST_PREFIX || path.startsWith(`${REST_PREFIX}/`)) {
      const restFailed = (e: unknown) => {
        log({
          level: "error",
          msg: "REST request failed",
          request_id: requestId,
          error: e instanceof Error ? e.message : String(e),
        });
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ message: internalErrorMessage(requestId), code: "INTERNAL_SERVER_ERROR" }));
      };
      // The same body checks as /trpc (content type, size, depth, malformed JSON) answer 415/413/400.
      readInput(req, bodyLimit).then((refusal) => {
        if (!refusal) return restHandler(req, res).catch(restFailed);
        const code = REFUSAL_CODES[refusal.status] ?? "BAD_REQUEST";
        if (refusal.status === 413) res.setHeader("connection", "close");
        res.writeHead(refusal.status, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            message: refusal.message,
            code,
            data: { code, httpStatus: refusal.status, field: refusal.field },
          }),
        );
      }, restFailed);
      return;
    }
    if (!isTrpc && web) {
      web(req, res).catch((e: unknown) => {
        log({ level: "error", msg: "dashboard request failed", error: e instanceof Error ? e.message : String(e) });
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end();
      });
      return;
    }
    if (!isTrpc) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "not found" }));
      req.resume();
      return;
    }
    readInput(req, bodyLimit).then(
      (refusal) => (refusal ? refuse(refusal) : trpc(req, res)),
      () => res.destroy(),
    );
  };

  let hosts: HostPolicy | null = null;
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
  hosts = hostPolicy(host, address.port, opts.allowedHosts ?? []);
  log({ level: "info", msg: "listening", url, auth });

  let closed: Promise<void> | null = null;
  const close = () => {
    closed ??= (async () => {
      closing = true;
      // Stop accepting; keep-alive sockets that are idle go now, busy ones after their response.
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      for (const stream of streams) stream.destroy();
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
  const loginUrl = () => (web && auth && sessions.code ? `${url}/login?code=${sessions.code}` : null);
  return { url, host, port: address.port, server, loginUrl, close };
}
