import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureCliBuilt, runCli, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectOneLineError } from "./helpers.js";

/**
 * The config file (verdict.config.{json,yaml}, .verdictrc) found upwards from the current folder,
 * the precedence flag > environment > file > default, the project root's default database, and
 * reads that never create a database.
 */
const dir = tempDir("verdict-config-");
afterAll(() => dir.cleanup());
beforeAll(() => {
  ensureCliBuilt();
}, 120_000);

interface Shown {
  config_file: string | null;
  project_root: string;
  settings: Record<string, { value: string | null; source: { kind: string; name?: string; path?: string } }>;
}

async function show(cwd: string, args: string[] = [], env: Record<string, string> = {}): Promise<Shown> {
  const r = await runCli([...args, "config", "show", "--json"], { cwd, env });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Shown;
}

/** Every file and folder under `root`, relative to it. */
function tree(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: "utf8" }).sort();
}

describe("config file", () => {
  const project = join(dir.path, "project");
  const sub = join(project, "src", "deep");
  const file = join(project, "verdict.config.yaml");

  beforeAll(() => {
    mkdirSync(sub, { recursive: true });
    writeFileSync(
      file,
      [
        "# the team's settings",
        "database: file:db/team.db",
        "server: http://file.example:4000",
        "commands:",
        "  runs list:",
        "    sut: no-such-sut",
        "",
      ].join("\n"),
    );
  });

  it("is found from a subfolder; a relative database path is relative to the file", async () => {
    const s = await show(sub);
    expect(s.config_file).toBe(file);
    expect(s.project_root).toBe(project);
    expect(s.settings.database).toEqual({
      value: `file:${join(project, "db", "team.db")}`,
      source: { kind: "file", path: file },
    });
  });

  it("precedence: flag > environment > file > default", async () => {
    expect((await show(sub)).settings.server).toEqual({
      value: "http://file.example:4000",
      source: { kind: "file", path: file },
    });
    const env = { VERDICT_SERVER: "http://env.example:4000" };
    expect((await show(sub, [], env)).settings.server).toEqual({
      value: "http://env.example:4000",
      source: { kind: "env", name: "VERDICT_SERVER" },
    });
    expect((await show(sub, ["--server", "http://flag.example:4000"], env)).settings.server).toEqual({
      value: "http://flag.example:4000",
      source: { kind: "flag", name: "--server" },
    });
    expect((await show(sub)).settings.token).toEqual({ value: null, source: { kind: "default" } });
    // Secrets are shown as set, never their value.
    const token = (await show(sub, [], { VERDICT_TOKEN: "s3cret" })).settings.token;
    expect(token).toEqual({ value: "(set)", source: { kind: "env", name: "VERDICT_TOKEN" } });
  });

  it("config show for people names each source", async () => {
    const r = await runCli(["config", "show"], { cwd: sub, env: { VERDICT_DB_URL: "file:/tmp/x.db" } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^config_file\s+.*verdict\.config\.yaml$/m);
    expect(r.stdout).toMatch(/^database\s+file:\/tmp\/x\.db\s+\(env VERDICT_DB_URL\)$/m);
    expect(r.stdout).toMatch(
      new RegExp(`^server\\s+http://file\\.example:4000\\s+\\(${file.replace(/[.]/g, "\\.")}\\)$`, "m"),
    );
    expect(r.stdout).toMatch(/^runs list --sut\s+no-such-sut/m);
  });

  it("the database of the file is used from a subfolder; command defaults apply, a flag wins", async () => {
    const local = ["--server", ""];
    // init from the subfolder creates the file's database, nowhere else.
    const init = await runCli([...local, "init", "--seed"], { cwd: sub });
    expect(init.status, init.stderr).toBe(0);
    expect(tree(project)).toEqual(expect.arrayContaining(["db", join("db", "team.db")]));
    expect(tree(sub)).toEqual([]);
    // The file's default for runs list (--sut no-such-sut) applies: no runs.
    const none = await runCli([...local, "--json", "runs", "list"], { cwd: sub });
    expect(none.status, none.stderr).toBe(0);
    expect((JSON.parse(none.stdout) as { items: unknown[] }).items).toEqual([]);
    // The flag wins over the file.
    const some = await runCli([...local, "--json", "runs", "list", "--sut", "shop-api"], { cwd: sub });
    expect(some.status, some.stderr).toBe(0);
    expect((JSON.parse(some.stdout) as { items: { id: string }[] }).items.map((r) => r.id)).toContain("seed-run-001");
  });

  it("a bad config file: one line per problem with file:line, exit 1", async () => {
    const bad = join(dir.path, "bad");
    mkdirSync(bad);
    writeFileSync(join(bad, ".verdictrc"), "database: file:x.db\ndatabse: file:y.db\n");
    const r = await runCli(["runs", "list"], { cwd: bad });
    expect(expectOneLineError(r, 1)).toBe(
      `error: ${join(bad, ".verdictrc")}:2:1: databse: unknown key (did you mean "database"?)`,
    );
    writeFileSync(join(bad, ".verdictrc"), "commands:\n  runs list:\n    sutt: x\n");
    const opt = await runCli(["runs", "list"], { cwd: bad });
    expect(expectOneLineError(opt, 1)).toMatch(
      /\.verdictrc:3:5: commands\.runs list\.sutt: verdict runs list has no option --sutt/,
    );
  });
});

describe("the default database", () => {
  it("is ROOT/data/verdict.db, ROOT the nearest folder with data/ (no config file)", async () => {
    const root = join(dir.path, "with-data");
    const deep = join(root, "a", "b");
    mkdirSync(join(root, "data"), { recursive: true });
    mkdirSync(deep, { recursive: true });
    const s = await show(deep);
    expect(s.config_file).toBeNull();
    expect(s.project_root).toBe(root);
    expect(s.settings.database).toEqual({
      value: `file:${join(root, "data", "verdict.db")}`,
      source: { kind: "default" },
    });
    expect((await runCli(["init"], { cwd: root })).status).toBe(0);
    const list = await runCli(["runs", "list"], { cwd: deep });
    expect(list.status, list.stderr).toBe(0);
    expect(tree(deep)).toEqual([]);
  });
});

describe("reads never create a database", () => {
  it.each([
    [["runs", "list"]],
    [["runs", "show", "seed-run-001"]],
    [["runs", "summary", "latest"]],
    [["runs", "report", "seed-run-001"]],
    [["runs", "instances", "seed-run-001"]],
    [["metrics", "list"]],
    [["metrics", "show", "seed-bench-1"]],
    [["scenarios", "list"]],
    [["executions", "list"]],
    [["training", "list"]],
    [["ivr", "targets", "list"]],
    [["queue", "counts"]],
    [["tokens", "list"]],
    [["migrate", "status"]],
    [["migrate", "validate"]],
    [["backup", "out.db"]],
  ])("verdict %j in an empty folder: one line naming the path and `verdict init`, nothing written", async (args) => {
    const empty = tempDir("verdict-empty-");
    try {
      const r = await runCli(args, { cwd: empty.path });
      const line = expectOneLineError(r, 1);
      expect(line).toBe(
        `error: no database at ${join(empty.path, "data", "verdict.db")}: create one with \`verdict init\` (or point --db, VERDICT_DB_URL or the config file's \`database\` at one)`,
      );
      expect(tree(empty.path)).toEqual([]);
    } finally {
      empty.cleanup();
    }
  });

  it("--db to a missing file: the same, for that file", async () => {
    const missing = join(dir.path, "nowhere", "missing.db");
    const r = await runCli(["--db", `file:${missing}`, "runs", "list"]);
    expect(expectOneLineError(r, 1)).toContain(`no database at ${missing}:`);
    expect(readdirSync(dir.path)).not.toContain("nowhere");
  });
});
