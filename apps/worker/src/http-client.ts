import http from "node:http";
import https from "node:https";
import { abortable, deadline } from "@verdict/ivr-runner";

/**
 * The worker's HTTP client (the HTTP executor's requests and the transport of its typed API
 * client): node:http(s) with keep-alive agents, so requests reuse open connections instead of going
 * through `fetch` (undici's WHATWG layers: Request/Headers objects, web streams and a signal per
 * request cost about half of a worker's CPU on a fast target). The request and its body are under one deadline from @verdict/ivr-runner (a timer held
 * until cleared, see deadline.ts), raced by `abortable` so a deadline ends the wait whatever the
 * socket does. Redirects are not followed (as `redirect: "manual"`).
 */

export interface HttpReply {
  status: number;
  /** Lower-case names; a header sent several times is joined with ", " (as the Fetch Headers do). */
  headers: Record<string, string>;
  /** The body decoded as UTF-8. */
  text: string;
}

export interface HttpClient {
  request(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<HttpReply>;
  /** Closes the idle connections (the worker is stopping). */
  close(): void;
}

export interface HttpClientOptions {
  /** Most open connections per host:port (default 256, the worker's highest --concurrency). */
  maxSockets?: number;
  /**
   * Whether a request that failed on a kept-alive connection reset before any answer is sent again
   * on a fresh one. Default: idempotent methods only (the reset may come after the server acted).
   */
  resendOnReset?: (method: string) => boolean;
}

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);

export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 256, scheduling: "lifo" as const };
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
  const resend = options.resendOnReset ?? ((method: string) => IDEMPOTENT.has(method.toUpperCase()));

  function once(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: Buffer | undefined,
    signal: AbortSignal,
  ): Promise<HttpReply> {
    return new Promise<HttpReply>((resolve, reject) => {
      const secure = url.protocol === "https:";
      const req = (secure ? https : http).request(url, {
        method,
        headers: body !== undefined ? { ...headers, "content-length": String(body.length) } : headers,
        agent: secure ? agents.https : agents.http,
        signal,
      });
      req.once("error", (e: NodeJS.ErrnoException) => {
        // A kept-alive connection the server closed while it was idle (the usual cause of a reset
        // on a reused socket): sent again on a fresh connection when the method allows it.
        if (req.reusedSocket && e.code === "ECONNRESET" && !signal.aborted && resend(method)) {
          once(method, url, headers, body, signal).then(resolve, reject);
        } else reject(e);
      });
      req.once("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.once("error", reject);
        res.once("end", () => {
          const out: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) {
            if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
          }
          resolve({ status: res.statusCode ?? 0, headers: out, text: Buffer.concat(chunks).toString("utf8") });
        });
      });
      req.end(body);
    });
  }

  return {
    async request(method, url, headers, body, timeoutMs, signal) {
      const d = deadline(timeoutMs, signal);
      try {
        return await abortable(
          once(method, url, headers, body === undefined ? undefined : Buffer.from(body), d.signal),
          d.signal,
        );
      } finally {
        d.clear();
      }
    },
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
