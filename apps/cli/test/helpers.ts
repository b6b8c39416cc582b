import type { CliResult } from "@verdict/testing";
import { expect } from "vitest";

/** A user mistake: exit code, a single `error:` line on stderr, no stack frames. Returns that line. */
export function expectOneLineError(r: CliResult, code: number): string {
  expect(r.status, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(code);
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return lines[0] ?? "";
}
