/**
 * Files of `verdict metrics import|export`: which gao-dev format a path holds, reading it strictly, and
 * writing an export without ever overwriting what we did not create.
 */
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, readSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import {
  PendingOutput,
  commitOutputs,
  openInputFile,
  readGaoMetricsDb,
  readInputText,
  writeOutputFile,
} from "@verdict/db";
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
import { UsageError } from "../errors.js";

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
  const { fd } = openInputFile(file);
  try {
    const head = Buffer.alloc(16);
    return readSync(fd, head, 0, 16, 0) === 16 && head.toString("latin1") === "SQLite format 3\u0000";
  } finally {
    closeSync(fd);
  }
}

/** A whole input file: regular files only, at most MAX_INPUT_FILE_BYTES (see @verdict/db input-files). */
function readText(file: string): string {
  return readInputText(file);
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
 * Writes an export through the shared safe output (temp file, fsync, then into place): `content` is one
 * file's text, or a CSV folder's files by name. An existing file is refused unless `force`, and even
 * then only the files this export writes are replaced; `protect` (the open database) is never written.
 */
export function writeExport(
  target: string,
  content: string | Record<string, string>,
  opts: { force: boolean; protect: readonly string[] },
): void {
  if (typeof content === "string") {
    writeOutputFile(target, content, opts);
    return;
  }
  if (existsSync(target) && !statSync(target).isDirectory())
    throw new UsageError(`${target} is a file; a CSV export needs a folder`);
  const outputs = Object.keys(content).map((name) => PendingOutput.create(join(target, name), opts));
  try {
    for (const o of outputs) {
      try {
        writeFileSync(o.tmp, content[basename(o.target)] ?? "");
      } catch (e) {
        throw o.failure(e);
      }
    }
  } catch (e) {
    for (const o of outputs) o.discard();
    throw e;
  }
  commitOutputs(outputs);
}
