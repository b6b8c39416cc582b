import { setTimeout as sleep } from "node:timers/promises";
import { TRPCClientError } from "@trpc/client";
import { type VerdictClient, createVerdictClient } from "@verdict/api/client";
import type { WorkerConfig } from "./config.js";
import { createHttpClient } from "./http-client.js";
import { type Logger, errorMessage } from "./log.js";

/**
 * The worker's only way to Verdict: the typed tRPC client over HTTP (never the database), with
 * every call retried on network failures and server errors, with exponential, jittered and capped
 * backoff, until it succeeds, the server answers with a refusal, or the caller gives up (signal).
 */

/** The server answered and refused (CONFLICT, NOT_FOUND, BAD_REQUEST…): retrying cannot help. */
export class RejectedError extends Error {
  override name = "RejectedError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The token was refused: the worker cannot do anything and stops. */
export class AuthError extends Error {
  override name = "AuthError";
}

type Verdict = "retry" | "reject" | "auth";

/** Server-side failures worth retrying a bounded number of times (a bug would otherwise loop forever). */
const MAX_SERVER_ERROR_RETRIES = 8;

export function classify(e: unknown): { verdict: Verdict; code: string } {
  if (!(e instanceof TRPCClientError)) return { verdict: "retry", code: "UNREACHABLE" };
  const code = (e.data as { code?: unknown } | undefined)?.code;
  // No tRPC error shape: the request never got an answer (refused, reset, timed out) or the answer
  // was not from a router (503 while the server shuts down).
  if (typeof code !== "string") return { verdict: "retry", code: "UNREACHABLE" };
  switch (code) {
    case "UNAUTHORIZED":
    case "FORBIDDEN":
      return { verdict: "auth", code };
    case "INTERNAL_SERVER_ERROR":
    case "SERVICE_UNAVAILABLE":
    case "TIMEOUT":
    case "TOO_MANY_REQUESTS":
    case "PRECONDITION_FAILED":
    case "CLIENT_CLOSED_REQUEST":
    case "BAD_GATEWAY":
    case "GATEWAY_TIMEOUT":
      return { verdict: "retry", code };
    default:
      return { verdict: "reject", code };
  }
}

/** Delay before retry number `attempt` (0-based): min(cap, 100 ms · 2^attempt), jittered into its upper half. */
export function backoffMs(attempt: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, 100 * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export interface CallOptions {
  /** Stop retrying (and reject with the signal's reason) once this aborts. */
  signal?: AbortSignal;
  /** Give up after this many attempts (default: keep going while the server is unreachable). */
  maxAttempts?: number;
}

export interface Rpc {
  api: VerdictClient;
  /** Closes the kept-alive connections to the server. */
  close(): void;
  call<T>(what: string, fn: (api: VerdictClient) => Promise<T>, opts?: CallOptions): Promise<T>;
}

export function createRpc(cfg: WorkerConfig, log: Logger): Rpc {
  // The typed client's calls on kept-alive connections, each exchange (headers and body) under one
  // deadline that fires even under GC pressure (the client's deadline helper).
  // The queue's calls are idempotent (leases, report keys), and call() retries them anyway.
  const http = createHttpClient({ maxSockets: 16, resendOnReset: () => true });
  const timedFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => {
      headers[k] = v;
    });
    const body = init?.body === undefined || init.body === null ? undefined : String(init.body);
    const method = init?.method ?? "GET";
    const r = await http.request(method, url, headers, body, cfg.requestTimeoutMs, init?.signal ?? undefined);
    return new Response(r.text, { status: r.status, headers: r.headers });
  };
  const api = createVerdictClient({ url: cfg.server, token: cfg.token, maxBatchSize: 50, fetch: timedFetch });
  let outage: { since: number; failures: number } | null = null;

  async function call<T>(what: string, fn: (api: VerdictClient) => Promise<T>, opts: CallOptions = {}): Promise<T> {
    let serverErrors = 0;
    for (let attempt = 0; ; attempt++) {
      opts.signal?.throwIfAborted();
      try {
        const out = await fn(api);
        if (outage) {
          log("info", "server reachable again", {
            server: cfg.server,
            down_ms: Date.now() - outage.since,
            failed_calls: outage.failures,
          });
          outage = null;
        }
        return out;
      } catch (e) {
        const { verdict, code } = classify(e);
        const message = errorMessage(e);
        if (verdict === "auth") throw new AuthError(`${cfg.server} refused the token (${code}): ${message}`);
        if (verdict === "reject") throw new RejectedError(code, message);
        if (code !== "UNREACHABLE" && ++serverErrors > MAX_SERVER_ERROR_RETRIES) {
          throw new RejectedError(code, `${message} (gave up after ${serverErrors} server errors)`);
        }
        if (opts.maxAttempts !== undefined && attempt + 1 >= opts.maxAttempts) throw e;
        const delay = backoffMs(attempt, cfg.maxBackoffMs);
        if (outage === null) {
          outage = { since: Date.now(), failures: 0 };
          log("warn", "server call failed; retrying with backoff", { call: what, code, error: message });
        }
        outage.failures++;
        log("debug", "retrying", { call: what, code, attempt: attempt + 1, retry_in_ms: delay, error: message });
        await sleep(delay, undefined, opts.signal ? { signal: opts.signal } : {});
      }
    }
  }

  return { api, call, close: () => http.close() };
}
