import { initTRPC, TRPCError } from "@trpc/server";
import type { TokenScope, VerdictDb } from "@verdict/db";
import superjson from "superjson";
import { ZodError } from "zod";
import { toTRPCError } from "./errors.js";

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
}

export function createLocalContext(db: VerdictDb): Context {
  return { db, caller: { name: "local", scope: "admin" }, authRequired: false, tokenProblem: null, requestId: "local" };
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const zod = error.cause instanceof ZodError ? error.cause : null;
    const first = zod?.issues[0];
    const field = first
      ? first.path.map(String).join(".")
      : ((error.cause as { target?: string } | undefined)?.target ?? null);
    return {
      ...shape,
      message: first ? `${field || "input"}: ${first.message}` : shape.message,
      data: {
        ...shape.data,
        stack: undefined,
        field: field || null,
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
  if (!result.ok) throw toTRPCError(result.error.cause ?? result.error, ctx.db);
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
