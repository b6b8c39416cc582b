/** A mistake in how the command was called (exit code 2). */
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
