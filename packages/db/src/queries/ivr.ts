import {
  type Execution,
  type ExecutionFinishInput,
  type ExecutionListInput,
  type ExecutionStartInput,
  type Page,
  type Scenario,
  type ScenarioInput,
  type ScenarioRef,
  type ScenarioReplaceInput,
  type ScenarioUpdate,
  type StepExecution,
  type StepExecutionInput,
  type TrainingInput,
  type TrainingListInput,
  type TrainingSample,
  executionFinishInput,
  executionListInput,
  executionStartInput,
  scenarioInput,
  scenarioListInput,
  scenarioRef,
  scenarioReplaceInput,
  scenarioUpdate,
  stepExecutionInput,
  trainingInput,
  trainingListInput,
  trainingSetStatusInput,
  trainingSetThresholdsInput,
  type ValidationStatus,
} from "@verdict/schema";
import { and, asc, count, desc, eq, gte, inArray, like, lt, lte, notExists, or, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { translateDbError } from "../db-errors.js";
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import type { VerdictDb } from "../open.js";
import { intentTrainingData, stepExecutions, testExecutions, testScenarios } from "../schema/ivr.js";
import { decodeCursor, newId, nowIso, toPage } from "./common.js";

/** Runs `fn`, turning a constraint failure into a ConstraintError naming it (rows: what was written). */
async function guard<T>(
  h: VerdictDb,
  table: string,
  rows: Record<string, unknown> | readonly Record<string, unknown>[] | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (rows === undefined) throw await translateDbError(h.client, e, { table });
    throw await translateDbError(h.client, e, isRowList(rows) ? { table, rows } : { table, row: rows });
  }
}

function isRowList(
  rows: Record<string, unknown> | readonly Record<string, unknown>[],
): rows is readonly Record<string, unknown>[] {
  return Array.isArray(rows);
}

// ---------- scenarios ----------

/** A scenario's condition by its numeric id or its slug (a slug is never all digits). */
function scenarioWhere(ref: ScenarioRef): SQL {
  const parsed = scenarioRef.parse(ref);
  return typeof parsed === "number" ? eq(testScenarios.scenario_id, parsed) : eq(testScenarios.slug, parsed);
}

/** The numeric id of a scenario named by id or slug; NOT_FOUND when there is none. */
export async function resolveScenarioId(h: Pick<VerdictDb, "db">, ref: ScenarioRef): Promise<number> {
  const [row] = await h.db.select({ id: testScenarios.scenario_id }).from(testScenarios).where(scenarioWhere(ref));
  if (!row) throw new NotFoundError("scenario", String(ref));
  return row.id;
}

export async function createScenario(h: VerdictDb, raw: ScenarioInput): Promise<Scenario> {
  const input = scenarioInput.parse(raw);
  if (input.slug !== undefined && input.scenario_id !== undefined && input.slug !== input.scenario_id) {
    throw new ValidationError(
      "scenario_id",
      `says '${input.scenario_id}' but slug says '${input.slug}' (scenario_id is the former name of slug: keep one)`,
    );
  }
  const row = {
    slug: input.slug ?? input.scenario_id ?? newId("scn"),
    name: input.name,
    description: input.description ?? null,
    target_phone: input.target_phone,
    steps: input.steps,
    timeout_seconds: input.timeout_seconds,
    target: input.target ?? null,
  };
  const [created] = await guard(h, "test_scenarios", row, () => h.db.insert(testScenarios).values(row).returning());
  if (!created) throw new Error("insert returned no row");
  return created;
}

/** A scenario by its numeric id or its slug. */
export async function getScenario(h: VerdictDb, ref: ScenarioRef): Promise<Scenario> {
  const row = await h.db.query.testScenarios.findFirst({ where: scenarioWhere(ref) });
  if (!row) throw new NotFoundError("scenario", String(ref));
  return row;
}

export async function listScenarios(
  h: VerdictDb,
  raw: z.input<typeof scenarioListInput> = {},
): Promise<Page<Scenario>> {
  const input = scenarioListInput.parse(raw);
  const where: SQL[] = [];
  if (input.name_contains) where.push(like(testScenarios.name, `%${input.name_contains}%`));
  if (input.cursor) {
    const [name, id] = decodeCursor(input.cursor, ["string", "int"]);
    const c = or(
      lt(testScenarios.name, String(name)) as SQL,
      and(eq(testScenarios.name, String(name)), lt(testScenarios.scenario_id, Number(id))) as SQL,
    );
    if (c) where.push(c);
  }
  const rows = await h.db
    .select()
    .from(testScenarios)
    .where(and(...where))
    .orderBy(desc(testScenarios.name), desc(testScenarios.scenario_id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (r) => [r.name, r.scenario_id]);
}

export async function updateScenario(h: VerdictDb, raw: ScenarioUpdate): Promise<Scenario> {
  const { scenario_id: ref, patch } = scenarioUpdate.parse(raw);
  const scenario_id = await resolveScenarioId(h, ref);
  const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  if (Object.keys(set).length === 0) return getScenario(h, scenario_id);
  const [row] = await guard(h, "test_scenarios", { scenario_id, ...set }, () =>
    h.db.update(testScenarios).set(set).where(eq(testScenarios.scenario_id, scenario_id)).returning(),
  );
  if (!row) throw new NotFoundError("scenario", String(scenario_id));
  // updated_at is set by a trigger after the UPDATE, so RETURNING shows the old value: read it back.
  return getScenario(h, scenario_id);
}

/**
 * Replaces a scenario's definition with a whole new one (what `verdict scenarios update ID FILE` sends):
 * every field is set, so a field left out of the file goes back to its default. Executions stay.
 */
export async function replaceScenario(h: VerdictDb, raw: ScenarioReplaceInput): Promise<Scenario> {
  const { scenario_id: ref, scenario } = scenarioReplaceInput.parse(raw);
  const current = await getScenario(h, ref);
  const scenario_id = current.scenario_id;
  const said = scenario.slug ?? scenario.scenario_id;
  if (said !== undefined && said !== current.slug) {
    throw new ValidationError(
      scenario.slug !== undefined ? "slug" : "scenario_id",
      `the new definition says '${said}' but '${current.slug}' is being replaced (drop it or make them equal)`,
    );
  }
  const set = {
    name: scenario.name,
    description: scenario.description ?? null,
    target_phone: scenario.target_phone,
    steps: scenario.steps,
    timeout_seconds: scenario.timeout_seconds,
    target: scenario.target ?? null,
  };
  const rows = await guard(h, "test_scenarios", { scenario_id, ...set }, () =>
    h.db
      .update(testScenarios)
      .set(set)
      .where(eq(testScenarios.scenario_id, scenario_id))
      .returning({ id: testScenarios.scenario_id }),
  );
  if (rows.length === 0) throw new NotFoundError("scenario", String(scenario_id));
  return getScenario(h, scenario_id);
}

/**
 * Deletes a scenario. Its executions and their steps are its history and would go with it (the foreign
 * keys cascade), so a scenario that has executions is refused with a CONFLICT naming how many, unless
 * `force`. The check and the delete are one statement: an execution started in between cannot slip by.
 */
export async function deleteScenario(
  h: VerdictDb,
  ref: ScenarioRef,
  opts: { force?: boolean } = {},
): Promise<{ deleted: true; executions_deleted: number }> {
  const force = opts.force === true;
  return h.db.transaction(async (tx) => {
    const [found] = await tx
      .select({ id: testScenarios.scenario_id, slug: testScenarios.slug })
      .from(testScenarios)
      .where(scenarioWhere(ref));
    if (!found) throw new NotFoundError("scenario", String(ref));
    const scenarioId = found.id;
    const [counted] = await tx
      .select({ n: count() })
      .from(testExecutions)
      .where(eq(testExecutions.scenario_id, scenarioId));
    const executions = counted?.n ?? 0;
    const rows = await tx
      .delete(testScenarios)
      .where(
        and(
          eq(testScenarios.scenario_id, scenarioId),
          force
            ? undefined
            : notExists(
                tx.select({ one: sql`1` }).from(testExecutions).where(eq(testExecutions.scenario_id, scenarioId)),
              ),
        ),
      )
      .returning({ id: testScenarios.scenario_id });
    if (rows.length > 0) return { deleted: true as const, executions_deleted: force ? executions : 0 };
    throw new ConflictError(
      `scenario '${found.slug}' has ${executions} execution(s); deleting it would delete them and their steps too (pass --force, or force: true, to do that)`,
      "scenario_id",
    );
  });
}

// ---------- executions ----------

export async function startExecution(h: VerdictDb, raw: ExecutionStartInput): Promise<Execution> {
  const input = executionStartInput.parse(raw);
  const row = {
    scenario_id: await resolveScenarioId(h, input.scenario_id),
    status: "running" as const,
    start_time: input.start_time ?? nowIso(),
    call_id: input.call_id ?? null,
  };
  const [created] = await guard(h, "test_executions", row, () => h.db.insert(testExecutions).values(row).returning());
  if (!created) throw new Error("insert returned no row");
  return created;
}

export async function finishExecution(h: VerdictDb, raw: ExecutionFinishInput): Promise<Execution> {
  const input = executionFinishInput.parse(raw);
  const current = await getExecution(h, input.execution_id);
  if (current.status !== "running") {
    throw new ConflictError(
      `execution '${input.execution_id}' already finished with status ${current.status}`,
      "status",
    );
  }
  const set = {
    status: input.status,
    final_result: input.final_result ?? (input.status === "completed" ? null : "fail"),
    error_message: input.error_message ?? null,
    end_time: input.end_time ?? nowIso(),
    ...(input.call_id ? { call_id: input.call_id } : {}),
  };
  const [row] = await guard(h, "test_executions", { execution_id: input.execution_id, ...set }, () =>
    h.db.update(testExecutions).set(set).where(eq(testExecutions.execution_id, input.execution_id)).returning(),
  );
  if (!row) throw new NotFoundError("execution", String(input.execution_id));
  return row;
}

export async function getExecution(h: VerdictDb, executionId: number): Promise<Execution> {
  const row = await h.db.query.testExecutions.findFirst({ where: eq(testExecutions.execution_id, executionId) });
  if (!row) throw new NotFoundError("execution", String(executionId));
  return row;
}

export async function listExecutions(h: VerdictDb, raw: ExecutionListInput = {}): Promise<Page<Execution>> {
  const input = executionListInput.parse(raw);
  const t = testExecutions;
  const where: (SQL | undefined)[] = [
    input.scenario_id !== undefined ? eq(t.scenario_id, await resolveScenarioId(h, input.scenario_id)) : undefined,
    input.status ? eq(t.status, input.status) : undefined,
    input.final_result ? eq(t.final_result, input.final_result) : undefined,
    input.since ? gte(t.start_time, input.since) : undefined,
    input.until ? lte(t.start_time, input.until) : undefined,
  ];
  if (input.cursor) {
    const [start, id] = decodeCursor(input.cursor, ["string", "int"]);
    where.push(
      or(
        lt(t.start_time, String(start ?? "")),
        and(eq(t.start_time, String(start ?? "")), lt(t.execution_id, Number(id))),
      ),
    );
  }
  const rows = await h.db
    .select()
    .from(t)
    .where(and(...where))
    .orderBy(desc(t.start_time), desc(t.execution_id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (r) => [r.start_time ?? "", r.execution_id]);
}

// ---------- step executions ----------

function stepRow(input: z.output<typeof stepExecutionInput>) {
  return {
    execution_id: input.execution_id,
    step_number: input.step_number,
    step_type: input.step_type,
    expected_intent: input.expected_intent ?? null,
    actual_intent: input.actual_intent ?? null,
    confidence: input.confidence ?? null,
    transcript: input.transcript ?? null,
    dtmf_sent: input.dtmf_sent ?? null,
    status: input.status,
    started_at: input.started_at ?? null,
    ended_at: input.ended_at ?? null,
    latency_ms: input.latency_ms ?? null,
    error: input.error ?? null,
  };
}

type StepRow = ReturnType<typeof stepRow>;
const STEP_FIELDS = [
  "step_type",
  "expected_intent",
  "actual_intent",
  "confidence",
  "transcript",
  "dtmf_sent",
  "status",
  "started_at",
  "ended_at",
  "latency_ms",
  "error",
] as const satisfies readonly (keyof StepRow)[];

const stepKey = (r: { execution_id: number; step_number: number }) => `${r.execution_id}\u0000${r.step_number}`;

/** Fields where two reports of the same step (execution, step number) disagree; none: the same report. */
function stepDifferences(sent: StepRow, recorded: StepRow): string[] {
  return STEP_FIELDS.filter((f) => (sent[f] ?? null) !== (recorded[f] ?? null));
}

function stepConflict(row: StepRow, fields: string[]): ConflictError {
  return new ConflictError(
    `step ${row.step_number} of execution '${row.execution_id}' is already recorded with a different ${fields.join(", ")}; a step is recorded once`,
    "step_number",
  );
}

async function recordedStep(
  h: Pick<VerdictDb["db"], "select">,
  executionId: number,
  stepNumber: number,
): Promise<StepExecution | undefined> {
  const [row] = await h
    .select()
    .from(stepExecutions)
    .where(and(eq(stepExecutions.execution_id, executionId), eq(stepExecutions.step_number, stepNumber)));
  return row;
}

/**
 * Records one step, idempotently by its key (execution, step number): the same report sent again is
 * answered with the row already recorded, and nothing is written; a different report for a recorded
 * step is a CONFLICT naming the fields that differ.
 */
export async function recordStepExecution(h: VerdictDb, raw: StepExecutionInput): Promise<StepExecution> {
  const row = stepRow(stepExecutionInput.parse(raw));
  const [created] = await guard(h, "step_executions", row, () =>
    h.db
      .insert(stepExecutions)
      .values(row)
      .onConflictDoNothing({ target: [stepExecutions.execution_id, stepExecutions.step_number] })
      .returning(),
  );
  if (created) return created;
  const existing = await recordedStep(h.db, row.execution_id, row.step_number);
  if (!existing)
    throw new ConflictError(
      `step ${row.step_number} of execution '${row.execution_id}' changed while being recorded; retry`,
      "step_number",
    );
  const differs = stepDifferences(row, existing);
  if (differs.length > 0) throw stepConflict(row, differs);
  return existing;
}

/**
 * Records many steps in one transaction: all land or none do. Idempotent like recordStepExecution:
 * steps already recorded with the same content are counted in `already_present`; any step recorded
 * (or listed twice in the batch) with different content refuses the whole batch with a CONFLICT.
 */
export async function recordStepExecutions(
  h: VerdictDb,
  raw: StepExecutionInput[],
): Promise<{ inserted: number; already_present: number }> {
  const parsed = z.array(stepExecutionInput).max(10_000).parse(raw).map(stepRow);
  const byKey = new Map<string, StepRow>();
  for (const row of parsed) {
    const seen = byKey.get(stepKey(row));
    if (!seen) byKey.set(stepKey(row), row);
    else {
      const differs = stepDifferences(row, seen);
      if (differs.length > 0)
        throw new ConflictError(
          `step ${row.step_number} of execution '${row.execution_id}' is listed twice with a different ${differs.join(", ")}`,
          "step_number",
        );
    }
  }
  const rows = [...byKey.values()];
  if (rows.length === 0) return { inserted: 0, already_present: 0 };
  return guard(h, "step_executions", rows, () =>
    h.db.transaction(async (tx) => {
      let inserted = 0;
      for (let i = 0; i < rows.length; i += 500) {
        const chunk = rows.slice(i, i + 500);
        const landed = await tx
          .insert(stepExecutions)
          .values(chunk)
          .onConflictDoNothing({ target: [stepExecutions.execution_id, stepExecutions.step_number] })
          .returning({ execution_id: stepExecutions.execution_id, step_number: stepExecutions.step_number });
        inserted += landed.length;
        const fresh = new Set(landed.map(stepKey));
        for (const row of chunk) {
          if (fresh.has(stepKey(row))) continue;
          const existing = await recordedStep(tx, row.execution_id, row.step_number);
          const differs = existing ? stepDifferences(row, existing) : STEP_FIELDS.slice();
          if (differs.length > 0) throw stepConflict(row, differs);
        }
      }
      return { inserted, already_present: parsed.length - inserted };
    }),
  );
}

export async function listStepExecutions(h: VerdictDb, executionId: number): Promise<StepExecution[]> {
  return h.db
    .select()
    .from(stepExecutions)
    .where(eq(stepExecutions.execution_id, executionId))
    .orderBy(asc(stepExecutions.step_number), asc(stepExecutions.id));
}

// ---------- intent training data ----------

function trainingRow(input: z.output<typeof trainingInput>) {
  return {
    text_sample: input.text_sample,
    intent_label: input.intent_label,
    confidence_threshold: input.confidence_threshold,
    source: input.source,
    validation_status: input.validation_status,
  };
}

export async function addTrainingSample(h: VerdictDb, raw: TrainingInput): Promise<TrainingSample> {
  const row = trainingRow(trainingInput.parse(raw));
  const [created] = await guard(h, "intent_training_data", row, () =>
    h.db.insert(intentTrainingData).values(row).returning(),
  );
  if (!created) throw new Error("insert returned no row");
  return created;
}

const sampleKey = (r: { text_sample: string; intent_label: string }) => `${r.intent_label}\u0000${r.text_sample}`;

/**
 * Adds many samples in one transaction (all or nothing), idempotently by their natural key: a sample
 * whose text and intent label are already stored (or earlier in the same batch) is skipped and counted
 * in `already_present`, so importing the same file twice adds nothing the second time.
 */
export async function addTrainingSamples(
  h: VerdictDb,
  raw: TrainingInput[],
): Promise<{ inserted: number; already_present: number; ids: number[] }> {
  const all = z.array(trainingInput).max(100_000).parse(raw).map(trainingRow);
  if (all.length === 0) return { inserted: 0, already_present: 0, ids: [] };
  const t = intentTrainingData;
  return guard(h, "intent_training_data", all, () =>
    h.db.transaction(async (tx) => {
      const seen = new Set<string>();
      const ids: number[] = [];
      for (let i = 0; i < all.length; i += 500) {
        const chunk = all.slice(i, i + 500);
        const stored = await tx
          .select({ text_sample: t.text_sample, intent_label: t.intent_label })
          .from(t)
          .where(
            and(
              inArray(t.intent_label, [...new Set(chunk.map((r) => r.intent_label))]),
              inArray(t.text_sample, [...new Set(chunk.map((r) => r.text_sample))]),
            ),
          );
        for (const r of stored) seen.add(sampleKey(r));
        const fresh = chunk.filter((r) => {
          if (seen.has(sampleKey(r))) return false;
          seen.add(sampleKey(r));
          return true;
        });
        if (fresh.length > 0) {
          const landed = await tx.insert(t).values(fresh).returning({ id: t.training_id });
          ids.push(...landed.map((r) => r.id));
        }
      }
      return { inserted: ids.length, already_present: all.length - ids.length, ids };
    }),
  );
}

export async function getTrainingSample(h: VerdictDb, trainingId: number): Promise<TrainingSample> {
  const row = await h.db.query.intentTrainingData.findFirst({ where: eq(intentTrainingData.training_id, trainingId) });
  if (!row) throw new NotFoundError("training sample", String(trainingId));
  return row;
}

export async function listTrainingSamples(h: VerdictDb, raw: TrainingListInput = {}): Promise<Page<TrainingSample>> {
  const input = trainingListInput.parse(raw);
  const t = intentTrainingData;
  const where: (SQL | undefined)[] = [
    input.intent_label ? eq(t.intent_label, input.intent_label) : undefined,
    input.validation_status ? eq(t.validation_status, input.validation_status) : undefined,
    input.source ? eq(t.source, input.source) : undefined,
  ];
  if (input.cursor) {
    const [created, id] = decodeCursor(input.cursor, ["string", "int"]);
    where.push(
      or(lt(t.created_at, String(created)), and(eq(t.created_at, String(created)), lt(t.training_id, Number(id)))),
    );
  }
  const rows = await h.db
    .select()
    .from(t)
    .where(and(...where))
    .orderBy(desc(t.created_at), desc(t.training_id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (r) => [r.created_at, r.training_id]);
}

/** Every sample matching the filters (for export and classifier training), oldest first. */
export async function allTrainingSamples(
  h: VerdictDb,
  filter: { validation_status?: ValidationStatus; intent_label?: string } = {},
): Promise<TrainingSample[]> {
  const t = intentTrainingData;
  return h.db
    .select()
    .from(t)
    .where(
      and(
        filter.validation_status ? eq(t.validation_status, filter.validation_status) : undefined,
        filter.intent_label ? eq(t.intent_label, filter.intent_label) : undefined,
      ),
    )
    .orderBy(asc(t.created_at), asc(t.training_id));
}

export async function setTrainingStatus(
  h: VerdictDb,
  raw: z.input<typeof trainingSetStatusInput>,
): Promise<{ updated: number }> {
  const input = trainingSetStatusInput.parse(raw);
  const ids = [...new Set(input.training_ids)];
  return h.db.transaction(async (tx) => {
    const found = await tx
      .select({ id: intentTrainingData.training_id })
      .from(intentTrainingData)
      .where(inArray(intentTrainingData.training_id, ids));
    const known = new Set(found.map((f) => f.id));
    const missing = ids.find((id) => !known.has(id));
    if (missing !== undefined) throw new NotFoundError("training sample", String(missing));
    await tx
      .update(intentTrainingData)
      .set({ validation_status: input.validation_status })
      .where(inArray(intentTrainingData.training_id, ids));
    return { updated: ids.length };
  });
}

/**
 * Sets the confidence threshold of every validated sample of each given intent (the classifier takes
 * an intent's threshold from its samples), in one transaction. An intent without validated samples
 * is an error: a threshold set on nothing would silently do nothing.
 */
export async function setTrainingThresholds(
  h: VerdictDb,
  raw: z.input<typeof trainingSetThresholdsInput>,
): Promise<{ updated: number; intents: number }> {
  const input = trainingSetThresholdsInput.parse(raw);
  const t = intentTrainingData;
  return h.db.transaction(async (tx) => {
    let updated = 0;
    for (const { intent_label, confidence_threshold } of input.thresholds) {
      const rows = await tx
        .update(t)
        .set({ confidence_threshold })
        .where(and(eq(t.intent_label, intent_label), eq(t.validation_status, "validated")))
        .returning({ id: t.training_id });
      if (rows.length === 0) throw new NotFoundError("validated samples of intent", intent_label);
      updated += rows.length;
    }
    return { updated, intents: input.thresholds.length };
  });
}
