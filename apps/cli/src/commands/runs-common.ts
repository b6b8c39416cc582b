/**
 * What the `verdict runs` commands that ask questions share: how they reach the API, how they print
 * milliseconds and percentages, the latency columns of their tables, the --percentiles option.
 */
import { Option } from "commander";
import type { VerdictClient } from "@verdict/api";
import type { Percentiles } from "@verdict/db";
import { PERCENTILE_METHODS } from "@verdict/schema";
import { withApi } from "../api.js";
import type { GlobalOptions } from "../globals.js";
import { type Cell, color } from "../output.js";

/**
 * Through the typed API like every data command (in-process with --db, over HTTP with --server);
 * locally only the runs domain is required, so a per-run database file (from `runs import`) works.
 */
export function withRunsApi<T>(g: GlobalOptions, fn: (api: VerdictClient) => Promise<T>): Promise<T> {
  return withApi(g, fn, { domains: ["runs"] });
}

/** Milliseconds as printed: at most 2 decimals. */
export const ms = (n: number | null | undefined) => (n === null || n === undefined ? null : Math.round(n * 100) / 100);
/** A percentage in text (`66.67%`). */
export const pct = (n: number | null | undefined) => (n === null || n === undefined ? "-" : `${n.toFixed(2)}%`);
/** A percentage for a `…_pct` table column (its header carries the %), rounded like the text form. */
export const pctCell = (n: number | null | undefined) =>
  n === null || n === undefined ? null : Math.round(n * 100) / 100;

/** A row's latency cells, under LATENCY_COLUMNS (headers `p50 (ms)` …). */
export const latencyRow = (p: Percentiles): Record<string, Cell> => ({
  p50_ms: ms(p.p50),
  p95_ms: ms(p.p95),
  p99_ms: ms(p.p99),
  max_ms: ms(p.max),
});
/** An assertion as a table row: pass/fail in colour, expected and actual as JSON. */
export const assertionCells = <A extends { passed: boolean | null; expected: unknown; actual: unknown }>(a: A) => ({
  ...a,
  passed: a.passed ? color.green("pass") : color.red("fail"),
  expected: JSON.stringify(a.expected),
  actual: JSON.stringify(a.actual),
});

export const LATENCY_COLUMNS = ["p50_ms", "p95_ms", "p99_ms", "max_ms"];

/** `--percentiles linear|nearest`: turbulence's interpolation by default. */
export function percentilesOption(): Option {
  return new Option("--percentiles <method>", "linear (turbulence's interpolation) or nearest (nearest rank)")
    .choices(PERCENTILE_METHODS)
    .default("linear");
}
