/**
 * `--since 1d` / `--until 2h` (a time ago) on the run commands, and `latest`/`previous` wherever a run
 * id is taken: the built CLI in a subprocess on a real libSQL file, runs started days and hours ago.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ensureCliBuilt, runCli, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { currentRun, writeRunFolder } from "../../../packages/db/test/turbulence-fixtures.js";
import { expectOneLineError } from "./helpers.js";

const dir = tempDir("verdict-cli-runtimes-");
const db = `file:${dir.file("runs.db")}`;
const cli = (args: string[]) => runCli(["--db", db, ...args], { timeoutMs: 60_000 });
const json = async (args: string[]) => {
  const r = await cli(["--json", ...args]);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

/** The fixtures' clock starts at 2025-01-15T10:00:00Z; startSec puts a run `hoursAgo` before now. */
const FIXTURE_EPOCH = Date.UTC(2025, 0, 15, 10, 0, 0);
const HOUR = 3_600_000;
const RUNS = [
  ["old", 10 * 24],
  ["mid", 3 * 24],
  ["new", 2],
] as const;

beforeAll(async () => {
  ensureCliBuilt();
  for (const [id, hoursAgo] of RUNS) {
    const startSec = Math.round((Date.now() - hoursAgo * HOUR - FIXTURE_EPOCH) / 1000);
    const src = writeRunFolder(
      join(dir.path, "src", id),
      currentRun(
        id,
        [
          { scenario: "s", passed: true },
          { scenario: "s", passed: id !== "new" },
        ],
        { startSec },
      ),
    );
    const r = await runCli(["--db", db, "runs", "import", src], { timeoutMs: 60_000 });
    expect(r.status, r.stderr).toBe(0);
  }
}, 180_000);
afterAll(() => dir.cleanup());

const ids = (page: { items: { id: string }[] }) => page.items.map((r) => r.id);

describe("relative times", () => {
  it("runs list --since/--until take a time ago in s m h d w", async () => {
    expect(ids(await json(["runs", "list", "--since", "1d"]))).toEqual(["new"]);
    expect(ids(await json(["runs", "list", "--since", "1w"]))).toEqual(["new", "mid"]);
    expect(ids(await json(["runs", "list", "--since", "300h"]))).toEqual(["new", "mid", "old"]);
    expect(ids(await json(["runs", "list", "--until", "1d"]))).toEqual(["mid", "old"]);
    expect(ids(await json(["runs", "list", "--since", "1w", "--until", "3h"]))).toEqual(["mid"]);
    expect(ids(await json(["runs", "list", "--since", "3600s"]))).toEqual([]);
    // an ISO time still works
    const iso = new Date(Date.now() - 5 * 24 * HOUR).toISOString();
    expect(ids(await json(["runs", "list", "--since", iso]))).toEqual(["new", "mid"]);
  });

  it("runs instances --since/--until filter the instances by their start", async () => {
    const all = await json(["runs", "instances", "new", "--since", "1d"]);
    expect(all.total).toBe(2);
    const none = await json(["runs", "instances", "new", "--until", "1d"]);
    expect(none.total).toBe(0);
  });

  it("a bound it cannot read is a usage error naming the flag and the forms", async () => {
    const line = expectOneLineError(await cli(["runs", "list", "--since", "1y"]), 64);
    expect(line).toContain("--since");
    expect(line).toContain("1d");
    expect(expectOneLineError(await cli(["runs", "instances", "new", "--until", "soon"]), 64)).toContain("--until");
  });
});

describe("latest / previous wherever a run id is taken", () => {
  it("summary, report, gate, instance, instances, show and export", async () => {
    expect((await json(["runs", "summary", "latest"])).run.id).toBe("new");
    expect((await json(["runs", "summary", "previous"])).run.id).toBe("mid");
    expect((await json(["runs", "report", "previous"])).run_id).toBe("mid");
    expect((await json(["runs", "show", "latest"])).id).toBe("new");
    expect(
      (await json(["runs", "instances", "previous"])).items.every((i: { run_id: string }) => i.run_id === "mid"),
    ).toBe(true);
    const inst = await json(["runs", "instance", "latest", "inst-0001"]);
    expect(JSON.stringify(inst)).toContain("inst-0001");
    // the newest run failed one of two instances: the gate says so, about that run
    const gate = await cli(["runs", "gate", "latest", "--fail-on", "fail_count==0"]);
    expect(gate.status).toBe(2);
    expect(gate.stderr).toContain("gate failed for new");
    const ok = await cli(["runs", "gate", "previous", "--fail-on", "fail_count==0"]);
    expect(ok.status, ok.stderr).toBe(0);
    const out = join(dir.path, "out");
    const e = await json(["runs", "export", "latest", "--out", out]);
    expect(e.run_id).toBe("new");
    expect(existsSync(join(out, "manifest.json"))).toBe(true);
    const nope = await cli(["--db", `file:${dir.file("empty.db")}`, "runs", "summary", "latest"]);
    expect(nope.status).not.toBe(0);
  });
});
