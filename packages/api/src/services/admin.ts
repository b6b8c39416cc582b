import { DOMAINS, migrationStatus } from "@verdict/db";
import type { ServiceContext } from "./context.js";

/** Liveness plus a round trip to the database. */
export async function health(ctx: ServiceContext): Promise<{ ok: true; database: string; latency_ms: number }> {
  const started = performance.now();
  await ctx.db.client.execute("SELECT 1");
  return { ok: true, database: ctx.db.kind, latency_ms: Math.round((performance.now() - started) * 100) / 100 };
}

export async function schemaStatus(ctx: ServiceContext) {
  const rows = await migrationStatus(ctx.db.client, DOMAINS);
  return {
    up_to_date: rows.every((r) => r.state === "applied"),
    migrations: rows.map(({ file: _file, ...r }) => r),
  };
}
