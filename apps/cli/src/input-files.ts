import { InputFileLimitError, readInputText } from "@verdict/db";
import { LineCounter, isMap, isSeq, parseDocument } from "yaml";
import type { ZodType, z } from "zod";
import { InputFileError } from "./errors.js";

/**
 * Text of an input file: a regular file (a FIFO, a device or a folder is refused without blocking)
 * of at most 64 MiB (MAX_INPUT_FILE_BYTES, checked with fstat before reading), opened read-only.
 */
function readText(file: string): string {
  try {
    return readInputText(file);
  } catch (e) {
    if (e instanceof InputFileLimitError) throw new InputFileError(file, e.line, null, e.problem);
    throw e;
  }
}

/**
 * Reads a JSON or YAML document and validates it with a zod schema. JSON is parsed by the YAML
 * parser too, so both report the line of the offending field: `file:line: field: problem`.
 */
export function readStructuredFile<S extends ZodType>(file: string, schema: S): z.output<S> {
  const text = readText(file);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const parseError = doc.errors[0];
  if (parseError) {
    const pos = parseError.linePos?.[0];
    throw new InputFileError(file, pos?.line ?? null, null, parseError.message.split("\n")[0] ?? "syntax error");
  }
  const value: unknown = doc.toJS();
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.map(String) ?? [];
  // Point at the deepest node of the path that exists in the document.
  let line: number | null = null;
  for (let depth = path.length; depth >= 0 && line === null; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range && (isMap(node) || isSeq(node) || node !== undefined)) line = lineCounter.linePos(range[0]).line;
  }
  throw new InputFileError(file, line, path.join(".") || "document", issue?.message ?? "invalid");
}

/** Lines of a text file with their 1-based numbers, skipping blank ones. */
export function* nonBlankLines(file: string): Generator<{ line: number; text: string }> {
  const lines = readText(file).split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? "";
    if (text.trim() !== "") yield { line: i + 1, text };
  }
}

/** RFC 4180 fields of one CSV line (quoted fields may hold commas and doubled quotes). */
export function parseCsvLine(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = "";
      i++;
      for (;;) {
        if (i >= line.length) return null; // unterminated quote
        const ch = line[i];
        if (ch === '"') {
          if (line[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += ch;
        i++;
      }
      if (i < line.length && line[i] !== ",") return null;
      out.push(value);
      i++;
    } else {
      const end = line.indexOf(",", i);
      const stop = end === -1 ? line.length : end;
      out.push(line.slice(i, stop).trim());
      i = stop + 1;
    }
  }
  return out;
}

export function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
