import { VerdictError } from "../errors.js";

/**
 * A problem in a file of a run folder: `file:line: field: problem` (the file path as the caller gave
 * the folder; no line when the problem is the file itself).
 */
export class RunFileError extends VerdictError {
  readonly file: string;
  readonly line: number | null;
  readonly field: string;
  readonly problem: string;
  constructor(file: string, line: number | null, field: string, problem: string) {
    super("VALIDATION", `${file}${line === null ? "" : `:${line}`}: ${field}: ${problem}`, { target: field });
    this.file = file;
    this.line = line;
    this.field = field;
    this.problem = problem;
  }
}

/** The import was stopped (Ctrl-C / an aborted signal); its transaction was rolled back. */
export class ImportInterruptedError extends Error {
  readonly runId: string;
  constructor(runId: string) {
    super(`import of run '${runId}' interrupted; nothing was written`);
    this.name = "ImportInterruptedError";
    this.runId = runId;
  }
}
