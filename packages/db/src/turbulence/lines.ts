import { createReadStream } from "node:fs";
import { RunFileError } from "./errors.js";
import { InputFileLimitError, MAX_LINE_BYTES, openInputFile, readInputText, sizeText } from "../input-files.js";

export interface FileLine {
  /** 1-based line number in the file. */
  line: number;
  text: string;
}

/**
 * Lines of a text file (split at \n, a trailing \r dropped), read through a stream with constant
 * memory. Only a regular file is accepted (a FIFO or a device is refused before it is read) and it
 * is opened read-only. A line longer than `maxLineBytes` (default MAX_LINE_BYTES, 64 MiB) fails with
 * `file:line: line longer than 64 MiB` once that many bytes of it are held, never buffering more.
 * `bytesRead()` is how far the stream has read (chunk granularity), for progress reporting.
 */
export function readLines(
  path: string,
  opts: { maxLineBytes?: number } = {},
): { lines: AsyncIterable<FileLine>; batches: AsyncIterable<FileLine[]>; bytesRead: () => number } {
  const max = opts.maxLineBytes ?? MAX_LINE_BYTES;
  const { fd } = openInputFile(path);
  // 64 KiB chunks, split here line by line as the consumer asks for them: no queue of decoded lines
  // outlives a young-generation GC (with readline and 1 MiB chunks a 1.1 GB import peaked at ~285 MB
  // RSS instead of ~210 MB).
  const stream = createReadStream("", { fd, highWaterMark: 1 << 16 });
  const tooLong = (line: number) => new InputFileLimitError(path, line, `line longer than ${sizeText(max)}`);
  const text = (b: Buffer): string => {
    const end = b.length > 0 && b[b.length - 1] === 13 ? b.length - 1 : b.length;
    return b.toString("utf8", 0, end);
  };
  // The lines of each chunk come out together: one await per chunk instead of one per line.
  async function* gen(): AsyncGenerator<FileLine[]> {
    let line = 0;
    // The start of the current line, from earlier chunks.
    let parts: Buffer[] = [];
    let held = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        const out: FileLine[] = [];
        let start = 0;
        for (;;) {
          const nl = chunk.indexOf(10, start);
          if (nl === -1) break;
          const piece = chunk.subarray(start, nl);
          line++;
          if (held + piece.length > max) {
            if (out.length > 0) yield out;
            throw tooLong(line);
          }
          if (held === 0) out.push({ line, text: text(piece) });
          else {
            parts.push(piece);
            const whole = Buffer.concat(parts, held + piece.length);
            parts = [];
            held = 0;
            out.push({ line, text: text(whole) });
          }
          start = nl + 1;
        }
        if (start < chunk.length) {
          const rest = chunk.subarray(start);
          if (held + rest.length > max) {
            if (out.length > 0) yield out;
            throw tooLong(line + 1);
          }
          parts.push(rest);
          held += rest.length;
        }
        if (out.length > 0) yield out;
      }
      if (held > 0) yield [{ line: line + 1, text: text(Buffer.concat(parts, held)) }];
    } finally {
      stream.destroy();
    }
  }
  const batches = gen();
  async function* one(): AsyncGenerator<FileLine> {
    for await (const b of batches) yield* b;
  }
  return { lines: one(), batches, bytesRead: () => stream.bytesRead };
}

/**
 * Text of a whole JSON file of a run folder (manifest.json, summary.json, variation.json): a regular
 * file of at most MAX_INPUT_FILE_BYTES (64 MiB); otherwise RunFileError `file: (file): problem`.
 */
export function readRunJsonText(path: string, display: string = path): string {
  try {
    return readInputText(path, { display });
  } catch (e) {
    if (e instanceof InputFileLimitError) throw new RunFileError(display, null, "(file)", e.problem);
    throw e;
  }
}

/** 1-based line of a character offset in `text` (for JSON syntax errors and manifest keys). */
export function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Line where a top-level key of a pretty-printed JSON document is written (1 if not found). */
export function lineOfKey(text: string, key: string): number {
  const m = new RegExp(`${JSON.stringify(key).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*:`).exec(text);
  return m ? lineOfOffset(text, m.index) : 1;
}

/** `JSON.parse` message → 1-based line, when the engine reports a position. */
export function jsonErrorLine(text: string, message: string): number {
  const m = /position (\d+)/.exec(message);
  if (m?.[1]) return lineOfOffset(text, Number(m[1]));
  const l = /line (\d+)/.exec(message);
  return l?.[1] ? Number(l[1]) : 1;
}
