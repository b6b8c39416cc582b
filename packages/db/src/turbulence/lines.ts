import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";

export interface FileLine {
  /** 1-based line number in the file. */
  line: number;
  text: string;
}

/**
 * Lines of a text file, read through a stream with constant memory. The file is opened read-only.
 * `bytesRead()` is how far the stream has read (chunk granularity), for progress reporting.
 */
export function readLines(path: string): { lines: AsyncIterable<FileLine>; bytesRead: () => number } {
  // 64 KiB chunks: readline queues every line of a chunk for the async iterator; with 1 MiB chunks
  // those queued lines outlived young-generation GCs and the old space grew to ~100 MB of garbage
  // between full GCs (a 1.1 GB import peaked at ~285 MB RSS instead of ~210 MB, and ran slower).
  // 64 KiB chunks: readline queues every line of a chunk for the async iterator; with 1 MiB chunks
  // those queued lines outlived young-generation GCs and the old space filled with ~100 MB of garbage
  // between full GCs (a 1.1 GB import peaked at ~285 MB RSS instead of ~210 MB, and ran slower).
  const stream = createReadStream(path, { flags: "r", highWaterMark: 1 << 16 });
  const rl = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  async function* gen(): AsyncGenerator<FileLine> {
    let line = 0;
    try {
      for await (const text of rl) {
        line++;
        yield { line, text };
      }
    } finally {
      rl.close();
      stream.destroy();
    }
  }
  return { lines: gen(), bytesRead: () => stream.bytesRead };
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
