import type { TRPCRouterRecord } from "@trpc/server";
import { createToken, listTokens, revokeToken } from "@verdict/db";
import { z } from "zod";
import { health, schemaStatus } from "../services/admin.js";
import { adminProcedure, publicProcedure, readProcedure } from "../trpc.js";

const tokenName = z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, "use 1-100 letters, digits, '.', '_' or '-'");

export const adminRouter = {
  health: publicProcedure.query(({ ctx }) => health(ctx)),
  schemaStatus: readProcedure.query(({ ctx }) => schemaStatus(ctx)),
  /** Who the request is signed in as, and what it may do (the dashboard hides what the scope forbids). */
  whoami: readProcedure.query(({ ctx }) => ({
    name: ctx.caller.name,
    scope: ctx.caller.scope,
    auth_required: ctx.authRequired,
  })),
  tokens: {
    create: adminProcedure
      .input(z.object({ name: tokenName, scope: z.enum(["read", "write", "admin"]) }))
      .mutation(({ ctx, input }) => createToken(ctx.db, input.name, input.scope)),
    list: adminProcedure.query(({ ctx }) => listTokens(ctx.db)),
    revoke: adminProcedure
      .input(z.object({ name: tokenName }))
      .mutation(({ ctx, input }) => revokeToken(ctx.db, input.name)),
  },
} satisfies TRPCRouterRecord;
