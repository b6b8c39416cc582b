import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/**
 * Loads libSQL's native driver before anything imports `libsql` (imported first by the modules
 * that use it). Its loader (@neon-rs/load) calls process.report.getReport(), a whole diagnostic
 * report costing several ms of every command's start, only to learn whether the C library is glibc.
 * On Linux that is read here from the libraries this process has mapped (/proc/self/maps), and the
 * loader is given a report saying just that; when the maps do not tell, it makes its real report.
 */
function libcOfThisProcess(): "glibc" | "musl" | null {
  try {
    const maps = readFileSync("/proc/self/maps", "latin1");
    if (/\/ld-musl-|\/libc\.musl-/.test(maps)) return "musl";
    if (/\/libc\.so\.6\b|\/libc-2\.\d+\.so\b/.test(maps)) return "glibc";
  } catch {
    // No /proc: the loader asks for its report.
  }
  return null;
}

function loadDriver(): void {
  const report = process.platform === "linux" ? process.report : undefined;
  const libc = report ? libcOfThisProcess() : null;
  if (!report || libc === null) return;
  const real = report.getReport;
  // All the loader reads of the report: header.glibcVersionRuntime present means glibc.
  report.getReport = (() => ({ header: libc === "glibc" ? { glibcVersionRuntime: "mapped" } : {} })) as never;
  try {
    createRequire(import.meta.url)("libsql");
  } finally {
    report.getReport = real;
  }
}

loadDriver();
