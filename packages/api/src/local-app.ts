import type { VerdictDb } from "@verdict/db";
import type { VerdictClient } from "./client.js";
import { localClientOf } from "./local.js";
import { appRouter } from "./root.js";
import { type Context, createCallerFactory, createLocalContext } from "./trpc.js";

const createCaller = createCallerFactory(appRouter);

/**
 * A client of the whole app router in this process (tests, embedders; the CLI uses local.ts, which
 * loads only the domains a command needs): the same client API over tRPC's own local link, which runs each call
 * through the router in this process (same procedures, same validation, same error shape; queries,
 * mutations and subscriptions). Given the transformer, it hands values over as they are instead of
 * encoding them for a wire there is not.
 */
export function createLocalClient(db: VerdictDb, ctx: Context = createLocalContext(db)): VerdictClient {
  return localClientOf(appRouter, ctx);
}

export { createCaller };
