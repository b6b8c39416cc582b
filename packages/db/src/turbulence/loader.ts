/**
 * The loader: lines of one source (a .jsonl file, or a table of turbulence.db rendered as lines)
 * → a row mapper → batched inserts into the import's sink. A bad line is an error naming the file,
 * line and field, or, with skipInvalid, a skipped line; a row the database refuses is found by
 * re-inserting its batch one row at a time.
 */
import { errorTextOf } from "../errors.js";
import { ImportInterruptedError, RunFileError } from "./errors.js";
import type { FieldProblem } from "./format.js";
import type { FileLine } from "./lines.js";
import type { Json, RowResult } from "./mappers.js";
import type { ProgressMeter } from "./progress.js";
import type { ImportSink, ImportTable } from "./sink.js";

export interface SkippedLine {
  file: string;
  line: number | null;
  field: string;
  problem: string;
}

export interface LineSource {
  /** The file named in errors. */
  file: string;
  /** The lines, a few at a time (one await per group, not per line). */
  lines: AsyncIterable<readonly FileLine[]>;
  bytesRead: () => number;
  /** Whether the source ends with a newline (a file being written may end mid-line); absent: it does. */
  endsWithNewline?: () => boolean;
}

export interface LoadOptions {
  runId: string;
  batchSize: number;
  skipInvalid: boolean;
  skipped: SkippedLine[];
  meter: ProgressMeter;
  signal: AbortSignal | undefined;
  /**
   * A row names an instance that is not there: return true after inserting a stand-in for it (the
   * row is then retried), false to refuse the row. Only interrupted runs have such rows legitimately.
   */
  onMissingInstance?: (instanceId: string) => Promise<boolean>;
  /**
   * The run was interrupted or is still being written: a last line cut short (no newline after it,
   * not valid JSON) is left out and listed in `skipped` instead of refusing the run.
   */
  tornTailAllowed?: boolean;
}

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

export function dbProblem(e: unknown, instanceId: string, table: ImportTable): FieldProblem {
  const text = errorTextOf(e);
  if (/FOREIGN KEY constraint failed/i.test(text))
    return { field: "instance_id", problem: `no instance '${instanceId}' in instances.jsonl` };
  if (table === "instances" && /UNIQUE constraint failed/i.test(text))
    return { field: "instance_id", problem: `duplicate instance '${instanceId}'` };
  const m = /CHECK constraint failed: ([A-Za-z0-9_]+)/.exec(text);
  if (m?.[1]) return { field: "(row)", problem: `refused by the database (${m[1]})` };
  return { field: "(row)", problem: `refused by the database (${text})` };
}

export function checkAbort(o: Pick<LoadOptions, "signal" | "runId">): void {
  if (o.signal?.aborted) throw new ImportInterruptedError(o.runId);
}

/** Loads every line of `src` into `table`; returns the number of rows written. */
export async function loadLines<T extends readonly unknown[]>(
  sink: ImportSink,
  table: ImportTable,
  src: LineSource,
  map: (obj: Json, text: string) => RowResult<T>,
  o: LoadOptions,
): Promise<number> {
  let written = 0;
  const fail = (file: string, line: number | null, p: FieldProblem) => {
    if (!o.skipInvalid) throw new RunFileError(file, line, p.field, p.problem);
    o.skipped.push({ file, line, field: p.field, problem: p.problem });
  };
  let batch: T[] = [];
  let batchLines: number[] = [];
  // One batch in flight: the sink's writer thread inserts it while this thread parses the next one.
  let pending: { rows: T[]; lines: number[]; done: Promise<unknown> } | null = null;
  /** Waits for the batch in flight; a refused batch is re-inserted one row at a time to find the bad rows. */
  const settle = async () => {
    if (!pending) return;
    const { rows, lines, done } = pending;
    pending = null;
    try {
      await done;
      written += rows.length;
      o.meter.rows += rows.length;
      return;
    } catch (e) {
      if (!/constraint failed/i.test(errorTextOf(e))) throw e;
    }
    // Find the refused rows one at a time (a failed statement leaves the transaction usable).
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as T;
      const one = async () => {
        await sink.insert(table, [row] as unknown as readonly (readonly never[])[]);
        written++;
        o.meter.rows++;
      };
      try {
        await one();
      } catch (e) {
        const missing = /FOREIGN KEY constraint failed/i.test(errorTextOf(e));
        if (missing && o.onMissingInstance && (await o.onMissingInstance(String(row[1])))) {
          try {
            await one();
            continue;
          } catch (again) {
            fail(src.file, lines[i] ?? null, dbProblem(again, String(row[1]), table));
            continue;
          }
        }
        fail(src.file, lines[i] ?? null, dbProblem(e, String(row[1]), table));
      }
    }
  };
  /** A bad line: the batch in flight (earlier lines) is settled first, so the first bad line is the one reported. */
  const failLine = async (file: string, line: number | null, p: FieldProblem) => {
    if (!o.skipInvalid) await settle();
    fail(file, line, p);
  };
  const flush = async () => {
    await settle();
    if (batch.length === 0) return;
    checkAbort(o);
    if (o.meter.rows > 0) o.meter.report(false); // the first batch is still in flight: nothing written yet
    // A chunk is committed with nothing in flight.
    await sink.breathe();
    const done = sink.insert(table, batch as unknown as readonly (readonly never[])[]);
    done.catch(() => {}); // handled by settle()
    pending = { rows: batch, lines: batchLines, done };
    batch = [];
    batchLines = [];
  };
  const skippedBefore = o.skipped.length;
  o.meter.currentBytes = src.bytesRead;
  // A line that is not JSON might be the last one, cut short by a writer that is still running.
  let unparsed: { line: number; problem: FieldProblem } | null = null;
  for await (const group of src.lines)
    for (const { line, text } of group) {
      if (o.signal?.aborted) checkAbort(o);
      if (text.trim() === "") continue;
      if (unparsed) {
        await failLine(src.file, unparsed.line, unparsed.problem);
        unparsed = null;
      }
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch (e) {
        const problem = { field: "(json)", problem: `not valid JSON (${errorTextOf(e)})` };
        if (o.tornTailAllowed) unparsed = { line, problem };
        else await failLine(src.file, line, problem);
        continue;
      }
      if (!isObject(obj)) {
        await failLine(src.file, line, { field: "(json)", problem: "expected a JSON object" });
        continue;
      }
      const r = map(obj, text);
      if (!r.ok) {
        await failLine(r.file ?? src.file, r.file ? (r.line ?? null) : line, r.problem);
        continue;
      }
      batch.push(r.row);
      batchLines.push(line);
      if (batch.length >= o.batchSize) await flush();
    }
  if (unparsed) {
    if (src.endsWithNewline?.() === false)
      o.skipped.push({
        file: src.file,
        line: unparsed.line,
        field: "(line)",
        problem: "last line cut short (the run was still writing it); left out",
      });
    else await failLine(src.file, unparsed.line, unparsed.problem);
  }
  await flush();
  await settle();
  // Row refusals are found at flush time, after later lines' parse errors: list them in file order.
  const mine = o.skipped.splice(skippedBefore).sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  o.skipped.push(...mine);
  return written;
}
