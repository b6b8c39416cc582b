import { TRPCError } from "@trpc/server";
import { type VerdictError, isVerdictError } from "@verdict/db";
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

/** The one adapter from service errors to tRPC codes; anything unknown stays an internal error. */
export function toTRPCError(e: unknown): TRPCError {
  if (e instanceof TRPCError) {
    if (e.cause && (isVerdictError(e.cause) || e.cause instanceof ZodError)) return toTRPCError(e.cause);
    return e;
  }
  if (isVerdictError(e)) return new TRPCError({ code: CODES[e.code], message: e.message, cause: e });
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
