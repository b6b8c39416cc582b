import {
  type IvrTarget,
  type IvrTargetInput,
  type IvrTargetUpdate,
  type Page,
  ivrTargetDeleteInput,
  ivrTargetInput,
  ivrTargetListInput,
  ivrTargetName,
  ivrTargetUpdate,
} from "@verdict/schema";
import { and, asc, count, eq, gt, notExists, sql } from "drizzle-orm";
import type { z } from "zod";
import { translateDbError } from "../db-errors.js";
import { ConflictError, NotFoundError } from "../errors.js";
import type { VerdictDb } from "../open.js";
import { ivrTargets, testScenarios } from "../schema/ivr.js";
import { decodeCursor, toPage } from "./common.js";

// Named IVR targets. Options are checked by the schema (a secret-looking key is refused) before any
// write; auth tokens never come here: callers read them from the environment by target name.

async function guarded<T>(h: VerdictDb, row: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw await translateDbError(h.client, e, { table: "ivr_targets", row });
  }
}

export async function createIvrTarget(h: VerdictDb, raw: IvrTargetInput): Promise<IvrTarget> {
  const input = ivrTargetInput.parse(raw);
  const existing = await h.db.select({ name: ivrTargets.name }).from(ivrTargets).where(eq(ivrTargets.name, input.name));
  if (existing.length > 0) {
    throw new ConflictError(`IVR target '${input.name}' already exists (update it, or remove it first)`, "name");
  }
  const [created] = await guarded(h, input, () => h.db.insert(ivrTargets).values(input).returning());
  if (!created) throw new Error("insert returned no row");
  return created;
}

export async function getIvrTarget(h: VerdictDb, name: string): Promise<IvrTarget> {
  const row = await h.db.query.ivrTargets.findFirst({ where: eq(ivrTargets.name, ivrTargetName.parse(name)) });
  if (!row) throw new NotFoundError("IVR target", name);
  return row;
}

/** The target of that name, or null (a malformed name is simply not a stored target). */
export async function findIvrTarget(h: VerdictDb, name: string): Promise<IvrTarget | null> {
  const parsed = ivrTargetName.safeParse(name);
  if (!parsed.success) return null;
  const row = await h.db.query.ivrTargets.findFirst({ where: eq(ivrTargets.name, parsed.data) });
  return row ?? null;
}

export async function listIvrTargets(
  h: VerdictDb,
  raw: z.input<typeof ivrTargetListInput> = {},
): Promise<Page<IvrTarget>> {
  const input = ivrTargetListInput.parse(raw);
  const after = input.cursor ? decodeCursor(input.cursor, ["string"])[0] : undefined;
  const rows = await h.db
    .select()
    .from(ivrTargets)
    .where(after === undefined ? undefined : gt(ivrTargets.name, after))
    .orderBy(asc(ivrTargets.name))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (r) => [r.name]);
}

export async function updateIvrTarget(h: VerdictDb, raw: IvrTargetUpdate): Promise<IvrTarget> {
  const { name, patch } = ivrTargetUpdate.parse(raw);
  const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  if (Object.keys(set).length === 0) return getIvrTarget(h, name);
  const rows = await guarded(h, { name, ...set }, () =>
    h.db.update(ivrTargets).set(set).where(eq(ivrTargets.name, name)).returning({ name: ivrTargets.name }),
  );
  if (rows.length === 0) throw new NotFoundError("IVR target", name);
  // updated_at is set by a trigger after the UPDATE: read the row back.
  return getIvrTarget(h, name);
}

/**
 * Deletes a target. One that scenarios name is refused with a CONFLICT saying how many, unless `force`
 * (the scenarios keep the name). Check and delete are one statement, so a scenario added in between counts.
 */
export async function deleteIvrTarget(
  h: VerdictDb,
  raw: z.input<typeof ivrTargetDeleteInput>,
): Promise<{ deleted: true; scenarios_referencing: number }> {
  const { name, force } = ivrTargetDeleteInput.parse(raw);
  return h.db.transaction(async (tx) => {
    const [counted] = await tx.select({ n: count() }).from(testScenarios).where(eq(testScenarios.target, name));
    const scenarios = counted?.n ?? 0;
    const rows = await tx
      .delete(ivrTargets)
      .where(
        and(
          eq(ivrTargets.name, name),
          force
            ? undefined
            : notExists(tx.select({ one: sql`1` }).from(testScenarios).where(eq(testScenarios.target, name))),
        ),
      )
      .returning({ name: ivrTargets.name });
    if (rows.length > 0) return { deleted: true as const, scenarios_referencing: scenarios };
    const exists = await tx.select({ name: ivrTargets.name }).from(ivrTargets).where(eq(ivrTargets.name, name));
    if (exists.length === 0) throw new NotFoundError("IVR target", name);
    throw new ConflictError(
      `IVR target '${name}' is the target of ${scenarios} scenario(s); pass --force (force: true) to delete it anyway`,
      "name",
    );
  });
}
