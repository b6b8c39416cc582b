/**
 * `verdict ivr targets` and `verdict ivr run --target NAME` as the built CLI in a subprocess, against
 * the TwiML test IVR (twilio's validateRequest checks every signature) and a local database file:
 * a stored target's channel, URL and options drive the call; its auth token comes only from env
 * VERDICT_IVR_TOKEN_<NAME> and never lands in the database; a secret-looking option is refused.
 */
import { writeFileSync } from "node:fs";
import { openDatabase } from "@verdict/db";
import { type TwimlTestIvr, ensureCliBuilt, runCli, startTwimlTestIvr, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectOneLineError } from "./helpers.js";

const dir = tempDir("verdict-cli-ivr-targets-");
const db = `file:${dir.file("ivr.db")}`;
let ivr: TwimlTestIvr;
const TOKEN_ENV = "VERDICT_IVR_TOKEN_TEST_BANK";
const ACCOUNT = "AC0123456789abcdef0123456789abcdef";
const FROM = "+15550199";

const BALANCE = dir.file("balance.yaml");
const OWN_TARGET = dir.file("own-target.yaml");
const scenarioYaml = (name: string, target?: string) =>
  [
    `name: ${name}`,
    'target_phone: "+15550100"',
    ...(target ? [`target: ${target}`] : []),
    "steps:",
    "  - type: prompt",
    "    expected_text: Test Bank",
    "  - type: dtmf",
    '    digits: "1"',
    "  - type: validate",
    "    expected_text: 42 dollars",
    "",
  ].join("\n");

async function rowsOf(sql: string): Promise<Record<string, unknown>[]> {
  const store = await openDatabase({ url: db });
  try {
    return (await store.client.execute(sql)).rows.map((r) => ({ ...r }));
  } finally {
    store.close();
  }
}

/** The requests the IVR saw for the call of the execution the last run recorded. */
async function lastCallRequests() {
  const [row] = await rowsOf("SELECT call_id FROM test_executions ORDER BY start_time DESC, rowid DESC LIMIT 1");
  const callId = String(row?.call_id);
  expect(callId).toMatch(/^CA[0-9a-f]{32}$/);
  return ivr.requests.filter((q) => q.params.CallSid === callId);
}

beforeAll(async () => {
  ensureCliBuilt();
  ivr = await startTwimlTestIvr();
  writeFileSync(BALANCE, scenarioYaml("balance"));
  writeFileSync(OWN_TARGET, scenarioYaml("balance via its own target", "test-bank"));
  const r = await runCli(["--db", db, "init"]);
  expect(r.status, r.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
  await ivr?.close();
  dir.cleanup();
});

describe("verdict ivr targets", () => {
  it("add, list and show a target; the token's env name is shown, no secret is stored", async () => {
    const add = await runCli([
      "--db",
      db,
      "ivr",
      "targets",
      "add",
      "test-bank",
      "--channel",
      "twiml",
      "--url",
      ivr.url,
      "--option",
      `from=${FROM}`,
      "--option",
      `account_sid=${ACCOUNT}`,
    ]);
    expect(add.status, add.stderr).toBe(0);
    expect(add.stderr).toContain(`auth token from env ${TOKEN_ENV}`);

    const list = await runCli(["--db", db, "--json", "ivr", "targets", "list"]);
    expect(list.status, list.stderr).toBe(0);
    const page = JSON.parse(list.stdout) as { items: { name: string; channel: string; url: string }[] };
    expect(page.items.map((t) => [t.name, t.channel, t.url])).toEqual([["test-bank", "twiml", ivr.url]]);

    const show = await runCli(["--db", db, "--json", "ivr", "targets", "show", "test-bank"], {
      env: { [TOKEN_ENV]: ivr.authToken },
    });
    expect(show.status, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({
      name: "test-bank",
      options: { from: FROM, account_sid: ACCOUNT },
      token_env: TOKEN_ENV,
      token_set: true,
    });
    expect(show.stdout).not.toContain(ivr.authToken);
  });

  it("refuses an option that looks like a secret (exit 64, one line) and stores nothing", async () => {
    const r = await runCli([
      "--db",
      db,
      "ivr",
      "targets",
      "add",
      "leaky",
      "--channel",
      "twiml",
      "--url",
      ivr.url,
      "--option",
      `auth_token=${ivr.authToken}`,
    ]);
    const line = expectOneLineError(r, 64);
    expect(line).toContain("--option auth_token: 'auth_token' looks like a secret");
    expect(line).toContain("VERDICT_IVR_TOKEN_");
    expect(await rowsOf("SELECT name FROM ivr_targets WHERE name = 'leaky'")).toEqual([]);
  });

  it("ivr run --target NAME signs with the token from VERDICT_IVR_TOKEN_<NAME> and sends the target's options", async () => {
    const r = await runCli(["--db", db, "ivr", "run", BALANCE, "--target", "test-bank"], {
      env: { [TOKEN_ENV]: ivr.authToken },
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/1 passed, 0 failed\n$/);
    const seen = await lastCallRequests();
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.every((q) => q.valid)).toBe(true);
    expect(seen.every((q) => q.params.From === FROM && q.params.AccountSid === ACCOUNT)).toBe(true);
    // the token is nowhere in the database
    const dump = JSON.stringify(await rowsOf("SELECT * FROM ivr_targets"));
    expect(dump).toContain("test-bank");
    expect(dump).not.toContain(ivr.authToken);
  }, 120_000);

  it("without the token in the environment the requests go unsigned: the IVR refuses them, exit 2", async () => {
    const r = await runCli(["--db", db, "ivr", "run", BALANCE, "--target", "test-bank"]);
    expect(r.status, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toContain("HTTP 403");
    expect((await lastCallRequests()).every((q) => !q.valid)).toBe(true);
  }, 120_000);

  it("a scenario's own target is used when the run gives none", async () => {
    const r = await runCli(["--db", db, "ivr", "run", OWN_TARGET], { env: { [TOKEN_ENV]: ivr.authToken } });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect((await lastCallRequests()).every((q) => q.valid && q.params.From === FROM)).toBe(true);
    const [stored] = await rowsOf("SELECT target FROM test_scenarios WHERE name = 'balance via its own target'");
    expect(stored?.target).toBe("test-bank");
  }, 120_000);

  it("usage errors: an unknown target name, no target at all, a --channel the target does not speak", async () => {
    const unknown = expectOneLineError(await runCli(["--db", db, "ivr", "run", BALANCE, "--target", "nope"]), 64);
    expect(unknown).toContain("--target: no stored IVR target 'nope'");
    const none = expectOneLineError(await runCli(["--db", db, "ivr", "run", BALANCE]), 64);
    expect(none).toContain("names no target; give --target NAME|URL");
    const channel = expectOneLineError(
      await runCli(["--db", db, "ivr", "run", BALANCE, "--target", "test-bank", "--channel", "webhook"]),
      64,
    );
    expect(channel).toContain("target 'test-bank' speaks twiml, not webhook");
  }, 120_000);

  it("rm refuses a target a scenario names (exit 1) unless --force", async () => {
    const refused = expectOneLineError(await runCli(["--db", db, "ivr", "targets", "rm", "test-bank"]), 1);
    expect(refused).toContain("is the target of 1 scenario(s)");
    expect(await rowsOf("SELECT name FROM ivr_targets")).toEqual([{ name: "test-bank" }]);
    const forced = await runCli(["--db", db, "ivr", "targets", "rm", "test-bank", "--force"]);
    expect(forced.status, forced.stderr).toBe(0);
    expect(await rowsOf("SELECT name FROM ivr_targets")).toEqual([]);
  });
});
