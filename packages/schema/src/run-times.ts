/**
 * `--since`/`--until` of the run commands (and `since`/`until` of the runs API): an ISO-8601 date or
 * date-time, or a time ago: a whole number and a unit, `30s`, `15m`, `2h`, `1d`, `2w` (seconds, minutes,
 * hours, days of 24 hours, weeks of 7 days), counted back from now. One parser for the CLI and the router.
 *
 * Bounds come out as UTC with milliseconds and `Z` (`toISOString()`), the form run times written through
 * the API have; turbulence's microsecond times compare with it correctly down to the millisecond. A bare
 * date is the whole day (UTC): `since` from its first millisecond, `until` through its last.
 */
import { z } from "zod";
import { rangeBound } from "./metrics-time.js";

export const TIME_UNITS_MS = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
} as const;
export type TimeUnit = keyof typeof TIME_UNITS_MS;

export const TIME_BOUND_HELP = "an ISO-8601 date or time, or a time ago: 30s, 15m, 2h, 1d, 2w (units s m h d w)";

const RELATIVE = /^(\d{1,9})([smhdw])$/;

export type TimeBound = { ok: true; iso: string; relative: boolean } | { ok: false; message: string };

/** Reads one bound; `now` (milliseconds since the epoch) is the instant a time ago counts back from. */
export function readTimeBound(text: string, end: "since" | "until", now: number = Date.now()): TimeBound {
  const t = text.trim();
  const rel = RELATIVE.exec(t);
  if (rel) {
    const at = now - Number(rel[1]) * TIME_UNITS_MS[rel[2] as TimeUnit];
    const d = new Date(at);
    if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1)
      return { ok: false, message: `'${text}' reaches back before year 1` };
    return { ok: true, iso: d.toISOString(), relative: true };
  }
  const abs = rangeBound(t, end);
  // rangeBound gives UTC with six fraction digits: keep the milliseconds
  if (abs !== null) return { ok: true, iso: `${abs.slice(0, 23)}Z`, relative: false };
  return { ok: false, message: `expected ${TIME_BOUND_HELP}, got '${text}'` };
}

const boundSchema = (end: "since" | "until") =>
  z.string().transform((text, ctx) => {
    const r = readTimeBound(text, end);
    if (r.ok) return r.iso;
    ctx.addIssue({ code: "custom", message: r.message });
    return z.NEVER;
  });

/** `since` of a runs query: a time bound, normalised to UTC milliseconds. */
export const runSinceBound = boundSchema("since");
/** `until` of a runs query: a time bound, normalised to UTC milliseconds. */
export const runUntilBound = boundSchema("until");
