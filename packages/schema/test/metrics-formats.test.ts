import {
  normalizeTimestamp,
  parseCsv,
  parseLocatedJson,
  rangeBound,
  readGaoCsvFolder,
  readGaoJson,
  suggestKey,
  toGaoTimestamp,
} from "@verdict/schema";
import { describe, expect, it } from "vitest";

describe("benchmark timestamps", () => {
  it("stores every form as UTC with microseconds", () => {
    expect(normalizeTimestamp("2025-10-20T09:15:03.412877+00:00")).toBe("2025-10-20T09:15:03.412877Z");
    expect(normalizeTimestamp("2025-10-20T09:15:03.412877")).toBe("2025-10-20T09:15:03.412877Z");
    expect(normalizeTimestamp("2025-10-20T11:15:03.5+02:00")).toBe("2025-10-20T09:15:03.500000Z");
    expect(normalizeTimestamp("2025-10-20T09:15:03Z")).toBe("2025-10-20T09:15:03.000000Z");
    expect(normalizeTimestamp("2025-10-20 09:15")).toBe("2025-10-20T09:15:00.000000Z");
    expect(normalizeTimestamp("2025-02-30T00:00:00")).toBeNull();
    expect(normalizeTimestamp("yesterday")).toBeNull();
  });

  it("reads a timestamp without a zone in the zone given, daylight saving time included", () => {
    // Paris: +02:00 in summer time (until 26 Oct 2025), +01:00 after.
    expect(normalizeTimestamp("2025-10-25T12:00:00", "Europe/Paris")).toBe("2025-10-25T10:00:00.000000Z");
    expect(normalizeTimestamp("2025-10-27T12:00:00", "Europe/Paris")).toBe("2025-10-27T11:00:00.000000Z");
    expect(normalizeTimestamp("2025-07-01T08:00:00", "America/New_York")).toBe("2025-07-01T12:00:00.000000Z");
    expect(normalizeTimestamp("2025-07-01T08:00:00", "Asia/Kolkata")).toBe("2025-07-01T02:30:00.000000Z");
    // An explicit offset wins over the zone.
    expect(normalizeTimestamp("2025-07-01T08:00:00Z", "Asia/Tokyo")).toBe("2025-07-01T08:00:00.000000Z");
  });

  it("a date as --until covers that whole day in the zone; --since starts it", () => {
    expect(rangeBound("2025-10-20", "until")).toBe("2025-10-20T23:59:59.999999Z");
    expect(rangeBound("2025-10-20", "since")).toBe("2025-10-20T00:00:00.000000Z");
    expect(rangeBound("2025-10-20", "until", "Asia/Tokyo")).toBe("2025-10-20T14:59:59.999999Z");
    expect(rangeBound("2025-10-20", "since", "America/New_York")).toBe("2025-10-20T04:00:00.000000Z");
    expect(rangeBound("2025-10-20T10:00:00Z", "until")).toBe("2025-10-20T10:00:00.000000Z");
    expect(toGaoTimestamp("2025-10-20T09:15:03.412877Z")).toBe("2025-10-20T09:15:03.412877+00:00");
  });
});

describe("strict reading", () => {
  it("the JSON reader knows the line of every value and reads Python's NaN and Infinity", () => {
    const doc = parseLocatedJson('{\n  "a": [1,\n    NaN],\n  "b": {"c": -Infinity}\n}');
    expect(doc.lineOf(["a", 1])).toBe(3);
    expect(doc.lineOf(["b", "c"])).toBe(4);
    expect(doc.lineOf(["b", "missing"])).toBe(4);
    const value = doc.value as { a: number[]; b: { c: number } };
    expect(Number.isNaN(value.a[1])).toBe(true);
    expect(value.b.c).toBe(Number.NEGATIVE_INFINITY);
    expect(() => parseLocatedJson('{"a": 1, "a": 2}')).toThrow(/duplicate key 'a'/);
  });

  it("a syntax error is one problem with its line", () => {
    const r = readGaoJson('{\n  "run_id": "x",\n  "timestamp": }');
    expect(r.runs).toEqual([]);
    expect(r.issues).toEqual([{ line: 3, field: "document", problem: "unexpected '}'" }]);
  });

  it("suggests the closest known key only when it is close", () => {
    expect(suggestKey("total_time_secs", ["total_time_seconds", "phase_times"])).toBe("total_time_seconds");
    expect(suggestKey("Performance", ["performance", "quality"])).toBe("performance");
    expect(suggestKey("colour", ["performance", "quality"])).toBeNull();
  });

  it("CSV: quoted fields, CRLF rows, Python's nan and unknown columns", () => {
    expect(parseCsv('a,b\r\n"x, ""y""",2\r\n')).toEqual([
      { line: 1, fields: ["a", "b"] },
      { line: 2, fields: ['x, "y"', "2"] },
    ]);
    const files = {
      "runs.csv": "run_id,timestamp,project_name,benchmark_name,version,colour\nr1,2025-10-20T09:00:00,p,b,1.0.0,red\n",
      "performance.csv": "run_id,total_time_seconds,token_usage_total,api_calls_count,api_calls_cost\nr1,nan,1,1,1\n",
      "autonomy.csv": "run_id\nr1\n",
      "quality.csv": "run_id,tests_written,tests_passing\nr1,1,2\n",
    };
    const r = readGaoCsvFolder(files);
    expect(r.issues).toEqual([
      { file: "runs.csv", line: 1, field: "colour", problem: "unknown column" },
      { file: "workflow.csv", line: null, field: "document", problem: "missing from the CSV folder" },
      { file: "workflow.csv", line: null, field: "run_id", problem: "run 'r1' (runs.csv:2) has no row here" },
      { file: "performance.csv", line: 2, field: "performance.total_time_seconds", problem: "NaN is not a number" },
      {
        file: "quality.csv",
        line: 2,
        field: "quality.tests_passing",
        problem: "tests_passing must not exceed tests_written",
      },
    ]);
  });
});
