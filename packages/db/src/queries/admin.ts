import { createHash, randomBytes } from "node:crypto";
import { and, asc, eq, isNull } from "drizzle-orm";
import { translateDbError } from "../db-errors.js";
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import type { VerdictDb } from "../open.js";
import { apiTokens } from "../schema/admin.js";
import { nowIso } from "./common.js";
import { recordTokenUse } from "./token-use.js";

export type TokenScope = "read" | "write" | "admin";
export interface TokenInfo {
  name: string;
  scope: TokenScope;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

const TOKEN_PREFIX = "vdt_";

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Creates a token; the plain value is returned once and never stored. */
export async function createToken(
  h: VerdictDb,
  name: string,
  scope: TokenScope,
): Promise<TokenInfo & { token: string }> {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) {
    throw new ValidationError("name", "use 1-100 letters, digits, '.', '_' or '-'");
  }
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  try {
    const [row] = await h.db
      .insert(apiTokens)
      .values({ name, scope, token_hash: hashToken(token) })
      .returning();
    if (!row) throw new Error("insert returned no row");
    return { ...row, token };
  } catch (e) {
    const err = await translateDbError(h.client, e, { table: "api_tokens" });
    if (err instanceof Error && "kind" in err && err.kind === "unique") {
      throw new ConflictError(`a token named '${name}' already exists (revoke it first)`, "name");
    }
    throw err;
  }
}

export async function listTokens(h: VerdictDb): Promise<TokenInfo[]> {
  return h.db
    .select({
      name: apiTokens.name,
      scope: apiTokens.scope,
      created_at: apiTokens.created_at,
      last_used_at: apiTokens.last_used_at,
      revoked_at: apiTokens.revoked_at,
    })
    .from(apiTokens)
    .orderBy(asc(apiTokens.name));
}

/** Revoking deletes the hash's power but keeps the row, so `tokens list` shows what existed. */
export async function revokeToken(h: VerdictDb, name: string): Promise<{ revoked: true }> {
  const rows = await h.db
    .update(apiTokens)
    .set({ revoked_at: nowIso() })
    .where(and(eq(apiTokens.name, name), isNull(apiTokens.revoked_at)))
    .returning({ name: apiTokens.name });
  if (rows.length === 0) throw new NotFoundError("active token", name);
  return { revoked: true };
}

/**
 * The token's name and scope, or null when unknown or revoked. Only reads: the use is recorded in
 * memory and written later in the background (see token-use.ts), so a busy or read-only database
 * never fails or delays a request here.
 */
export async function verifyToken(h: VerdictDb, token: string): Promise<{ name: string; scope: TokenScope } | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const rs = await h.client.execute({
    sql: "SELECT name, scope, last_used_at FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL",
    args: [hashToken(token)],
  });
  const row = rs.rows[0];
  if (!row) return null;
  recordTokenUse(h, String(row.name), row.last_used_at === null ? null : String(row.last_used_at));
  return { name: String(row.name), scope: String(row.scope) as TokenScope };
}
