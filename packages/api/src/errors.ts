import { TRPCError } from "@trpc/server";
import { type VerdictDb, type VerdictError, isVerdictError, translateDriverError } from "@verdict/db";
import { ZodError } from "zod";
import { TransportError } from "./transport.js";

const CODES: Record<VerdictError["code"], TRPCError["code"]> = {
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  CONSTRAINT: "BAD_REQUEST",
  VALIDATION: "BAD_REQUEST",
  SCHEMA_MISMATCH: "PRECONDITION_FAILED",
  MIGRATION: "INTERNAL_SERVER_ERROR",
  CONNECTION: "SERVICE_UNAVAILABLE",
  STORAGE: "SERVICE_UNAVAILABLE",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
};

/**
 * The HTTP layer refused a request before any procedure ran (bad Host or Origin, malformed or
 * oversized body, wrong content type). `status` is the HTTP status the answer carries.
 */
export class RequestRefused extends Error {
  override name = "RequestRefused";
  constructor(
    readonly status: number,
    readonly field: string | null,
    message: string,
  ) {
    super(message);
  }
}

const REFUSAL_CODES: Record<number, TRPCError["code"]> = {
  400: "BAD_REQUEST",
  403: "FORBIDDEN",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  421: "FORBIDDEN",
};

/** A refusal as the tRPC error its answer is built from (the formatter puts back `status`). */
export function refusalError(refusal: RequestRefused): TRPCError {
  return new TRPCError({
    code: REFUSAL_CODES[refusal.status] ?? "BAD_REQUEST",
    message: refusal.message,
    cause: refusal,
  });
}

/** Text that looks like it carries a statement or its bound values (a driver's message leaking through). */
const SQL_TEXT =
  /failed query|\bparams?:|\bselect\b[\s\S]*\bfrom\b|\binsert\s+(or\s+\w+\s+)?into\b|\bupdate\s+\S+\s+set\b|\bdelete\s+from\b|\bpragma\s+\w+/i;

/** A storage or connection message as sent to a client: the cause, never SQL text or values. */
function clientMessage(e: VerdictError): string {
  if ((e.code === "STORAGE" || e.code === "CONNECTION") && SQL_TEXT.test(e.message)) {
    const kind = (e as { kind?: unknown }).kind;
    return `database unavailable${typeof kind === "string" ? ` (${kind.replace(/_/g, " ")})` : ""}`;
  }
  return e.message;
}

/** The first error of ours (typed service error, zod issue, bad envelope) in a chain of causes. */
function knownCause(e: unknown): VerdictError | ZodError | TransportError | null {
  let cur: unknown = e;
  for (let i = 0; i < 6 && cur instanceof Error; i++) {
    if (isVerdictError(cur) || cur instanceof ZodError || cur instanceof TransportError) return cur;
    cur = cur.cause;
  }
  return null;
}

/**
 * The one adapter from service errors to tRPC codes. Our errors are found anywhere in the cause chain
 * (drizzle wraps what the driver wrapper throws). A TRPCError raised by tRPC itself (bad batch,
 * unknown procedure, 413) keeps its code; anything unknown is an internal error, whose message the
 * error formatter replaces with a generic one (the server logs the original).
 */
export function toTRPCError(e: unknown, db?: VerdictDb): TRPCError {
  let known = knownCause(e);
  if (!known && db) {
    // A raw driver error from a path that talks to the file directly (the bulk importer): a storage
    // fault is translated, so it answers 503 naming the database, not 500 with SQL.
    let cur: unknown = e;
    for (let i = 0; i < 6 && cur instanceof Error && !known; i++) {
      const translated = translateDriverError(cur, db.storage);
      if (isVerdictError(translated)) known = translated;
      cur = cur.cause;
    }
  }
  if (known && isVerdictError(known))
    return new TRPCError({ code: CODES[known.code], message: clientMessage(known), cause: known });
  if (known instanceof TransportError)
    return new TRPCError({ code: "BAD_REQUEST", message: known.message, cause: known });
  if (known instanceof ZodError) {
    const first = known.issues[0];
    return new TRPCError({
      code: "BAD_REQUEST",
      message: first ? `${first.path.join(".") || "input"}: ${first.message}` : "invalid input",
      cause: known,
    });
  }
  if (e instanceof TRPCError) return e;
  return new TRPCError({
    code: "INTERNAL_SERVER_ERROR",
    message: e instanceof Error ? e.message : String(e),
    cause: e,
  });
}
