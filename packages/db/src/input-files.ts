/**
 * Bounded reading of files a user hands us (scenario, training and metrics files, run folders).
 *
 * - Only regular files: a FIFO, a device (/dev/zero), a socket or a folder is refused before it is
 *   read, so nothing ever blocks on a pipe without a writer or reads forever. The path is checked with
 *   stat, opened with O_NONBLOCK (an open of a FIFO never waits) and checked again on the open
 *   descriptor, so a file swapped in between is caught too.
 * - Whole-file reads (JSON, YAML, CSV) are refused past MAX_INPUT_FILE_BYTES, checked with fstat before
 *   a byte is read; line-by-line reads refuse a line past MAX_LINE_BYTES without buffering more of it.
 * - Files are opened read-only.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from "node:fs";
import { VerdictError } from "./errors.js";

const MiB = 1024 * 1024;
/** Largest JSON/YAML/CSV/JSONL file read whole (scenario, training, metrics, manifest.json, summary.json). */
export const MAX_INPUT_FILE_BYTES = 64 * MiB;
/** Longest line of a file read line by line (the turbulence JSONL files). */
export const MAX_LINE_BYTES = 64 * MiB;

/** `N MiB` when `bytes` is a whole number of MiB, else `N bytes`. */
export function sizeText(bytes: number): string {
  return bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${bytes} bytes`;
}

/**
 * An input file that cannot be read as asked: missing, not a regular file, too large, a line too
 * long. Message: `file[:line]: problem`.
 */
export class InputFileLimitError extends VerdictError {
  readonly file: string;
  readonly line: number | null;
  readonly problem: string;
  constructor(file: string, line: number | null, problem: string, cause?: unknown) {
    super("VALIDATION", `${file}${line === null ? "" : `:${line}`}: ${problem}`, { target: file, cause });
    this.file = file;
    this.line = line;
    this.problem = problem;
  }
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return "a folder";
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

function notRegular(file: string, st: Stats): InputFileLimitError {
  return new InputFileLimitError(file, null, `not a regular file (${kindOf(st)}); give a file`);
}

function cannotRead(file: string, e: unknown): InputFileLimitError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return new InputFileLimitError(file, null, "file not found", e);
  if (code === "EACCES" || code === "EPERM") return new InputFileLimitError(file, null, "permission denied", e);
  return new InputFileLimitError(
    file,
    null,
    `cannot read (${code ?? (e instanceof Error ? e.message : String(e))})`,
    e,
  );
}

/**
 * Opens a regular file read-only; refuses anything else without blocking. The caller closes `fd`.
 * `display` is how the file is named in errors (default: `path`).
 */
export function openInputFile(path: string, display: string = path): { fd: number; size: number } {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    throw cannotRead(display, e);
  }
  if (!st.isFile()) throw notRegular(display, st);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw cannotRead(display, e);
  }
  const again = fstatSync(fd);
  if (!again.isFile()) {
    closeSync(fd);
    throw notRegular(display, again);
  }
  return { fd, size: again.size };
}

/**
 * Text of a whole (UTF-8) input file, refused when it is not a regular file or larger than
 * `maxBytes` (default MAX_INPUT_FILE_BYTES; checked with fstat before reading, and again while
 * reading in case the file grows).
 */
export function readInputText(path: string, opts: { display?: string; maxBytes?: number } = {}): string {
  const display = opts.display ?? path;
  const max = opts.maxBytes ?? MAX_INPUT_FILE_BYTES;
  const { fd, size } = openInputFile(path, display);
  const tooLarge = () => new InputFileLimitError(display, null, `file larger than ${sizeText(max)}`);
  try {
    if (size > max) throw tooLarge();
    let buf = Buffer.allocUnsafe(size + 1);
    let used = 0;
    for (;;) {
      if (used === buf.length) {
        // The file grew since fstat: read on, up to the limit.
        const bigger = Buffer.allocUnsafe(Math.min(max + 1, buf.length * 2));
        buf.copy(bigger, 0, 0, used);
        buf = bigger;
      }
      let n: number;
      try {
        n = readSync(fd, buf, used, buf.length - used, null);
      } catch (e) {
        throw cannotRead(display, e);
      }
      if (n === 0) break;
      used += n;
      if (used > max) throw tooLarge();
    }
    return buf.toString("utf8", 0, used);
  } finally {
    closeSync(fd);
  }
}
