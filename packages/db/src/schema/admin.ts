import { sql } from "drizzle-orm";
import { check, index, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { createdAt } from "./columns.js";

/**
 * API tokens of the Verdict server. Only a SHA-256 of each token is stored: tokens are 256-bit
 * random strings, so a fast hash is enough and lookups stay one indexed read per request.
 */
export const apiTokens = sqliteTable(
  "api_tokens",
  {
    name: text("name").primaryKey(),
    token_hash: text("token_hash").notNull().unique(),
    scope: text("scope", { enum: ["read", "write", "admin"] }).notNull(),
    created_at: createdAt(),
    last_used_at: text("last_used_at"),
    revoked_at: text("revoked_at"),
  },
  (t) => [
    check("api_tokens_scope_enum", sql`${t.scope} IN ('read', 'write', 'admin')`),
    check(
      "api_tokens_name_format",
      sql`length(${t.name}) BETWEEN 1 AND 100 AND ${t.name} NOT GLOB '*[^A-Za-z0-9._-]*'`,
    ),
    index("api_tokens_revoked_idx").on(t.revoked_at),
  ],
);
