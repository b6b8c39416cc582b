import { loadEnv } from "./config.js";

const env = loadEnv();

// `verdict … | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
}
const useColor = env.stdoutIsTTY && !env.noColor;
const wrap = (code: number) => (s: string) => (useColor ? `\u001b[${code}m${s}\u001b[0m` : s);
export const color = { red: wrap(31), green: wrap(32), yellow: wrap(33), dim: wrap(2), bold: wrap(1), cyan: wrap(36) };

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

export function info(message: string): void {
  process.stderr.write(`${message}\n`);
}
