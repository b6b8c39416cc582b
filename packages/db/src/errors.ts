/**
 * Typed errors thrown by the database layer and the service verbs on top of it.
 * Each carries a stable `code` so transports (tRPC, CLI) can map it without string matching.
 */
export type VerdictErrorCode =
  | "NOT_FOUND"
  | "CONFLICT"
  | "CONSTRAINT"
  | "VALIDATION"
  | "SCHEMA_MISMATCH"
  | "MIGRATION"
  | "CONNECTION"
  | "STORAGE"
  | "UNAUTHORIZED"
  | "FORBIDDEN";

export class VerdictError extends Error {
  readonly code: VerdictErrorCode;
  /** Field, constraint or file the problem is about, when there is one. */
  readonly target: string | undefined;
  constructor(code: VerdictErrorCode, message: string, options?: { target?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.target = options?.target;
  }
}

export class NotFoundError extends VerdictError {
  constructor(entity: string, id: string) {
    super("NOT_FOUND", `${entity} '${id}' not found`, { target: entity });
  }
}

export class ConflictError extends VerdictError {
  constructor(message: string, target?: string) {
    super("CONFLICT", message, target === undefined ? undefined : { target });
  }
}

/** A row broke a CHECK, FOREIGN KEY, NOT NULL or UNIQUE rule; `constraint` names which one. */
export class ConstraintError extends VerdictError {
  readonly constraint: string;
  readonly kind: "check" | "foreign_key" | "not_null" | "unique" | "other";
  constructor(kind: ConstraintError["kind"], constraint: string, message: string, cause?: unknown) {
    super(kind === "unique" ? "CONFLICT" : "CONSTRAINT", message, { target: constraint, cause });
    this.kind = kind;
    this.constraint = constraint;
  }
}

export class ValidationError extends VerdictError {
  constructor(field: string, message: string) {
    super("VALIDATION", `${field}: ${message}`, { target: field });
  }
}

/** The database's schema does not match this version of the code; `fix` is the command that repairs it. */
export class SchemaMismatchError extends VerdictError {
  readonly fix: string;
  constructor(message: string, fix: string, target?: string) {
    super("SCHEMA_MISMATCH", `${message} (fix: ${fix})`, target === undefined ? undefined : { target });
    this.fix = fix;
  }
}

export class MigrationError extends VerdictError {
  constructor(message: string, target?: string, cause?: unknown) {
    super("MIGRATION", message, { ...(target === undefined ? {} : { target }), cause });
  }
}

export class ConnectionError extends VerdictError {
  constructor(message: string, cause?: unknown) {
    super("CONNECTION", message, { cause });
  }
}

/** What kind of storage fault a StorageError is; each maps to one cause a person can act on. */
export type StorageFaultKind =
  | "disk_full"
  | "busy"
  | "unreachable"
  | "read_only"
  | "not_a_database"
  | "corrupt"
  | "io"
  | "permission";

/**
 * The database (a file or a libSQL server) could not do what was asked, for a reason outside the request:
 * disk full, busy for too long, server unreachable, token not allowed to write, not a database file.
 * The message names the database (path or redacted URL) and the cause, in one line, and never holds
 * SQL text or bound values. Transports answer it with 503 (HTTP) or exit 1 (CLI).
 */
export class StorageError extends VerdictError {
  readonly kind: StorageFaultKind;
  /** The database it is about: a file path or a URL without credentials. */
  readonly database: string;
  constructor(kind: StorageFaultKind, database: string, message: string, cause?: unknown) {
    super("STORAGE", message, { target: database, cause });
    this.kind = kind;
    this.database = database;
  }
}

export function isVerdictError(e: unknown): e is VerdictError {
  return e instanceof VerdictError;
}

/** Message of an error and of its causes, in one line (drizzle and the driver wrap each other). */
export function errorTextOf(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur instanceof Error; i++) {
    if (!parts.some((p) => p.includes(cur instanceof Error ? cur.message : ""))) parts.push(cur.message);
    cur = cur.cause;
  }
  if (parts.length === 0) parts.push(String(e));
  return parts.join(": ");
}
