import { z } from "zod";

/** ISO-8601 timestamp as stored everywhere in Verdict (UTC, text, sortable). */
export const isoTimestamp = z.iso.datetime({ offset: true, local: false });

/** Identifiers chosen by users or tools: printable, no whitespace, bounded. */
export const identifier = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\s]+$/, "must not contain whitespace");

export const rate01 = z.number().min(0).max(1);
export const percent = z.number().min(0).max(100);
export const nonNegativeInt = z.number().int().min(0);
export const nonNegative = z.number().min(0);

/** Arbitrary JSON value (round-trips through a TEXT column unchanged). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);
export const jsonObject = z.record(z.string(), jsonValue);

/** Cursor pagination shared by every list procedure. */
export const pageInput = z.object({
  limit: z.number().int().min(1).max(1000).default(50),
  cursor: z.string().min(1).optional(),
});
export type PageInput = z.input<typeof pageInput>;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Date-range filter; both ends inclusive. */
export const timeRange = z.object({
  since: isoTimestamp.optional(),
  until: isoTimestamp.optional(),
});
