import { randomBytes, timingSafeEqual } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import type { Caller } from "./trpc.js";

/**
 * The dashboard's half of `verdict serve`: its built assets at / (same origin as /trpc, so no CORS),
 * and the login that turns an API token or the one-time link printed at start into a session cookie
 * (HttpOnly, SameSite=Strict). Sessions live in memory: a restart signs everybody out.
 */
export interface WebOptions {
  /** Folder of the built dashboard (index.html + assets/). */
  dir: string;
}

const COOKIE = "verdict_session";
const SESSION_MS = 12 * 60 * 60 * 1000;

export class WebSessions {
  private readonly sessions = new Map<string, { caller: Caller; expires: number }>();
  private loginCode: string | null = randomBytes(24).toString("base64url");

  /** The one-time code of the login link; null once it was used. */
  get code(): string | null {
    return this.loginCode;
  }

  /** Takes the one-time code: true once for the right code, false ever after. */
  redeem(code: string): boolean {
    const want = this.loginCode;
    if (want === null) return false;
    const a = Buffer.from(code);
    const b = Buffer.from(want);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return false;
    this.loginCode = null;
    return true;
  }

  create(caller: Caller): string {
    const id = randomBytes(32).toString("base64url");
    this.sessions.set(id, { caller, expires: Date.now() + SESSION_MS });
    return id;
  }

  /** The caller of the request's session cookie, if it holds a live session. */
  callerOf(req: IncomingMessage): Caller | null {
    const id = cookie(req, COOKIE);
    if (!id) return null;
    const s = this.sessions.get(id);
    if (!s) return null;
    if (s.expires < Date.now()) {
      this.sessions.delete(id);
      return null;
    }
    return s.caller;
  }

  end(req: IncomingMessage): void {
    const id = cookie(req, COOKIE);
    if (id) this.sessions.delete(id);
  }
}

function cookie(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return v.join("=") || null;
  }
  return null;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * The dashboard's content security policy. The Vite build loads everything from /assets (module
 * scripts and stylesheets, no inline script or style element; uPlot and React set styles through the
 * CSSOM, which style-src does not restrict); the API and its server-sent events are the same origin.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'none'",
  "object-src 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

const SECURITY_HEADERS = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  // "no-referrer" would make the browser send `Origin: null` on the sign-in form, which the Origin check refuses.
  "referrer-policy": "same-origin",
};

function redirect(res: ServerResponse, to: string, headers: Record<string, string> = {}): void {
  res.writeHead(303, { location: to, "cache-control": "no-store", ...headers });
  res.end();
}

function readForm(req: IncomingMessage, limit: number): Promise<URLSearchParams | null> {
  return new Promise((resolve) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        resolve(null);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(new URLSearchParams(Buffer.concat(chunks).toString("utf8"))));
    req.on("error", () => resolve(null));
  });
}

export interface WebHandlerOptions extends WebOptions {
  sessions: WebSessions;
  /** Checks an API token; null when it is unknown or revoked. */
  verify: (token: string) => Promise<Caller | null>;
}

/**
 * Answers the dashboard's requests (everything but /trpc and /health). Returns false for requests
 * it does not own.
 */
export function createWebHandler(opts: WebHandlerOptions) {
  const root = normalize(opts.dir);
  const sessionCookie = (id: string) =>
    `${COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_MS / 1000}`;

  const serveFile = (res: ServerResponse, path: string, method: string): boolean => {
    let size: number;
    try {
      const st = statSync(path);
      if (!st.isFile()) return false;
      size = st.size;
    } catch {
      return false;
    }
    const immutable = path.includes(`${sep}assets${sep}`);
    res.writeHead(200, {
      "content-type": TYPES[extname(path)] ?? "application/octet-stream",
      "content-length": size,
      "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
      ...SECURITY_HEADERS,
    });
    if (method === "HEAD") res.end();
    else createReadStream(path).pipe(res);
    return true;
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://verdict.invalid");
    if (url.pathname === "/login") {
      if (method === "GET") {
        const code = url.searchParams.get("code");
        if (code && opts.sessions.redeem(code)) {
          const id = opts.sessions.create({ name: "login-link", scope: "admin" });
          return redirect(res, "/", { "set-cookie": sessionCookie(id) });
        }
        return redirect(res, "/signin?failed=1");
      }
      if (method === "POST") {
        const form = await readForm(req, 4096);
        const token = form?.get("token")?.trim() ?? "";
        const caller = token === "" ? null : await opts.verify(token);
        if (!caller) return redirect(res, "/signin?failed=1");
        return redirect(res, "/", { "set-cookie": sessionCookie(opts.sessions.create(caller)) });
      }
      res.writeHead(405, { allow: "GET, POST", "content-type": "application/json" });
      res.end(JSON.stringify({ error: "method not allowed" }));
      return;
    }
    if (url.pathname === "/logout" && method === "POST") {
      opts.sessions.end(req);
      return redirect(res, "/signin", { "set-cookie": `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0` });
    }
    if (method !== "GET" && method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "application/json" });
      res.end(JSON.stringify({ error: "method not allowed" }));
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "malformed path" }));
      return;
    }
    const file = normalize(join(root, pathname));
    if ((file === root || file.startsWith(root + sep)) && pathname !== "/" && serveFile(res, file, method)) return;
    // Client-side routes (/runs/…, /ivr/…) all load the app; a missing asset is a real 404.
    if (pathname.startsWith("/assets/")) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "not found" }));
      return;
    }
    if (!serveFile(res, join(root, "index.html"), method)) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "the dashboard is not built (pnpm --filter @verdict/web build)" }));
    }
  };
}
