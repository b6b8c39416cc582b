/**
 * The one way Verdict writes a file (exports, backups): nothing is overwritten that the command was
 * not told to replace, the open database is never a target, and a file appears complete or not at all.
 *
 * - The content goes to a temp file in the target's folder (`.NAME.verdict-tmp-PID-RANDOM`, created
 *   exclusively), is fsynced, optionally checked, and only then put in place: with `force` by
 *   rename(2) over the old file, without it by link(2), which fails if the target appeared meanwhile.
 *   The folder is fsynced afterwards. On any failure the temp file is removed and the target is as
 *   it was (a killed process can leave a hidden temp file behind, never a partial target).
 * - An existing target is refused unless `force`; a target that is not a regular file (a folder, a
 *   FIFO, a device) is refused even with `force`.
 * - The database files listed in `protect` (see databaseFiles: the file and its -wal, -shm and
 *   -journal) are refused even with `force`, compared by folder realpath + name and by device +
 *   inode, so a symlink or a second hard link to the database is caught too.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { ConflictError, VerdictError } from "./errors.js";

export interface OutputOptions {
  /** Replace an existing regular file at the target. */
  force?: boolean;
  /** Files that must never be written, whatever `force` says (the open database: databaseFiles(url)). */
  protect?: readonly string[];
}

/** A target Verdict will not write: it exists (without --force), is not a regular file, or is the database. */
export class OutputRefusedError extends ConflictError {
  readonly path: string;
  constructor(path: string, message: string) {
    super(message, path);
    this.path = path;
  }
}

/** Writing an output file failed (disk full, no permission, …); the target was left as it was. */
export class OutputWriteError extends VerdictError {
  readonly path: string;
  constructor(path: string, message: string, cause?: unknown) {
    super("STORAGE", message, { target: path, cause });
    this.path = path;
  }
}

const SIDE_FILES = ["-wal", "-shm", "-journal"] as const;

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The files of a local database URL (`file:PATH`): the file and its -wal, -shm and -journal (for the
 * path as given and, when it is a symlink, for the file it points to); [] for any other URL.
 */
export function databaseFiles(url: string): string[] {
  if (!url.startsWith("file:") || url.startsWith("file::memory:")) return [];
  const rest = url.slice("file:".length).split("?")[0] ?? "";
  const path = rest.startsWith("//") ? rest.replace(/^\/\/[^/]*/, "") : rest;
  if (path === "" || path === ":memory:") return [];
  const abs = resolve(decodeURIComponent(path));
  // SQLite follows a symlinked database to its real file and keeps the -wal/-shm next to that one.
  let real = abs;
  try {
    real = realpathSync(abs);
  } catch {
    // not created yet
  }
  const mains = real === abs ? [abs] : [abs, real];
  return [...mains, ...mains.flatMap((m) => SIDE_FILES.map((side) => `${m}${side}`))];
}

function statOrNull(path: string, follow: boolean): Stats | null {
  try {
    return follow ? statSync(path) : lstatSync(path);
  } catch {
    return null;
  }
}

/** The path with its folder's symlinks resolved (the folder may not exist yet). */
function canonical(path: string): string {
  const abs = resolve(path);
  let dir = dirname(abs);
  const tail: string[] = [basename(abs)];
  for (;;) {
    try {
      return join(realpathSync(dir), ...tail);
    } catch {
      const up = dirname(dir);
      if (up === dir) return abs;
      tail.unshift(basename(dir));
      dir = up;
    }
  }
}

function describeKind(st: Stats): string {
  if (st.isDirectory()) return "a folder";
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * Throws OutputRefusedError when `target` may not be written: it is (or points to) one of the
 * protected files, it exists and is not a regular file, or it exists and `force` is not set.
 */
export function checkOutputTarget(target: string, opts: OutputOptions = {}): void {
  const abs = resolve(target);
  const canon = canonical(abs);
  const st = statOrNull(abs, true);
  const protect = opts.protect ?? [];
  for (const p of protect) {
    const pst = statOrNull(p, true);
    const samePath = canonical(p) === canon;
    const sameFile = st !== null && pst !== null && st.dev === pst.dev && st.ino === pst.ino;
    if (samePath || sameFile) {
      const side = SIDE_FILES.some((x) => p.endsWith(x) && protect.includes(p.slice(0, -x.length)));
      const what = side ? `a file of the open database (${p})` : `the open database ${p}`;
      throw new OutputRefusedError(target, `${target} is ${what}; refusing to write over it, even with --force`);
    }
  }
  const lst = statOrNull(abs, false);
  if (lst === null) return;
  if (st !== null && !st.isFile())
    throw new OutputRefusedError(target, `${target} is ${describeKind(st)}; refusing to replace it`);
  if (!opts.force) throw new OutputRefusedError(target, `${target} already exists (pass --force to replace it)`);
}

/** An fs error met while writing `target`, as one line naming it and the cause. */
export function outputWriteFailure(target: string, e: unknown): OutputWriteError {
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === "ENOSPC" || code === "EFBIG" || code === "EDQUOT"
      ? `disk full or file size limit reached (${code})`
      : code === "EACCES" || code === "EPERM" || code === "EROFS"
        ? `permission denied (${code})`
        : e instanceof Error
          ? e.message
          : String(e);
  return new OutputWriteError(target, `cannot write ${target}: ${why}; nothing was changed`, e);
}

function fsyncPath(path: string, flags: "r" | "r+"): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * A file being written: `tmp` is an empty file in the target's folder, created exclusively, that
 * the caller fills (a stream, VACUUM INTO, …); `commit()` puts it in place, `discard()` removes it.
 */
export class PendingOutput {
  readonly target: string;
  readonly tmp: string;
  readonly opts: OutputOptions;
  private done = false;

  private constructor(target: string, tmp: string, opts: OutputOptions) {
    this.target = target;
    this.tmp = tmp;
    this.opts = opts;
  }

  /**
   * Removes the temp files that dead processes left next to `target` (killed while writing it):
   * `.NAME.verdict-tmp-PID-RANDOM` and its -journal/-wal/-shm, when no process PID is alive here.
   * Returns the paths removed.
   */
  static removeLeftovers(target: string): string[] {
    const abs = resolve(target);
    const dir = dirname(abs);
    const prefix = `.${basename(abs)}.verdict-tmp-`;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    const removed: string[] = [];
    for (const name of names) {
      if (!name.startsWith(prefix)) continue;
      const m = /^(\d+)-[0-9a-f]{8}(-journal|-wal|-shm)?$/.exec(name.slice(prefix.length));
      if (!m?.[1] || processAlive(Number(m[1]))) continue;
      rmSync(join(dir, name), { force: true });
      removed.push(join(dir, name));
    }
    return removed;
  }

  /** Checks the target (checkOutputTarget), creates its folder if needed, and an empty temp file next to it. */
  static create(target: string, opts: OutputOptions = {}): PendingOutput {
    checkOutputTarget(target, opts);
    const abs = resolve(target);
    const tmp = join(dirname(abs), `.${basename(abs)}.verdict-tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
    try {
      mkdirSync(dirname(abs), { recursive: true });
      closeSync(openSync(tmp, "wx"));
    } catch (e) {
      throw outputWriteFailure(target, e);
    }
    return new PendingOutput(target, tmp, opts);
  }

  /** fsyncs the temp file (for commitOutputs; commit() does it itself). */
  sync(): void {
    try {
      fsyncPath(this.tmp, "r+");
    } catch (e) {
      throw outputWriteFailure(this.target, e);
    }
  }

  /** Puts the temp file in place (the target is checked again first) and fsyncs the folder. */
  publish(): void {
    checkOutputTarget(this.target, this.opts);
    const abs = resolve(this.target);
    try {
      if (this.opts.force) renameSync(this.tmp, abs);
      else {
        // link(2) fails with EEXIST if the target appeared since the check: never clobbers.
        try {
          linkSync(this.tmp, abs);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw e;
          // A file system without hard links: the check above, then rename.
          renameSync(this.tmp, abs);
        }
        rmSync(this.tmp, { force: true });
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST")
        throw new OutputRefusedError(this.target, `${this.target} already exists (pass --force to replace it)`);
      throw outputWriteFailure(this.target, e);
    }
    this.done = true;
    try {
      fsyncPath(dirname(abs), "r");
    } catch {
      // Some file systems cannot fsync a folder; the file itself is already durable.
    }
  }

  /** fsync, then put in place; on failure the temp file is removed and the error rethrown. */
  commit(): void {
    try {
      this.sync();
      this.publish();
    } catch (e) {
      this.discard();
      throw e;
    }
  }

  /** Removes the temp file (no-op once committed). */
  discard(): void {
    if (this.done) return;
    rmSync(this.tmp, { force: true });
  }

  /** Wraps an error met while filling the temp file (ENOSPC, EFBIG, …) as OutputWriteError. */
  failure(e: unknown): OutputWriteError {
    return outputWriteFailure(this.target, e);
  }
}

/**
 * Commits several outputs as one: every temp file is fsynced and every target re-checked before the
 * first is put in place. Without `force`, if one cannot be put in place the ones already placed are
 * removed again (they were created by this call). All temp files are removed on failure.
 */
export function commitOutputs(outputs: readonly PendingOutput[]): void {
  const placed: PendingOutput[] = [];
  try {
    for (const o of outputs) o.sync();
    for (const o of outputs) checkOutputTarget(o.target, o.opts);
    for (const o of outputs) {
      o.publish();
      placed.push(o);
    }
  } catch (e) {
    for (const o of outputs) o.discard();
    for (const o of placed) if (!o.opts.force) rmSync(resolve(o.target), { force: true });
    throw e;
  }
}

/** Writes `data` to `target` through a temp file (see PendingOutput); the target is complete or unchanged. */
export function writeOutputFile(target: string, data: string | Uint8Array, opts: OutputOptions = {}): void {
  const out = PendingOutput.create(target, opts);
  try {
    writeFileSync(out.tmp, data);
  } catch (e) {
    out.discard();
    throw out.failure(e);
  }
  out.commit();
}
