import { initTRPC, type TRPC_ERROR_CODE_KEY, type TRPC_ERROR_CODE_NUMBER, TRPCError } from "@trpc/server";
import type { TokenScope, VerdictDb } from "@verdict/db";
import { ZodError } from "zod";
import { RequestRefused, toTRPCError } from "./errors.js";
import { TransportError, transformer } from "./transport.js";

/** Who is calling: a token's name and scope, or the local user of an embedded database. */
export interface Caller {
  name: string;
  scope: TokenScope;
}

export interface Context {
  db: VerdictDb;
  /** null when the request carried no valid token. */
  caller: Caller | null;
  /** false only for `verdict serve --no-auth` on loopback and for in-process (local) calls. */
  authRequired: boolean;
  /** A bad token (as opposed to none) is reported differently. */
  tokenProblem: "missing" | "unknown" | null;
  requestId: string;
  /** In-process calls (the CLI's local mode) see an internal error's own message; HTTP clients a generic one. */
  exposeInternalErrors?: boolean;
}

export function createLocalContext(db: VerdictDb): Context {
  return {
    db,
    caller: { name: "local", scope: "admin" },
    authRequired: false,
    tokenProblem: null,
    requestId: "local",
    exposeInternalErrors: true,
  };
}

/** What a client sees of a fault that is not its mistake; the full error goes to the server log. */
export function internalErrorMessage(requestId: string | undefined): string {
  return `internal server error${requestId ? ` (request id ${requestId})` : ""}; the server log has the details`;
}

/** What every error answer carries (tRPC's shape, plus the failing field and the input's issues). */
export interface VerdictErrorShape {
  message: string;
  code: TRPC_ERROR_CODE_NUMBER;
  data: {
    code: TRPC_ERROR_CODE_KEY;
    httpStatus: number;
    path?: string;
    stack: undefined;
    /** The input field (dotted path) or request part at fault, when there is one. */
    field: string | null;
    issues: { path: string; message: string }[] | null;
  };
}

const t = initTRPC.context<Context>().create({
  transformer,
  // Subscriptions (queue.watch) travel as server-sent events; a ping keeps idle streams (and proxies) open.
  sse: { ping: { enabled: true, intervalMs: 15_000 }, client: { reconnectAfterInactivityMs: 20_000 } },
  errorFormatter({ shape, error, ctx }): VerdictErrorShape {
    const zod = error.cause instanceof ZodError ? error.cause : null;
    const first = zod?.issues[0];
    const cause = error.cause as { target?: unknown } | undefined;
    const refused = cause instanceof RequestRefused ? cause : null;
    const target =
      cause instanceof TransportError || refused ? (refused ?? (cause as TransportError)).field : cause?.target;
    const field = first
      ? first.path.map(String).join(".")
      : typeof target === "string"
        ? target
        : error.code === "UNSUPPORTED_MEDIA_TYPE"
          ? "content-type"
          : null;
    const internal = error.code === "INTERNAL_SERVER_ERROR" && !ctx?.exposeInternalErrors;
    return {
      ...shape,
      message: internal
        ? internalErrorMessage(ctx?.requestId)
        : first
          ? `${field || "input"}: ${first.message}`
          : shape.message,
      data: {
        ...shape.data,
        ...(refused ? { httpStatus: refused.status } : {}),
        stack: undefined,
        field: internal ? null : field || null,
        issues: zod ? zod.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })) : null,
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Every procedure maps our typed errors to tRPC codes in one place. */
const errorAdapter = t.middleware(async ({ ctx, next }) => {
  const result = await next();
  if (!result.ok) throw toTRPCError(result.error, ctx.db);
  return result;
});

const RANK: Record<TokenScope, number> = { read: 1, write: 2, admin: 3 };

function requireScope(scope: TokenScope) {
  return t.middleware(({ ctx, next }) => {
    if (!ctx.authRequired)
      return next({ ctx: { ...ctx, caller: ctx.caller ?? { name: "anonymous", scope: "admin" } } });
    if (!ctx.caller) {
      throw new TRPCError({
        code: "UNAUTHORIZED",
        message:
          ctx.tokenProblem === "unknown"
            ? "unknown or revoked API token"
            : "an API token is required (Authorization: Bearer …)",
      });
    }
    if (RANK[ctx.caller.scope] < RANK[scope]) {
      throw new TRPCError({
        code: "FORBIDDEN",
        message: `token '${ctx.caller.name}' has scope ${ctx.caller.scope}; this needs ${scope}`,
      });
    }
    return next({ ctx: { ...ctx, caller: ctx.caller } });
  });
}

export const publicProcedure = t.procedure.use(errorAdapter);
export const readProcedure = publicProcedure.use(requireScope("read"));
export const writeProcedure = publicProcedure.use(requireScope("write"));
export const adminProcedure = publicProcedure.use(requireScope("admin"));
