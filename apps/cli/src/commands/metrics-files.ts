/**
 * Files of `verdict metrics import|export`: which gao-dev format a path holds, reading it strictly, and
 * writing an export without ever overwriting what we did not create.
 */
import { execFileSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { readGaoMetricsDb } from "@verdict/db";
import {
  type Dimension,
  GAO_CSV_FILES,
  type ReadRunOptions,
  type ReadRunsResult,
  checkTimeZone,
  rangeBound,
  readGaoCsvFolder,
  readGaoJson,
  readGaoRecords,
} from "@verdict/schema";
import { InputFileError, UsageError } from "../errors.js";

/** `--tz`: an IANA zone name the runtime knows. */
export function tzFlag(value: string | undefined): string {
  if (value === undefined) return "UTC";
  try {
    return checkTimeZone(value);
  } catch {
    throw new UsageError(`--tz: unknown time zone '${value}' (expected an IANA name such as Europe/Paris)`);
  }
}

/** `--since`/`--until` read in `zone`; a bare date covers that whole day. */
export function boundFlag(flag: "--since" | "--until", value: string | undefined, zone: string): string | undefined {
  if (value === undefined) return undefined;
  const bound = rangeBound(value, flag === "--since" ? "since" : "until", zone);
  if (bound === null) throw new UsageError(`${flag}: expected a date or ISO-8601 time, got '${value}'`);
  return bound;
}

/** `--git`: the branch and commit of the git checkout the command runs in. */
export function gitDimensions(): Partial<Record<Dimension, string>> {
  const git = (args: string[]) =>
    execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  try {
    const commit = git(["rev-parse", "HEAD"]);
    const branch = git(["rev-parse", "--abbrev-ref", "HEAD"]);
    return { commit, ...(branch !== "HEAD" ? { branch } : {}) };
  } catch {
    throw new UsageError("--git: not inside a git checkout (or git is not installed)");
  }
}

function isSqlite(file: string): boolean {
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(16);
    return readSync(fd, head, 0, 16, 0) === 16 && head.toString("latin1") === "SQLite format 3\u0000";
  } finally {
    closeSync(fd);
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputFileError(
      file,
      null,
      null,
      code === "ENOENT" ? "file not found" : `cannot read (${code ?? String(e)})`,
    );
  }
}

/**
 * Reads one import path: a folder is gao-dev's CSV export, a SQLite file its metrics.db (opened read-only),
 * anything else a `to_json()` file or a JSON export array. Problems come back as lines, not exceptions.
 */
export function readImportPath(path: string, opts: ReadRunOptions): ReadRunsResult & { lines: string[] } {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch {
    return { kind: "to_json", runs: [], issues: [], partial: false, lines: [`${path}: file not found`] };
  }
  let result: ReadRunsResult;
  let where: (file: string | undefined) => string = () => path;
  if (stat.isDirectory()) {
    const names = new Set(readdirSync(path));
    if (!names.has("runs.csv"))
      return {
        kind: "csv_folder",
        runs: [],
        issues: [],
        partial: true,
        lines: [`${path}: not a gao-dev CSV export folder (no runs.csv)`],
      };
    const files = Object.fromEntries(
      GAO_CSV_FILES.filter((f) => names.has(f)).map((f) => [f, readText(join(path, f))]),
    );
    result = readGaoCsvFolder(files, opts);
    where = (file) => join(path, file ?? "runs.csv");
  } else if (isSqlite(path)) {
    result = readGaoRecords(readGaoMetricsDb(path), opts);
  } else {
    result = readGaoJson(readText(path), opts);
  }
  const lines = result.issues.map(
    (i) => `${where(i.file)}${i.line === null ? "" : `:${i.line}`}: ${i.field}: ${i.problem}`,
  );
  return { ...result, lines };
}

/**
 * Writes an export: `content` is one file's text, or a folder's files by name. The data goes to a temp
 * sibling first and is renamed into place, so a reader never sees half a file; an existing target is
 * refused unless `force`. (One small function, to be swapped for the shared safe-output module.)
 */
export function writeExport(target: string, content: string | Record<string, string>, force: boolean): void {
  if (existsSync(target) && !force) throw new UsageError(`${target} already exists (use --force to overwrite it)`);
  const temp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}`);
  try {
    if (typeof content === "string") {
      writeFileSync(temp, content, { flag: "wx" });
      renameSync(temp, target);
      return;
    }
    if (existsSync(target)) {
      if (!statSync(target).isDirectory()) throw new UsageError(`${target} is a file; a CSV export needs a folder`);
      // --force on an existing folder: each file is replaced on its own, atomically.
      for (const [name, text] of Object.entries(content)) {
        const t = join(target, `.${name}.tmp-${process.pid}`);
        writeFileSync(t, text, { flag: "wx" });
        renameSync(t, join(target, name));
      }
      return;
    }
    // A new folder appears whole: filled under a temp name, then renamed.
    mkdirSync(temp);
    for (const [name, text] of Object.entries(content)) writeFileSync(join(temp, name), text, { flag: "wx" });
    renameSync(temp, target);
  } catch (e) {
    rmSync(temp, { recursive: true, force: true });
    if (e instanceof UsageError) throw e;
    throw new InputFileError(target, null, null, `cannot write (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}
