/**
 * The config file's schema and its reader (zod, every problem as `file:line:col: field: problem`).
 * A module of its own: config-file.ts loads it only when a config file is found.
 */
import { readFileSync } from "node:fs";
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { readStructuredFile } from "./input-files.js";

const optionValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);

export const cliConfigFile = z.strictObject({
  /** Database URL; a relative `file:` path is relative to the config file's folder. */
  database: z.string().min(1).optional(),
  database_auth_token: z.string().min(1).optional(),
  server: z.url().optional(),
  token: z.string().min(1).optional(),
  /** Defaults of each command's options: `"runs list": { sut: shop-api, limit: 20 }` (long flag names). */
  commands: z.record(z.string(), z.record(z.string(), optionValue)).optional(),
});
export type CliConfigFile = z.output<typeof cliConfigFile>;

/** Reads and checks a config file (an empty file is an empty config). */
export function readConfigFile(filepath: string): CliConfigFile {
  return readStructuredFile(filepath, cliConfigFile);
}

/** Line and column of `path` in the config file (for problems found after reading it). */
export function locateInFile(file: string, path: string[]): { line: number | null; col: number | null } {
  try {
    const lines = new LineCounter();
    const doc = parseDocument(readFileSync(file, "utf8"), { lineCounter: lines });
    // The key of the deepest pair on the path.
    let node: unknown = doc.contents;
    let offset: number | null = null;
    for (const key of path) {
      const items = (node as { items?: { key?: { value?: unknown; range?: number[] }; value?: unknown }[] })?.items;
      const pair = items?.find((p) => p.key?.value === key);
      if (!pair) break;
      offset = pair.key?.range?.[0] ?? offset;
      node = pair.value;
    }
    if (offset === null) return { line: null, col: null };
    const pos = lines.linePos(offset);
    return { line: pos.line, col: pos.col };
  } catch {
    return { line: null, col: null };
  }
}
