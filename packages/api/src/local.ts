import { createTRPCClient, TRPCClientError, type TRPCLink } from "@trpc/client";
import { observable } from "@trpc/server/observable";
import { getErrorShape, getTRPCErrorFromUnknown } from "@trpc/server/unstable-core-do-not-import";
import type { VerdictDb } from "@verdict/db";
import type { VerdictClient } from "./client.js";
import { type AppRouter, appRouter } from "./root.js";
import { type Context, createCallerFactory, createLocalContext } from "./trpc.js";

const createCaller = createCallerFactory(appRouter);

/**
 * A link that runs each call through the router in-process (createCaller), so the CLI's local
 * mode and remote mode share one client API, one set of procedures and one error shape.
 */
function localLink(ctx: Context): TRPCLink<AppRouter> {
  const caller = createCaller(ctx);
  return () =>
    ({ op }) =>
      observable((observer) => {
        let target: unknown = caller;
        for (const key of op.path.split(".")) target = (target as Record<string, unknown>)[key];
        const call = target as (input: unknown) => Promise<unknown>;
        call(op.input)
          .then((data) => {
            observer.next({ result: { type: "data", data } });
            observer.complete();
          })
          .catch((cause: unknown) => {
            const error = getTRPCErrorFromUnknown(cause);
            const shape = getErrorShape({
              config: appRouter._def._config,
              error,
              type: op.type,
              path: op.path,
              input: op.input,
              ctx,
            });
            observer.error(TRPCClientError.from({ error: shape }));
          });
      });
}

export function createLocalClient(db: VerdictDb, ctx: Context = createLocalContext(db)): VerdictClient {
  return createTRPCClient<AppRouter>({ links: [localLink(ctx)] });
}

export { createCaller };
