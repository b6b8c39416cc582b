/**
 * Exit codes of every Verdict command (README and `verdict --help` show the same table):
 * 0 ok, 1 failure, 2 a gate/threshold/regression violation (like turbulence's --fail-on), 64 usage error
 * (EX_USAGE of sysexits.h), so CI can tell "the run is bad" from "the command line is bad".
 */
export const EXIT = { ok: 0, failure: 1, violation: 2, usage: 64 } as const;

/** A mistake in how the command was called (exit code 64). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A problem with a file the user gave us: names the file, line and field (exit code 1). */
export class InputFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly field: string | null,
    problem: string,
  ) {
    super(`${file}${line === null ? "" : `:${line}`}: ${field ? `${field}: ` : ""}${problem}`);
    this.name = "InputFileError";
  }
}
