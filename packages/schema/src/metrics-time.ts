/**
 * Benchmark timestamps. gao-dev writes `datetime.now().isoformat()`, which has no zone; other tools write
 * an offset or `Z`. Verdict stores one form, UTC with microseconds (`2025-10-20T09:15:03.412877Z`), so that
 * text order is time order and `--since`/`--until` compare correctly across zones. A timestamp without a
 * zone is read in the zone given (an IANA name such as `Europe/Paris`), UTC when none is given.
 */

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|z|[+-]\d{2}:?\d{2})?$/;

export interface TimestampParts {
  /** UTC milliseconds of the whole second (fractions kept apart, JS dates hold only milliseconds). */
  wholeSecondMs: number;
  /** Fraction of the second as 6 digits. */
  micros: string;
  dateOnly: boolean;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws a RangeError for a zone name the runtime does not know. */
export function checkTimeZone(zone: string): string {
  if (!formatters.has(zone)) {
    formatters.set(
      zone,
      new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        hourCycle: "h23",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
      }),
    );
  }
  return zone;
}

/** Offset of `zone` from UTC at the instant `utcMs`, in milliseconds. */
function zoneOffsetMs(utcMs: number, zone: string): number {
  checkTimeZone(zone);
  const parts = (formatters.get(zone) as Intl.DateTimeFormat).formatToParts(new Date(utcMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/** The UTC instant of a wall-clock time in `zone` (the earlier one in a DST overlap, shifted forward in a gap). */
function wallToUtc(wallMs: number, zone: string): number {
  let utc = wallMs - zoneOffsetMs(wallMs, zone);
  const second = wallMs - zoneOffsetMs(utc, zone);
  if (second !== utc) utc = Math.min(utc, second);
  return utc;
}

/** Parses an ISO-8601 date or date-time; returns null when the text is not one. */
export function parseTimestamp(text: string, zone = "UTC"): TimestampParts | null {
  const m = TIMESTAMP.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, off] = m;
  const fields = [y, mo, d, h ?? "0", mi ?? "0", s ?? "0"].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [year, month, day, hour, minute, second] = fields;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
  const wallMs = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(wallMs);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return null; // 2025-02-30
  let utcMs: number;
  if (off === undefined) utcMs = wallToUtc(wallMs, zone);
  else if (off === "Z" || off === "z") utcMs = wallMs;
  else {
    const sign = off.startsWith("-") ? -1 : 1;
    const digits = off.slice(1).replace(":", "");
    const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
    if (minutes > 18 * 60) return null;
    utcMs = wallMs - sign * minutes * 60_000;
  }
  return { wholeSecondMs: utcMs, micros: (frac ?? "").padEnd(6, "0").slice(0, 6), dateOnly: h === undefined };
}

function formatUtc(wholeSecondMs: number, micros: string): string {
  return `${new Date(wholeSecondMs).toISOString().slice(0, 19)}.${micros}Z`;
}

/** The stored form of a timestamp: UTC, microseconds, `Z`. Null when the text is not a timestamp. */
export function normalizeTimestamp(text: string, zone = "UTC"): string | null {
  const p = parseTimestamp(text, zone);
  return p ? formatUtc(p.wholeSecondMs, p.micros) : null;
}

/**
 * A range bound for `--since`/`--until`. A bare date means the whole day in `zone`: `since` from its first
 * microsecond, `until` through its last, so `--until 2025-10-20` includes runs of the 20th.
 */
export function rangeBound(text: string, end: "since" | "until", zone = "UTC"): string | null {
  const p = parseTimestamp(text, zone);
  if (!p) return null;
  if (!p.dateOnly || end === "since") return formatUtc(p.wholeSecondMs, p.micros);
  const [y, mo, d] = text.trim().slice(0, 10).split("-").map(Number) as [number, number, number];
  const nextDay = wallToUtc(Date.UTC(y, mo - 1, d + 1), zone);
  return formatUtc(nextDay - 1000, "999999");
}

/** gao-dev's own form of a UTC timestamp (`datetime.isoformat()` of an aware UTC datetime). */
export function toGaoTimestamp(stored: string): string {
  return stored.endsWith("Z") ? `${stored.slice(0, -1)}+00:00` : stored;
}
