import pc from "picocolors";
import { createSupportsColor } from "supports-color";
import { loadEnv } from "./config.js";

const env = loadEnv();

// `verdict … | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
}
/**
 * Colour on a stream: FORCE_COLOR (any value but 0/false) turns it on, else NO_COLOR (any non-empty
 * value) turns it off, else supports-color decides (a TTY, and not TERM=dumb).
 */
export function colorOn(stream: NodeJS.WriteStream): boolean {
  if (env.noColor && !env.forceColor) return false;
  return createSupportsColor(stream, { sniffFlags: false }) !== false;
}
/** Colours for stdout (tables, results) and for stderr (errors, notes), each decided for its own stream. */
export const color = pc.createColors(colorOn(process.stdout));
export const errColor = pc.createColors(colorOn(process.stderr));

/** -q/--quiet: only results and errors; -v/--verbose: timings, stack of an internal error. */
export type Verbosity = "quiet" | "normal" | "verbose";
let verbosity: Verbosity = "normal";
export function setVerbosity(v: Verbosity): void {
  verbosity = v;
}
export function isVerbose(): boolean {
  return verbosity === "verbose";
}
export function isQuiet(): boolean {
  return verbosity === "quiet";
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export type Cell = string | number | boolean | null | undefined;

function cellText(v: unknown): string {
  if (v === null || v === undefined) return "-";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(2);
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** A plain aligned table for people; wide cells are cut with an ellipsis. */
export function printTable(rows: readonly object[], columns: string[], opts: { maxWidth?: number } = {}): void {
  const max = opts.maxWidth ?? 48;
  if (rows.length === 0) {
    process.stdout.write(`${color.dim("(no rows)")}\n`);
    return;
  }
  const text = rows.map((r) =>
    columns.map((c) => {
      const t = cellText((r as Record<string, unknown>)[c]).replace(/\s+/g, " ");
      return t.length > max ? `${t.slice(0, max - 1)}…` : t;
    }),
  );
  const widths = columns.map((c, i) => Math.max(c.length, ...text.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  process.stdout.write(`${color.bold(line(columns))}\n`);
  for (const row of text) process.stdout.write(`${line(row)}\n`);
}

export function printKeyValues(obj: object): void {
  const width = Math.max(...Object.keys(obj).map((k) => k.length));
  for (const [k, v] of Object.entries(obj)) process.stdout.write(`${color.dim(k.padEnd(width))}  ${cellText(v)}\n`);
}

/** What a command did (a confirmation, a warning): on stderr, kept by --quiet. */
export function info(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Progress and hints (next page, nothing to do): on stderr, dropped by --quiet. */
export function note(message: string): void {
  if (verbosity !== "quiet") process.stderr.write(`${message}\n`);
}

/** Detail only --verbose shows (timings, counts). */
export function detail(message: string): void {
  if (verbosity === "verbose") process.stderr.write(`${errColor.dim(message)}\n`);
}
