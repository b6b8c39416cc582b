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

/** A problem with a file the user gave us: names the file, line, column and field (exit code 1). */
export class InputFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly field: string | null,
    readonly problem: string,
    readonly col: number | null = null,
  ) {
    super(
      `${file}${line === null ? "" : `:${line}${col === null ? "" : `:${col}`}`}: ${field ? `${field}: ` : ""}${problem}`,
    );
    this.name = "InputFileError";
  }
}

/**
 * Every problem found in one input file (up to a limit), so a user fixes them in one round:
 * the CLI prints one `error: file:line:col: field: problem` line per problem.
 */
export class InputFileErrors extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly InputFileError[],
    /** Problems found beyond the reported ones. */
    readonly omitted: number,
  ) {
    super(
      [
        ...problems.map((p) => p.message),
        ...(omitted > 0 ? [`${file}: ${omitted} more problem(s) not shown`] : []),
      ].join("\n"),
    );
    this.name = "InputFileErrors";
  }

  /** The lines to print, each a complete message. */
  get lines(): string[] {
    return this.message.split("\n");
  }
}
