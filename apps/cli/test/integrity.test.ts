import { writeFileSync } from "node:fs";
import { ensureCliBuilt, runCli, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectOneLineError } from "./helpers.js";

/** No command loses history or doubles rows: rm needs --force for history, imports are idempotent. */
const dir = tempDir("verdict-cli-integrity-");
const db = `file:${dir.file("integrity.db")}`;
const cli = (args: string[]) => runCli(["--db", db, ...args]);
const json = async <T>(args: string[]): Promise<T> => JSON.parse((await cli(["--json", ...args])).stdout) as T;

beforeAll(async () => {
  ensureCliBuilt();
  expect((await cli(["init", "--seed"])).status).toBe(0);
}, 120_000);
afterAll(() => dir.cleanup());

describe("scenario history", () => {
  it("rm refuses a scenario with executions, naming how many; --force deletes them with it", async () => {
    const before = await json<{ items: unknown[] }>(["executions", "list", "--scenario", "bank-agent"]);
    expect(before.items.length).toBeGreaterThan(0);
    const refused = await cli(["scenarios", "rm", "bank-agent"]);
    expect(expectOneLineError(refused, 1)).toBe(
      `error: scenario 'bank-agent' has ${before.items.length} execution(s); deleting it would delete them and their steps too (pass --force, or force: true, to do that)`,
    );
    expect((await json<{ items: unknown[] }>(["executions", "list", "--scenario", "bank-agent"])).items).toHaveLength(
      before.items.length,
    );
    const forced = await cli(["scenarios", "rm", "bank-agent", "--force"]);
    expect(forced.status, forced.stderr).toBe(0);
    expect(forced.stderr).toContain(`deleted scenario bank-agent with its ${before.items.length} execution(s)`);
    expect((await cli(["scenarios", "show", "bank-agent"])).status).toBe(1);
  });

  it("update replaces a scenario's definition from a file and keeps its executions", async () => {
    const executions = await json<{ items: unknown[] }>(["executions", "list", "--scenario", "bank-balance"]);
    const file = dir.file("balance-v2.yaml");
    writeFileSync(
      file,
      ["name: Balance v2", "target_phone: '+15550100'", "steps:", "  - type: dtmf", "    digits: '1'", ""].join("\n"),
    );
    const r = await cli(["scenarios", "update", "bank-balance", file]);
    expect(r.status, r.stderr).toBe(0);
    const shown = await json<{ name: string; steps: unknown[] }>(["scenarios", "show", "bank-balance"]);
    expect(shown).toMatchObject({ name: "Balance v2", steps: [{ type: "dtmf", digits: "1" }] });
    expect(await json<{ items: unknown[] }>(["executions", "list", "--scenario", "bank-balance"])).toEqual(executions);
    expect(expectOneLineError(await cli(["scenarios", "update", "nope", file]), 1)).toBe(
      "error: scenario 'nope' not found",
    );
  });
});

describe("training import", () => {
  it("importing the same file twice adds its samples once and says how many were already there", async () => {
    const file = dir.file("samples.csv");
    writeFileSync(
      file,
      "text,intent\nwhat is left on my cheque account today,check_balance\nshift 40 pounds into the holiday pot,transfer_funds\n",
    );
    const count = async () => (await json<{ items: unknown[] }>(["training", "list", "--limit", "500"])).items.length;
    const start = await count();
    const first = await cli(["training", "import", file]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toContain(`${file}: 2 added, 0 already present`);
    const second = await cli(["--json", "training", "import", file]);
    expect(JSON.parse(second.stdout)).toEqual({ inserted: 0, already_present: 2, ids: [] });
    expect(await count()).toBe(start + 2);

    // An export imports back without adding anything.
    const out = dir.file("export.jsonl");
    expect((await cli(["training", "export", "--out", out])).status).toBe(0);
    const back = await cli(["training", "import", out]);
    expect(back.status, back.stderr).toBe(0);
    expect(back.stderr).toContain(`0 added, ${start + 2} already present`);
    expect(await count()).toBe(start + 2);
  });
});
