import { createTRPCClient, localLink } from "@trpc/client";
import type { VerdictDb } from "@verdict/db";
import type { VerdictClient } from "./client.js";
import type { AppRouter } from "./root.js";
import { transformer } from "./transport.js";
import { type Context, createLocalContext, createTRPCRouter } from "./trpc.js";

/** The app router's domains (its top-level keys). */
export type RouterDomain = keyof AppRouter["_def"]["record"];

/**
 * Each domain's router, imported when a command needs it: the same router objects root.ts mounts in
 * the app router, so a call runs the same procedures, validation and error mapping either way.
 */
const DOMAIN_ROUTERS = {
  ivr: async () => (await import("./routers/ivr.js")).ivrRouter,
  metrics: async () => (await import("./routers/metrics.js")).metricsRouter,
  runs: async () => (await import("./routers/runs.js")).runsRouter,
  admin: async () => (await import("./routers/admin.js")).adminRouter,
  queue: async () => (await import("./routers/queue.js")).queueRouter,
} satisfies Record<RouterDomain, () => Promise<unknown>>;

/**
 * The CLI's local mode: the client API over tRPC's own local link, which runs each call through the
 * router in this process (same procedures, same validation, same error shape; queries, mutations
 * and subscriptions). Given the transformer, it hands values over as they are instead of encoding
 * them for a wire there is not.
 *
 * With `domains`, the router holds only those domains' routers, mounted at the same paths as in the
 * app router (`runs.summary` stays `runs.summary`): a `runs` command loads no IVR, metrics, admin or
 * queue procedures. Without, it is the app router itself.
 */
export async function openLocalClient(
  db: VerdictDb,
  { domains, ctx = createLocalContext(db) }: { domains?: readonly RouterDomain[]; ctx?: Context } = {},
): Promise<VerdictClient> {
  const router = domains
    ? (createTRPCRouter(
        Object.fromEntries(await Promise.all(domains.map(async (d) => [d, await DOMAIN_ROUTERS[d]()] as const))),
      ) as unknown as AppRouter)
    : (await import("./root.js")).appRouter;
  return localClientOf(router, ctx);
}

/** The client API over tRPC's local link to `router`, every call with `ctx` (openLocalClient, createLocalClient). */
export function localClientOf(router: AppRouter, ctx: Context): VerdictClient {
  return createTRPCClient<AppRouter>({
    links: [localLink({ router, createContext: async () => ctx, transformer })],
  });
}
