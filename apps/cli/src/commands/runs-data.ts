/**
 * `verdict runs import|export`: run data in and out (turbulence JSONL or turbulence.db, JUnit XML).
 * Both stream files straight into/out of a database (--db), never through a server. --db may be a
 * per-run file holding only the runs domain (`--db file:runs/<run_id>/turbulence.db`). The questions
 * about a run are in runs-analysis.ts.
 */
import { setFlagsFromString } from "node:v8";
import { type Command, Option } from "commander";
// Types only: the importers and exporters (the JUnit XML parser among them) load when a command runs them.
import type {
  ImportOptions,
  ImportProgress,
  ImportResult,
  OpenOptions,
  VerdictDb,
  JunitImportResult,
} from "@verdict/db";
import { InputFileError, UsageError } from "../errors.js";
import { type GlobalOptions, globalsOf, parsePositiveInt, withDb } from "../globals.js";
import { color, info, isQuiet, printJson } from "../output.js";
import { examples } from "../help.js";

const RUNS_ONLY: Partial<OpenOptions> = { domains: ["runs"] };

/**
 * Import and export stream files on this machine straight into / out of a database (one
 * transaction per run), so they take --db (a file, a per-run file or a libSQL server), not --server.
 */
function localOnly(g: GlobalOptions, command: string): void {
  if (g.server) {
    throw new UsageError(
      `runs ${command} reads and writes files on this machine: point --db at the database (a file or a libSQL server URL) instead of --server`,
    );
  }
}

/** Export: the runs domain must be there and current. */
function withRuns<T>(g: GlobalOptions, fn: (h: VerdictDb) => Promise<T>): Promise<T> {
  localOnly(g, "export");
  return withDb(g, RUNS_ONLY, fn);
}

/**
 * Import: a database without any migration (a new per-run file) gets the runs domain created; one
 * that has migrations must already be current (never migrated behind the user's back).
 */
function withRunsForImport<T>(g: GlobalOptions, fn: (h: VerdictDb) => Promise<T>): Promise<T> {
  localOnly(g, "import");
  return withDb(g, { ...RUNS_ONLY, skipSchemaCheck: true, creates: true }, async (h) => {
    const { checkSchema, migrateUp, readApplied } = await import("@verdict/db");
    if ((await readApplied(h.client)).length === 0) await migrateUp(h.client, { domains: ["runs"] });
    await checkSchema(h.client, ["runs"]);
    return fn(h);
  });
}

/** Library file errors become the CLI's InputFileError (`file:line: field: problem`, exit 1). */
async function fileErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const { RunFileError } = await import("@verdict/db");
    if (e instanceof RunFileError) throw new InputFileError(e.file, e.line, e.field, e.problem);
    throw e;
  }
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");

function clock(sec: number | null): string {
  if (sec === null || !Number.isFinite(sec)) return "--:--";
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return `${h ? `${h}:${String(m).padStart(2, "0")}` : String(m)}:${String(r).padStart(2, "0")}`;
}

/**
 * A one-line progress bar on stderr, redrawn in place, on a terminal; with `plain` (--progress) one
 * line per update where stderr is not a terminal (CI logs); nothing otherwise.
 */
function progressBar(plain: boolean): { update(p: ImportProgress): void; clear(): void } | null {
  if (isQuiet()) return null;
  if (!process.stderr.isTTY) {
    if (!plain) return null;
    return {
      update(p) {
        const frac = p.totalBytes > 0 ? Math.min(1, p.bytes / p.totalBytes) : 0;
        process.stderr.write(
          `progress ${p.run_id}: ${(frac * 100).toFixed(0)}% ${int(p.rows)} rows ${int(p.rowsPerSec)} rows/s ETA ${clock(p.etaSec)}\n`,
        );
      },
      clear() {},
    };
  }
  let drawn = false;
  return {
    update(p) {
      const frac = p.totalBytes > 0 ? Math.min(1, p.bytes / p.totalBytes) : 0;
      const width = 24;
      const full = Math.round(frac * width);
      const line = `${p.run_id} [${"#".repeat(full)}${".".repeat(width - full)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${int(p.rows)} rows  ${int(p.rowsPerSec)} rows/s  ETA ${clock(p.etaSec)}`;
      const cols = process.stderr.columns || 120;
      process.stderr.write(`\r${line.slice(0, cols - 1)}\u001b[K`);
      drawn = true;
    },
    clear() {
      if (drawn) process.stderr.write("\r\u001b[K");
      drawn = false;
    },
  };
}

function importLine(r: ImportResult): string {
  return `imported ${r.run_id}${r.replaced ? " (replaced)" : ""}${r.source === "sqlite" ? " from turbulence.db" : ""}${
    r.interrupted ? color.yellow(" (an interrupted run: marked incomplete)") : ""
  }: ${int(r.instances)} instances, ${int(r.steps)} steps, ${int(
    r.assertions,
  )} assertions in ${(r.elapsed_ms / 1000).toFixed(1)} s (${int(r.rows_per_sec)} rows/s)${
    r.skipped.length ? `, ${color.yellow(`${r.skipped.length} line(s) skipped`)}` : ""
  }`;
}

export function registerRunDataCommands(runs: Command): void {
  runs
    .command("import")
    .addHelpText(
      "after",
      examples(
        "verdict runs import runs/run_20261120/",
        "verdict runs import turbulence.db --skip-invalid",
        "verdict runs import runs/ --replace --one-transaction",
      ),
    )
    .description(
      "import runs: turbulence run folders (JSONL), turbulence's SQLite output (a folder holding turbulence.db, or the file), folders of them, or JUnit XML (a .xml file, or a folder of them such as target/surefire-reports: one run); each run appears whole or not at all",
    )
    .argument(
      "<paths...>",
      "run folder(s) runs/<run_id>/, turbulence.db file(s), folder(s) holding them, JUnit .xml file(s) or folder(s) of .xml files",
    )
    .option("--run-id <id>", "JUnit XML: the run's id (default: the file name without .xml, or the folder's name)")
    .option("--sut <name>", "JUnit XML: the system under test (default: the testsuites name or the first suite's name)")
    .option("--skip-invalid", "import the valid lines and list the invalid ones instead of refusing the run")
    .option(
      "--replace",
      "replace a run that is already in the database (one transaction: the old run stays until the new one is in)",
    )
    .option(
      "--one-transaction",
      "write each run in one transaction instead of short chunks: faster, but other writers wait until it ends (a --db file that does not exist yet is always built this way, aside, and moved into place)",
    )
    .option("--progress", "report progress even when stderr is not a terminal (one line per update)")
    .addOption(new Option("--batch-size <rows>", "rows per INSERT").default("500").hideHelp())
    .action(
      async (
        paths: string[],
        opts: {
          skipInvalid?: boolean;
          replace?: boolean;
          oneTransaction?: boolean;
          progress?: boolean;
          batchSize: string;
          runId?: string;
          sut?: string;
        },
        cmd: Command,
      ) => {
        const g = globalsOf(cmd);
        const { ImportInterruptedError, importJunit, importRuns, importRunsIntoNewFile, isJunitPath, newDatabaseFile } =
          await import("@verdict/db");
        const junitPaths = paths.filter(isJunitPath);
        if (junitPaths.length > 0) {
          if (junitPaths.length !== paths.length)
            throw new UsageError("import JUnit XML and turbulence runs with separate commands");
          if (opts.runId !== undefined && junitPaths.length > 1)
            throw new UsageError("--run-id names one run: give one JUnit file or folder with it");
          const results: JunitImportResult[] = [];
          await fileErrors(() =>
            withRunsForImport(g, async (h) => {
              for (const p of junitPaths) {
                const r = await importJunit(h, p, {
                  replace: Boolean(opts.replace),
                  ...(opts.runId !== undefined ? { runId: opts.runId } : {}),
                  ...(opts.sut !== undefined ? { sut: opts.sut } : {}),
                });
                results.push(r);
                if (!g.json)
                  info(
                    `imported ${r.run_id}${r.replaced ? " (replaced)" : ""} from JUnit XML (${r.files} file(s), ${r.suites} suite(s)): ${int(r.instances)} testcases, ${int(r.passed)} passed, ${int(r.failed)} failed, ${int(r.skipped)} skipped`,
                  );
              }
            }),
          );
          if (g.json) printJson({ runs: results });
          return;
        }
        if (opts.runId !== undefined || opts.sut !== undefined)
          throw new UsageError("--run-id and --sut apply to JUnit XML imports only (turbulence runs carry their own)");
        const batchSize = parsePositiveInt("--batch-size", opts.batchSize) ?? 500;
        const bar = progressBar(Boolean(opts.progress));
        const ac = new AbortController();
        const onSigint = () => ac.abort();
        process.once("SIGINT", onSigint);
        const done: ImportResult[] = [];
        const importOpts: ImportOptions = {
          skipInvalid: Boolean(opts.skipInvalid),
          replace: Boolean(opts.replace),
          oneTransaction: Boolean(opts.oneTransaction),
          batchSize,
          signal: ac.signal,
          ...(bar ? { onProgress: (p: ImportProgress) => bar.update(p) } : {}),
          onRunDone: (r) => {
            bar?.clear();
            done.push(r);
            if (!g.json) {
              info(importLine(r));
              for (const s of r.skipped)
                info(`  skipped ${s.file}${s.line === null ? "" : `:${s.line}`}: ${s.field}: ${s.problem}`);
            }
          },
        };
        // A database file that does not exist yet is built in a temp file and renamed into place.
        localOnly(g, "import");
        // The import parses lines into short-lived objects as fast as it can: V8's young generation
        // then grows to its default ceiling, which took a 1.58M-row import to 304 MB peak RSS (limit:
        // 300 MB). A 4 MiB semi-space keeps it at 251-266 MB for about 5-10% more CPU (bench/RESULTS.md).
        setFlagsFromString("--max-semi-space-size=4");
        const newFile = g.syncUrl || g.readOnly ? null : newDatabaseFile(g.db);
        try {
          await fileErrors(() =>
            newFile !== null
              ? importRunsIntoNewFile(newFile, paths, importOpts)
              : withRunsForImport(g, (h) => importRuns(h, paths, importOpts)),
          );
        } catch (e) {
          bar?.clear();
          if (e instanceof ImportInterruptedError) {
            info(`${color.red("interrupted:")} ${e.message}`);
            process.exitCode = 130;
            return;
          }
          throw e;
        } finally {
          process.removeListener("SIGINT", onSigint);
        }
        if (g.json) printJson({ runs: done });
      },
    );

  runs
    .command("export")
    .addHelpText(
      "after",
      examples(
        "verdict runs export seed-run-001 --out exported/seed-run-001",
        "verdict runs export latest --out /tmp/latest --force",
        "verdict runs export latest --format junit --out report.xml",
      ),
    )
    .description(
      "write a stored run back as a turbulence run folder, exactly as it was imported (artifacts/ included), or as JUnit XML (--format junit)",
    )
    .argument("<run>", "run id, or latest / previous (the newest / second-newest run)")
    .requiredOption(
      "--out <path>",
      "turbulence: folder to write (manifest.json, *.jsonl, summary.json), refused if it holds any of them; junit: the .xml file (a folder when the run came from several files)",
    )
    .addOption(new Option("--format <format>", "what to write").choices(["turbulence", "junit"]).default("turbulence"))
    .option("--force", "replace the files of a previous export")
    .addOption(new Option("--overwrite", "old name of --force").hideHelp())
    .action(
      async (
        runId: string,
        opts: { out: string; format: "turbulence" | "junit"; force?: boolean; overwrite?: boolean },
        cmd: Command,
      ) => {
        const g = globalsOf(cmd);
        const { exportJunit, exportRun, resolveRunRef } = await import("@verdict/db");
        const force = Boolean(opts.force || opts.overwrite);
        if (opts.format === "junit") {
          const j = await withRuns(g, async (h) => exportJunit(h, await resolveRunRef(h, runId), opts.out, { force }));
          if (g.json) return printJson(j);
          info(
            `exported ${j.run_id} as JUnit XML (${j.mode === "kept" ? "the imported files" : "built from its rows"}): ${int(j.testcases)} testcases to ${j.files.join(", ")}`,
          );
          return;
        }
        const r = await withRuns(g, async (h) => exportRun(h, await resolveRunRef(h, runId), opts.out, { force }));
        if (g.json) return printJson(r);
        info(
          `exported ${r.run_id} to ${r.out_dir}: ${int(r.instances)} instances, ${int(r.steps)} steps, ${int(
            r.assertions,
          )} assertions, ${int(r.artifacts)} artifact file(s) (summary ${r.summary})`,
        );
      },
    );
}
