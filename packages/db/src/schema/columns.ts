import { sql } from "drizzle-orm";
import { text } from "drizzle-orm/sqlite-core";

/** SQL expression for "now" as an ISO-8601 UTC string with milliseconds, the format of every timestamp column. */
export const NOW_ISO = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

/** Creation / modification timestamps, filled in by the database itself. */
export const createdAt = () => text("created_at").notNull().default(NOW_ISO);
export const updatedAt = () => text("updated_at").notNull().default(NOW_ISO);
