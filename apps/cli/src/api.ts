import { TRPCClientError } from "@trpc/client";
import { type VerdictClient, createVerdictClient } from "@verdict/api/client";
import { openLocalClient } from "@verdict/api/local";
import { openDatabase } from "@verdict/db";
import { type GlobalOptions, type LocalOpen, openOptions, requireDatabase } from "./globals.js";

/**
 * Every data command talks to Verdict through the same typed client: in-process against the
 * local database (--db), or over HTTP against a server (--server). One code path, two transports.
 */
let currentServer: string | undefined;

export async function withApi<T>(
  g: GlobalOptions,
  fn: (api: VerdictClient) => Promise<T>,
  /**
   * Local mode only: e.g. `{ domains: ["runs"] }` for a per-run database file; the in-process router
   * then holds those domains' routers only (the same procedures, at the same paths).
   */
  { creates, ...local }: LocalOpen = {},
): Promise<T> {
  if (g.server) {
    currentServer = g.server;
    return fn(createVerdictClient({ url: g.server, token: g.token }));
  }
  await requireDatabase(g, creates);
  const db = await openDatabase({ ...openOptions(g), ...local });
  try {
    return await fn(await openLocalClient(db, local.domains ? { domains: local.domains } : {}));
  } finally {
    db.close();
  }
}

export interface ApiFailure {
  code: string;
  message: string;
  field: string | null;
}

/** The readable part of a tRPC error, the same for both transports. */
export function apiFailure(e: unknown, server: string | undefined = currentServer): ApiFailure | null {
  if (!(e instanceof TRPCClientError)) return null;
  const data = (e.data ?? {}) as { code?: string; field?: string | null };
  if (!data.code) {
    const cause = e.cause instanceof Error ? e.cause.message : e.message;
    return {
      code: "UNREACHABLE",
      message: `cannot reach the Verdict server${server ? ` at ${server}` : ""}: ${cause}`,
      field: null,
    };
  }
  return { code: data.code, message: e.message, field: data.field ?? null };
}
