import { ensureCliBuilt, runCli, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * One --json shape: lists are `{ items, next_cursor }`, errors are `{"error":{code,message}}` on
 * stderr; tables right-align numbers with the same decimals in a column.
 */
const dir = tempDir("verdict-output-");
const db = `file:${dir.file("out.db")}`;
const cli = (args: string[]) => runCli(["--db", db, ...args]);

beforeAll(async () => {
  ensureCliBuilt();
  expect((await cli(["init", "--seed"])).status).toBe(0);
}, 120_000);
afterAll(() => dir.cleanup());

describe("--json", () => {
  it.each([
    [["runs", "list"]],
    [["metrics", "list"]],
    [["scenarios", "list"]],
    [["migrate", "status"]],
    [["tokens", "list"]],
    [["runs", "instances", "seed-run-001", "--limit", "5"]],
  ])("verdict --json %j is { items, next_cursor }", async (args) => {
    const r = await cli(["--json", ...args]);
    expect(r.status, r.stderr).toBe(0);
    const page = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Array.isArray(page.items)).toBe(true);
    expect(page).toHaveProperty("next_cursor");
    expect(page).not.toHaveProperty("nextCursor");
    expect(page.next_cursor === null || typeof page.next_cursor === "string").toBe(true);
  });

  it("a next page: next_cursor is the cursor to pass back", async () => {
    const first = JSON.parse((await cli(["--json", "runs", "instances", "seed-run-001", "--limit", "5"])).stdout) as {
      items: { instance_id: string }[];
      next_cursor: string;
    };
    expect(first.items).toHaveLength(5);
    expect(typeof first.next_cursor).toBe("string");
  });

  it("errors are one JSON object on stderr: not found, usage, unknown option", async () => {
    const notFound = await cli(["--json", "runs", "show", "no-such-run"]);
    expect(notFound.status).toBe(1);
    expect(notFound.stdout).toBe("");
    expect(JSON.parse(notFound.stderr)).toEqual({
      error: { code: "NOT_FOUND", message: expect.stringContaining("no-such-run") },
    });
    const usage = await cli(["--json", "runs", "gate", "seed-run-001", "--fail-on", "pass_rate=>1"]);
    expect(usage.status).toBe(64);
    expect((JSON.parse(usage.stderr) as { error: { code: string } }).error.code).toBe("USAGE");
    const option = await cli(["--json", "runs", "list", "--sutt", "x"]);
    expect(option.status).toBe(64);
    const parsed = JSON.parse(option.stderr) as { error: { code: string; message: string } };
    expect(parsed.error).toMatchObject({ code: "USAGE", message: "unknown option '--sutt'" });
    // Without --json: the error line for people.
    expect((await cli(["runs", "show", "no-such-run"])).stderr).toMatch(/^error: run 'no-such-run' not found\n$/);
  });
});

describe("tables", () => {
  it("numbers are right-aligned with the same decimals down a column", async () => {
    const r = await cli(["metrics", "list"]);
    expect(r.status, r.stderr).toBe(0);
    const [head = "", ...rows] = r.stdout.trimEnd().split("\n");
    const end = head.indexOf("one_shot") + "one_shot".length;
    // one_shot is 0.6 and 0.75: both with two decimals, ending under the header's end.
    const cells = rows.map((row) => row.slice(0, end).trimEnd().split(/\s+/).at(-1));
    expect(cells.sort()).toEqual(["0.60", "0.75"]);
    for (const row of rows) expect(row.slice(0, end).endsWith(row.slice(0, end).trimEnd())).toBe(true);
    for (const row of rows) expect(row.length).toBeGreaterThanOrEqual(end);
  });

  it("headers carry the unit of their numbers (cells are bare numbers), right-aligned under them", async () => {
    const r = await cli(["runs", "summary", "seed-run-001"]);
    expect(r.status, r.stderr).toBe(0);
    const section = r.stdout.slice(r.stdout.indexOf("by scenario"));
    const [, head = "", ...rows] = section.split("\n\n")[0]?.split("\n") ?? [];
    expect(head.split(/\s{2,}/)).toEqual([
      "scenario",
      "instances",
      "pass",
      "fail",
      "errors",
      "pass rate (%)",
      "p50 (ms)",
      "p95 (ms)",
      "p99 (ms)",
      "max (ms)",
    ]);
    for (const title of ["pass rate (%)", "p95 (ms)"]) {
      const end = head.indexOf(title) + title.length;
      const cells = rows.map((row) => row.slice(0, end).trimEnd().split(/\s+/).at(-1) ?? "");
      for (const cell of cells) expect(cell).toMatch(/^\d+(\.\d+)?$/);
      // one number of decimals down the column
      expect(new Set(cells.map((c) => c.split(".")[1]?.length ?? 0)).size).toBe(1);
      for (const row of rows) expect(row.slice(0, end)).toBe(row.slice(0, end).trimEnd());
    }
    const list = await cli(["metrics", "list"]);
    expect(list.stdout.split("\n")[0]).toMatch(/\btime \(s\)\s+tokens\s+coverage \(%\)/);
  });
});
