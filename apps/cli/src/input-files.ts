import { InputFileLimitError, readInputText } from "@verdict/db";
import { LineCounter, parseDocument } from "yaml";
import type { ZodType, z } from "zod";
import { InputFileError } from "./errors.js";
import { type SourceDoc, issueProblems, jsonSyntaxPosition, problemsError, syntaxProblems } from "./file-issues.js";

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
 * Reads a JSON or YAML document and validates it with a zod schema. Every problem is reported at once
 * (up to MAX_PROBLEMS), each as `file:line:col: field: problem`: syntax errors, values the schema
 * refuses, and unknown keys (the schemas of input files are strict) with a "did you mean".
 * JSON is parsed by the YAML parser too, for the positions of its nodes; a .json file is first
 * checked by JSON.parse, so a JSON-only mistake (a trailing comma) is not let through as YAML.
 */
export function readStructuredFile<S extends ZodType>(file: string, schema: S): z.output<S> {
  const text = readText(file);
  if (/\.json$/i.test(file)) {
    try {
      JSON.parse(text);
    } catch (e) {
      const pos = jsonSyntaxPosition(text, e);
      throw new InputFileError(file, pos.line, null, `syntax error: ${pos.message}`, pos.col);
    }
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const src: SourceDoc = { doc, lines };
  const syntax = syntaxProblems(file, src);
  if (syntax.length > 0) throw problemsError(file, syntax);
  const value: unknown = doc.toJS();
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw problemsError(file, issueProblems(file, src, schema, value, result.error.issues));
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
