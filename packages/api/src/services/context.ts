import type { VerdictDb } from "@verdict/db";

/** What every service verb gets: the database handle (and nothing transport-specific). */
export interface ServiceContext {
  db: VerdictDb;
}
