import { createTRPCClient, httpBatchLink } from "@trpc/client";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { ClientRouter as AppRouter } from "./client-router.js";
import { transformer } from "./transport.js";

/** The wire encoding of every Verdict client (the dashboard builds its own link with it). */
export { transformer };

// Type-only import of the router: a client bundle gets the types, never the database driver.
export type { AppRouter };
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export interface VerdictClientOptions {
  /** Base URL of a Verdict server, e.g. http://127.0.0.1:4000 */
  url: string;
  token?: string | undefined;
  /** Calls made in the same tick travel in one HTTP request, up to this many. */
  maxBatchSize?: number;
  fetch?: typeof fetch;
}

export function trpcEndpoint(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/trpc`;
}

export function createVerdictClient(opts: VerdictClientOptions) {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: trpcEndpoint(opts.url),
        transformer,
        maxItems: opts.maxBatchSize ?? 50,
        maxURLLength: 8000,
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
        headers: () => (opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      }),
    ],
  });
}

export type VerdictClient = ReturnType<typeof createVerdictClient>;
