import { QueryClient } from "@tanstack/react-query";
import { TRPCClientError, createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { type AppRouter, type RouterOutputs, transformer } from "@verdict/api/client";

export type { RouterOutputs };
export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

/**
 * Same origin as the page: the session cookie (HttpOnly, SameSite=Strict) carries the login.
 * Subscriptions (queue.watch) are server-sent events (EventSource); everything else batched HTTP.
 */
export const trpcClient = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) => op.type === "subscription",
      true: httpSubscriptionLink({ url: "/trpc", transformer }),
      false: httpBatchLink({ url: "/trpc", transformer, maxURLLength: 8000 }),
    }),
  ],
});

/** A tRPC error the server answered with UNAUTHORIZED: the page sends the user to the login form. */
export function isUnauthorized(e: unknown): boolean {
  return e instanceof TRPCClientError && (e.data as { code?: string } | undefined)?.code === "UNAUTHORIZED";
}

export function makeQueryClient(onUnauthorized: () => void): QueryClient {
  const qc = new QueryClient({
    defaultOptions: {
      queries: { staleTime: 10_000, retry: (n, e) => !isUnauthorized(e) && n < 2, refetchOnWindowFocus: false },
    },
  });
  qc.getQueryCache().subscribe((event) => {
    if (event.type === "updated" && event.action.type === "error" && isUnauthorized(event.action.error))
      onUnauthorized();
  });
  return qc;
}
