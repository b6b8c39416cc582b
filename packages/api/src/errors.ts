import { TRPCError } from "@trpc/server";
import { type VerdictDb, type VerdictError, isVerdictError, translateDriverError, verdictErrorIn } from "@verdict/db";
import { ZodError } from "zod";

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
 * The one adapter from service errors to tRPC codes; anything unknown stays an internal error.
 * Our errors are found anywhere in the cause chain (drizzle wraps what the driver wrapper throws);
 * given the database, a raw driver error that is a storage fault (from a path that talks to the
 * file directly) is translated too, so it answers 503 naming the database, not 500 with SQL.
 */
export function toTRPCError(e: unknown, db?: VerdictDb): TRPCError {
  if (e instanceof TRPCError) {
    if (e.cause && (verdictErrorIn(e.cause) || e.cause instanceof ZodError)) return toTRPCError(e.cause, db);
    if (e.code === "INTERNAL_SERVER_ERROR" && e.cause && db) {
      const translated = translateDriverError(e.cause, db.storage);
      if (isVerdictError(translated)) return toTRPCError(translated);
    }
    return e;
  }
  const ours = verdictErrorIn(e) ?? (db ? verdictErrorIn(translateDriverError(e, db.storage)) : null);
  if (ours) return new TRPCError({ code: CODES[ours.code], message: ours.message, cause: ours });
  if (e instanceof ZodError) {
    const first = e.issues[0];
    return new TRPCError({
      code: "BAD_REQUEST",
      message: first ? `${first.path.join(".") || "input"}: ${first.message}` : "invalid input",
      cause: e,
    });
  }
  return new TRPCError({
    code: "INTERNAL_SERVER_ERROR",
    message: e instanceof Error ? e.message : String(e),
    cause: e,
  });
}
