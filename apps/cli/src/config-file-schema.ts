/**
 * The config file's schema and its reader (zod, every problem as `file:line:col: field: problem`).
 * A module of its own: config-file.ts loads it only when a config file is found.
 */
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
