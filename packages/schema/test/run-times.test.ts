/** `--since`/`--until` of the run commands: ISO dates and times, or a time ago (s m h d w). */
import { describe, expect, it } from "vitest";
import { TIME_UNITS_MS, instanceQueryInput, readTimeBound, runListInput } from "../src/index.js";

const NOW = Date.UTC(2026, 11, 2, 0, 30, 15, 250);
const stored = (ms: number) => new Date(ms).toISOString();

describe("readTimeBound", () => {
  it("reads a time ago in each unit, counted back from now", () => {
    for (const [unit, ms] of Object.entries(TIME_UNITS_MS)) {
      for (const n of [0, 1, 7, 90]) {
        const r = readTimeBound(`${n}${unit}`, "since", NOW);
        expect(r, `${n}${unit}`).toEqual({ ok: true, iso: stored(NOW - n * ms), relative: true });
      }
    }
    // the same instant for since and until; surrounding blanks are ignored
    expect(readTimeBound(" 2h ", "until", NOW)).toEqual(readTimeBound("2h", "since", NOW));
    expect(readTimeBound("1w", "since", NOW)).toEqual(readTimeBound("7d", "since", NOW));
  });

  it("keeps reading ISO dates and times, as UTC milliseconds; a bare date is a whole day", () => {
    expect(readTimeBound("2026-11-30T08:00:00+01:00", "since", NOW)).toEqual({
      ok: true,
      iso: "2026-11-30T07:00:00.000Z",
      relative: false,
    });
    expect(readTimeBound("2026-11-30", "since", NOW)).toMatchObject({ iso: "2026-11-30T00:00:00.000Z" });
    expect(readTimeBound("2026-11-30", "until", NOW)).toMatchObject({ iso: "2026-11-30T23:59:59.999Z" });
  });

  it("refuses what it cannot read, naming the accepted forms", () => {
    for (const bad of ["", "1y", "-1d", "1.5h", "d", "1 d", "yesterday", "2026-13-01", "9999999999d"]) {
      const r = readTimeBound(bad, "since", NOW);
      expect(r.ok, bad).toBe(false);
      if (!r.ok && bad !== "9999999999d") expect(r.message).toContain("30s, 15m, 2h, 1d, 2w");
    }
  });
});

describe("the runs API reads the same bounds", () => {
  it("runs.list and runs.instances.query take a time ago and store-form times", () => {
    const before = Date.now();
    const l = runListInput.parse({ since: "1d", until: "2026-11-30" });
    const after = Date.now();
    expect(l.until).toBe("2026-11-30T23:59:59.999Z");
    const since = Date.parse(String(l.since));
    expect(since).toBeGreaterThanOrEqual(before - 86_400_000);
    expect(since).toBeLessThanOrEqual(after - 86_400_000);
    const i = instanceQueryInput.parse({ run_id: "r", since: "2026-11-30T08:00:00Z" });
    expect(i.since).toBe("2026-11-30T08:00:00.000Z");
    const bad = runListInput.safeParse({ since: "3 days" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({ path: ["since"] });
    expect(bad.error?.issues[0]?.message).toContain("got '3 days'");
  });
});
