import Table from "cli-table3";
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

/**
 * One --json shape for every list: `{ items, next_cursor }` (next_cursor null on the last page),
 * plus any other top-level field of the page (e.g. `total`), snake_case.
 */
export function printPage<T>(page: { items: readonly T[]; nextCursor?: string | null } | readonly T[]): void {
  if (Array.isArray(page)) {
    printJson({ items: page, next_cursor: null });
    return;
  }
  const { items, nextCursor, ...rest } = page as { items: readonly T[]; nextCursor?: string | null };
  printJson({ items, next_cursor: nextCursor ?? null, ...rest });
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes are control characters
const ANSI = /\u001b\[[0-9;]*m/g;
const visible = (s: string) => s.replace(ANSI, "");

/** Decimals of a number as printed: integers none, other numbers at most 2 (0.125 → 0.13). */
function decimalsOf(v: number): number {
  if (Number.isInteger(v)) return 0;
  return Math.min(2, (String(v).split(".")[1] ?? "").length);
}

/** A value as text; numbers with `decimals` places (default: integers as they are, others 2). */
function cellText(v: unknown, decimals?: number): string {
  if (v === null || v === undefined) return "-";
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return String(v);
    return v.toFixed(decimals ?? (Number.isInteger(v) ? 0 : 2));
  }
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** Cuts `s` to `width` visible characters with a visible ellipsis (colour codes dropped when cut). */
function fit(s: string, width: number): string {
  const plain = visible(s);
  if (plain.length <= width) return s;
  return `${plain.slice(0, Math.max(0, width - 1))}…`;
}

const NO_BORDERS = {
  top: "",
  "top-mid": "",
  "top-left": "",
  "top-right": "",
  bottom: "",
  "bottom-mid": "",
  "bottom-left": "",
  "bottom-right": "",
  left: "",
  "left-mid": "",
  mid: "",
  "mid-mid": "",
  right: "",
  "right-mid": "",
  middle: "  ",
};

/** A column key's unit suffix and how its header writes the unit. */
const UNITS: readonly [suffix: string, unit: string][] = [
  ["_ms", "ms"],
  ["_seconds", "s"],
  ["_s", "s"],
  ["_pct", "%"],
  ["_pt", "pt"],
];

/**
 * A column's header: a key ending in a unit (`p95_ms`, `duration_s`, `timeout_seconds`, `pass_rate_pct`,
 * `pass_delta_pt`) is written with the unit in parentheses (`p95 (ms)`, `duration (s)`, `timeout (s)`,
 * `pass rate (%)`, `pass delta (pt)`), so cells hold bare numbers; other keys are shown as they are.
 */
export function columnHeader(key: string): string {
  for (const [suffix, unit] of UNITS)
    if (key.length > suffix.length && key.endsWith(suffix))
      return `${key.slice(0, -suffix.length).replace(/_/g, " ")} (${unit})`;
  return key;
}

/**
 * A table for people (cli-table3): numeric columns right-aligned with the same decimals in every row,
 * other cells left-aligned; on a terminal the table fits its width (process.stdout.columns): the
 * widest columns are cut with a visible "…". Piped output is never cut. Error text never goes
 * through here (errors are whole lines on stderr).
 */
export function printTable(rows: readonly object[], columns: string[], opts: { maxWidth?: number } = {}): void {
  if (rows.length === 0) {
    process.stdout.write(`${color.dim("(no rows)")}\n`);
    return;
  }
  const values = rows.map((r) => columns.map((c) => (r as Record<string, unknown>)[c]));
  const numeric = columns.map(
    (_, i) =>
      values.every((row) => typeof row[i] === "number" || row[i] === null || row[i] === undefined) &&
      values.some((row) => typeof row[i] === "number"),
  );
  const decimals = columns.map((_, i) =>
    numeric[i]
      ? Math.max(0, ...values.map((row) => (typeof row[i] === "number" ? decimalsOf(row[i] as number) : 0)))
      : undefined,
  );
  const heads = columns.map(columnHeader);
  let text = values.map((row) => row.map((v, i) => cellText(v, decimals[i]).replace(/\s+/g, " ")));
  const widths = heads.map((h, i) => Math.max(h.length, ...text.map((row) => visible(row[i] ?? "").length)));
  const tty = Boolean(process.stdout.isTTY);
  const limit = tty && process.stdout.columns ? process.stdout.columns : Number.POSITIVE_INFINITY;
  // On a terminal a long free-text column (an error message) may be capped by its command.
  if (tty && opts.maxWidth)
    for (let i = 0; i < widths.length; i++)
      widths[i] = Math.min(widths[i] ?? 0, Math.max(opts.maxWidth, heads[i]?.length ?? 0));
  // Two spaces between columns, no borders.
  const overhead = 2 * (columns.length - 1);
  while (widths.reduce((a, b) => a + b, 0) + overhead > limit) {
    const widest = widths.indexOf(Math.max(...widths));
    const w = widths[widest] ?? 0;
    if (w <= 8) break; // narrower than this is unreadable: let the terminal wrap instead
    widths[widest] = w - 1;
  }
  text = text.map((row) => row.map((cell, i) => fit(cell, widths[i] ?? 0)));
  const table = new Table({
    head: heads.map((h, i) => color.bold(fit(h, widths[i] ?? h.length))),
    colAligns: numeric.map((n) => (n ? "right" : "left")),
    chars: NO_BORDERS,
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
    wordWrap: false,
  });
  for (const row of text) table.push(row);
  process.stdout.write(
    `${table
      .toString()
      .split("\n")
      .map((l) => l.trimEnd())
      .join("\n")}\n`,
  );
}

export function printKeyValues(obj: object): void {
  const width = Math.max(...Object.keys(obj).map((k) => k.length));
  for (const [k, v] of Object.entries(obj)) process.stdout.write(`${color.dim(k.padEnd(width))}  ${cellText(v)}\n`);
}

/** --json anywhere on the command line: errors too are JSON (decided before parsing, for usage errors). */
const jsonErrors = process.argv.slice(2).includes("--json");

/**
 * An error on stderr: `error: MESSAGE` lines for people; under --json one JSON object
 * `{"error":{"code":…,"message":…}}` (several problems of one file: their lines in `problems`).
 */
export function printError(code: string, message: string | readonly string[]): void {
  const lines = typeof message === "string" ? [message] : message;
  if (jsonErrors) {
    const error = { code, message: lines[0] ?? "", ...(lines.length > 1 ? { problems: lines } : {}) };
    process.stderr.write(`${JSON.stringify({ error })}\n`);
    return;
  }
  for (const line of lines) process.stderr.write(`${errColor.red("error:")} ${line}\n`);
}

/** Commander's own messages (unknown option, missing argument): through printError under --json. */
export function commanderErrorOutput(str: string, write: (s: string) => void): void {
  if (!jsonErrors) {
    write(str);
    return;
  }
  const [first = "", ...rest] = str.trimEnd().split("\n");
  const hint = rest.filter((l) => !l.startsWith("(run "));
  printError(
    "USAGE",
    [first.replace(/^error: /, ""), ...hint].filter((l) => l !== ""),
  );
}

/** Commander's other stderr text (the "run verdict --help" hint): left out under --json, whose error says it all. */
export function commanderErrorText(str: string): void {
  if (!jsonErrors) process.stderr.write(str);
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
