import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, ensureCliBuilt, runCli, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectOneLineError } from "./helpers.js";

/** `verdict schema json NAME [--out FILE]`: the committed schemas/NAME.schema.json, printed or written once. */
const dir = tempDir("verdict-schema-json-");
const cli = (args: string[]) => runCli(["--db", `file:${dir.file("unused.db")}`, ...args]);

beforeAll(() => {
  ensureCliBuilt();
}, 120_000);
afterAll(() => dir.cleanup());

describe("verdict schema json", () => {
  it.each(["ivr-scenario", "http-scenario", "training-record", "metrics-run", "metrics-thresholds"])(
    "%s: prints the committed schema",
    async (name) => {
      const r = await cli(["schema", "json", name]);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual(
        JSON.parse(readFileSync(join(REPO_ROOT, "schemas", `${name}.schema.json`), "utf8")),
      );
    },
  );

  it("an unknown name is a usage error (64)", async () => {
    const line = expectOneLineError(await cli(["schema", "json", "ivr-scenarios"]), 64);
    expect(line).toContain("expected one of ivr-scenario, http-scenario");
  });

  it("--out writes the file; an existing file is refused and left as it was", async () => {
    const out = dir.file("ivr.schema.json");
    const r = await cli(["schema", "json", "ivr-scenario", "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, "utf8")).title).toBe("Verdict IVR scenario");
    writeFileSync(out, "mine");
    expectOneLineError(await cli(["schema", "json", "ivr-scenario", "--out", out]), 1);
    expect(readFileSync(out, "utf8")).toBe("mine");
    expect((await cli(["schema", "json", "metrics-run", "--out", out, "--force"])).status).toBe(0);
    expect(JSON.parse(readFileSync(out, "utf8")).title).toBe("Verdict benchmark run");
  });
});
