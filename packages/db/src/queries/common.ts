import { randomUUID } from "node:crypto";
import { z } from "zod";
import { ValidationError } from "../errors.js";

export function newId(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, "").slice(0, 20)}`;
}

export function nowIso(): string {
  return new Date().toISOString();
}

/** Keyset cursors: the sort key of the last row, opaque to clients. */
export function encodeCursor(values: readonly (string | number | null)[]): string {
  return Buffer.from(JSON.stringify(values)).toString("base64url");
}

/** What each position of a cursor holds: a text sort key or an integer (rowid, id). */
export type CursorKind = "string" | "int";
type CursorValue<K extends CursorKind> = K extends "int" ? number : string;

const CURSOR_ELEMENT = {
  string: z.string().max(10_000),
  int: z
    .number()
    .int()
    .min(-(2 ** 53))
    .max(2 ** 53),
} as const;

/**
 * The sort key a cursor carries, checked position by position against `kinds`: anything else
 * (not base64url JSON, wrong length, wrong element types) is a ValidationError on `cursor`.
 */
export function decodeCursor<const K extends readonly CursorKind[]>(
  cursor: string,
  kinds: K,
): { -readonly [I in keyof K]: CursorValue<K[I]> } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new ValidationError("cursor", "not a cursor returned by this query");
  }
  const shape = z.array(z.unknown()).length(kinds.length);
  const r = shape.safeParse(parsed);
  if (r.success && kinds.every((k, i) => CURSOR_ELEMENT[k].safeParse(r.data[i]).success))
    return r.data as { -readonly [I in keyof K]: CursorValue<K[I]> };
  throw new ValidationError("cursor", "not a cursor returned by this query");
}

/** Splits `items` fetched with limit+1 into a page and the cursor of its last row. */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => (string | number | null)[]) {
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  const last = items[items.length - 1];
  return { items, nextCursor: hasMore && last !== undefined ? encodeCursor(keyOf(last)) : null };
}

export function parseJson<T>(text: unknown, fallback: T): T {
  if (text === null || text === undefined) return fallback;
  return JSON.parse(String(text)) as T;
}
