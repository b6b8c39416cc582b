/**
 * `verdict ivr run` as the built CLI in a subprocess, against a TwiML IVR written with the twilio
 * package (in this test process, on 127.0.0.1) and a local database file: steps printed as they
 * finish, executions and steps recorded with the CallSid, exit codes 0/2/1, JUnit XML read back;
 * and --server --wait through a real server and a built worker process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { type RunningServer, startServer } from "@verdict/api";
import { createToken, openDatabase } from "@verdict/db";
import {
  REPO_ROOT,
  TEST_IVR_AGENT,
  type TwimlTestIvr,
  ensureAppBuilt,
  ensureCliBuilt,
  runCli,
  startTwimlTestIvr,
  tempDir,
} from "@verdict/testing";
import { XMLParser } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectOneLineError } from "./helpers.js";

const dir = tempDir("verdict-cli-ivr-run-");
const db = `file:${dir.file("ivr.db")}`;
let ivr: TwimlTestIvr;
const env = () => ({ TEST_TWILIO_TOKEN: ivr.authToken });

const PASSING = dir.file("agent.yaml");
const FAILING = dir.file("wrong-number.json");

beforeAll(async () => {
  ensureCliBuilt();
  ivr = await startTwimlTestIvr();
  writeFileSync(
    PASSING,
    [
      "name: balance then agent",
      'target_phone: "+15550100"',
      "steps:",
      "  - type: prompt",
      "    expect:",
      "      all:",
      "        - contains: Test Bank",
      "        - similar: press 1 for your balance",
      "  - type: dtmf",
      '    digits: "1"',
      "  - type: validate",
      "    expected_text: 42 dollars",
      "  - type: dtmf",
      '    digits: "2"',
      "    name: ask for an agent",
      "  - type: expect_transfer",
      `    to: "${TEST_IVR_AGENT}"`,
      "  - type: expect_hangup",
      "",
    ].join("\n"),
  );
  writeFileSync(
    FAILING,
    JSON.stringify({
      scenario_id: "wrong-number",
      name: "transfer to the wrong number",
      target_phone: "+15550100",
      steps: [
        { type: "dtmf", digits: "2" },
        { type: "expect_transfer", to: "+15559990000" },
        { type: "expect_hangup" },
      ],
    }),
  );
  const r = await runCli(["--db", db, "init"]);
  expect(r.status, r.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
  await ivr?.close();
  dir.cleanup();
});

describe("verdict ivr run", () => {
  it("runs scenario files, prints each step, records executions with the CallSid, exit 0", async () => {
    const junit = dir.file("pass.xml");
    const r = await runCli(
      [
        "--db",
        db,
        "ivr",
        "run",
        PASSING,
        "--target",
        ivr.url,
        "--channel",
        "twiml",
        "--auth-token-env",
        "TEST_TWILIO_TOKEN",
        "--repeat",
        "2",
        "--junit",
        junit,
      ],
      { env: env() },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✓ step 4 validate \d+ ms {2}transferred to \+1 \(555\) 010-0200/);
    expect(r.stdout).toMatch(/^PASS balance then agent #2 {2}execution \S+ {2}call CA[0-9a-f]{32}$/m);
    expect(r.stdout).toMatch(/2 passed, 0 failed\n$/);

    const store = await openDatabase({ url: db });
    try {
      const executions = await store.client.execute(
        "SELECT execution_id, status, final_result, call_id FROM test_executions ORDER BY start_time",
      );
      expect(executions.rows).toHaveLength(2);
      for (const row of executions.rows) {
        expect(row.status).toBe("completed");
        expect(row.final_result).toBe("pass");
        expect(String(row.call_id)).toMatch(/^CA[0-9a-f]{32}$/);
        // the IVR saw this CallSid, on every request, correctly signed
        const seen = ivr.requests.filter((q) => q.params.CallSid === row.call_id);
        expect(seen.length).toBeGreaterThan(3);
        expect(seen.every((q) => q.valid)).toBe(true);
        const steps = await store.client.execute({
          sql: "SELECT step_number, step_type, status FROM step_executions WHERE execution_id = ? ORDER BY step_number",
          args: [String(row.execution_id)],
        });
        expect(steps.rows.map((s) => `${s.step_number}:${s.step_type}:${s.status}`)).toEqual([
          "0:prompt:pass",
          "1:dtmf:pass",
          "2:validate:pass",
          "3:dtmf:pass",
          "4:validate:pass",
          "5:validate:pass",
        ]);
      }
      const scenarios = await store.client.execute("SELECT count(*) AS n FROM test_scenarios");
      expect(Number(scenarios.rows[0]?.n)).toBe(1); // the file is stored once, then reused
    } finally {
      store.close();
    }

    const xml = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: "",
      isArray: (name) => ["testsuite", "testcase", "property"].includes(name),
    }).parse(readFileSync(junit, "utf8"));
    expect(xml.testsuites).toMatchObject({ tests: "12", failures: "0", errors: "0" });
    expect(xml.testsuites.testsuite.map((s: { name: string }) => s.name)).toEqual([
      "balance then agent #1",
      "balance then agent #2",
    ]);
    expect(xml.testsuites.testsuite[0].testcase[3].name).toBe("step 3 dtmf: ask for an agent");
    const props = xml.testsuites.testsuite[0].properties.property as { name: string; value: string }[];
    expect(props.find((p) => p.name === "call_id")?.value).toMatch(/^CA[0-9a-f]{32}$/);
  }, 120_000);

  it("exits 2 when a step fails, with the failure in the JUnit report and --json output", async () => {
    const junit = dir.file("fail.xml");
    const r = await runCli(
      [
        "--db",
        db,
        "--json",
        "ivr",
        "run",
        FAILING,
        PASSING,
        "--target",
        ivr.url,
        "--channel",
        "twiml",
        "--auth-token-env",
        "TEST_TWILIO_TOKEN",
        "--junit",
        junit,
      ],
      { env: env() },
    );
    expect(r.status, r.stderr).toBe(2);
    const out = JSON.parse(r.stdout) as {
      passed: number;
      failed: number;
      executions: { final_result: string; error: string }[];
    };
    expect(out).toMatchObject({ passed: 1, failed: 1 });
    expect(out.executions[0]?.error).toBe(
      `step 1: expected a transfer to +15559990000, the IVR transferred to ${TEST_IVR_AGENT} (number, completed)`,
    );
    expect(r.stderr).toMatch(/✗ step 1 validate/);
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(readFileSync(junit, "utf8"));
    expect(xml.testsuites).toMatchObject({ tests: "9", failures: "1", errors: "0", skipped: "1" });
    const failing = xml.testsuites.testsuite[0].testcase[1];
    expect(failing.failure.message).toMatch(/expected a transfer to \+15559990000/);

    // the report is not overwritten without --force
    const again = await runCli([
      "--db",
      db,
      "ivr",
      "run",
      FAILING,
      "--target",
      ivr.url,
      "--channel",
      "twiml",
      "--junit",
      junit,
    ]);
    expect(expectOneLineError(again, 1)).toContain("already exists (pass --force to replace it)");
    expect(readFileSync(junit, "utf8")).toContain('tests="9"'); // untouched
    const forced = await runCli(
      [
        "--db",
        db,
        "ivr",
        "run",
        FAILING,
        "--target",
        ivr.url,
        "--channel",
        "twiml",
        "--auth-token-env",
        "TEST_TWILIO_TOKEN",
        "--junit",
        junit,
        "--force",
      ],
      { env: env() },
    );
    expect(forced.status, forced.stderr).toBe(2);
    const replaced = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(
      readFileSync(junit, "utf8"),
    );
    expect(replaced.testsuites).toMatchObject({ tests: "3", failures: "1" });
  }, 120_000);

  it("--junit never writes over the open database or its -wal, even with --force", async () => {
    const file = dir.file("ivr.db");
    const before = readFileSync(file);
    for (const target of [file, `${file}-wal`]) {
      const r = await runCli([
        "--db",
        db,
        "ivr",
        "run",
        FAILING,
        "--target",
        "http://127.0.0.1:9/",
        "--junit",
        target,
        "--force",
      ]);
      expect(expectOneLineError(r, 1)).toContain(target);
    }
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it("a wrong auth token: the IVR answers 403, the step errs with a clear message, the CallSid is recorded", async () => {
    const r = await runCli(
      [
        "--db",
        db,
        "ivr",
        "run",
        PASSING,
        "--target",
        ivr.url,
        "--channel",
        "twiml",
        "--auth-token-env",
        "TEST_TWILIO_TOKEN",
      ],
      { env: { TEST_TWILIO_TOKEN: "wrong" } },
    );
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(
      /! step 0 prompt \d+ ms {2}the IVR answered the call's start \(POST http:\/\/127\.0\.0\.1:\d+\/voice\) with HTTP 403 \(the IVR refused the request: is X-Twilio-Signature made with the right auth token\?\)/,
    );
    const sid = /call (CA[0-9a-f]{32})/.exec(r.stdout)?.[1];
    expect(sid).toBeDefined();
    expect(ivr.requests.filter((q) => q.params.CallSid === sid)).toMatchObject([{ valid: false }]);
  }, 120_000);

  it("exit 1 on errors: a bad scenario file, an unknown scenario id, an unreachable target", async () => {
    const bad = dir.file("bad.yaml");
    writeFileSync(bad, 'name: bad\ntarget_phone: "1"\nsteps:\n  - type: expect_audio\n    url_pattern: "("\n');
    const r = await runCli(["--db", db, "ivr", "run", bad, "--target", ivr.url]);
    expect(expectOneLineError(r, 1)).toMatch(/bad\.yaml:5:\d+: steps\.0\.url_pattern: not a valid regular expression/);

    const unknown = await runCli(["--db", db, "ivr", "run", "no-such-scenario", "--target", ivr.url]);
    expect(expectOneLineError(unknown, 1)).toMatch(/no-such-scenario/);

    const nowhere = await runCli([
      "--db",
      db,
      "ivr",
      "run",
      "wrong-number",
      "--target",
      "http://127.0.0.1:9/voice",
      "--channel",
      "twiml",
    ]);
    expect(nowhere.status).toBe(2); // the IVR cannot be reached: the scenario fails at step 0
    expect(nowhere.stdout).toMatch(/cannot reach the IVR at http:\/\/127\.0\.0\.1:9\/voice/);

    const usage = await runCli(["--db", db, "ivr", "run", PASSING]);
    // a usage error: exit 2 today, 64 once the CLI's new exit-code table lands
    expect([2, 64]).toContain(usage.status);
    expect(expectOneLineError(usage, usage.status ?? -1)).toContain("names no target; give --target NAME|URL");
    expect(existsSync(dir.file("none.xml"))).toBe(false);
  }, 120_000);
});

describe("verdict ivr run --server --wait", () => {
  let server: RunningServer;
  let worker: ChildProcess;
  let token = "";
  let serverDb: Awaited<ReturnType<typeof openDatabase>>;
  const serverDbUrl = `file:${dir.file("server.db")}`;

  beforeAll(async () => {
    const workerJs = ensureAppBuilt("apps/worker", "apps/worker/dist/index.js");
    serverDb = await openDatabase({ url: serverDbUrl, migrate: true });
    token = (await createToken(serverDb, "ivr-run-test", "write")).token;
    server = await startServer({ db: serverDb, port: 0, log: () => undefined });
    worker = spawn(
      process.execPath,
      [
        workerJs,
        "--server",
        server.url,
        "--token",
        token,
        "--kinds",
        "ivr",
        "--ivr-webhook",
        ivr.url,
        "--ivr-channel",
        "twiml",
        "--poll-ms",
        "50",
      ],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, VERDICT_IVR_AUTH_TOKEN: ivr.authToken },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
  }, 240_000);

  afterAll(async () => {
    if (worker && worker.exitCode === null) {
      worker.kill("SIGTERM");
      await once(worker, "exit");
    }
    await server?.close();
    serverDb?.close();
  });

  it("queues the executions for a real worker, follows them and exits 2 when one fails", async () => {
    const junit = dir.file("server.xml");
    const r = await runCli(
      [
        "--server",
        server.url,
        "--token",
        token,
        "ivr",
        "run",
        PASSING,
        FAILING,
        "--wait",
        "--poll-ms",
        "100",
        "--junit",
        junit,
      ],
      { timeoutMs: 120_000 },
    );
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toMatch(/✓ step 4 validate \d+ ms {2}transferred to \+1 \(555\) 010-0200/);
    expect(r.stdout).toMatch(/^PASS balance then agent {2}execution \S+ {2}call CA[0-9a-f]{32}$/m);
    expect(r.stdout).toMatch(/^FAIL transfer to the wrong number {2}execution \S+ {2}call CA[0-9a-f]{32}$/m);
    expect(r.stdout).toMatch(/1 passed, 1 failed\n$/);
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(readFileSync(junit, "utf8"));
    expect(xml.testsuites).toMatchObject({ tests: "9", failures: "1", skipped: "1" });

    const usage = await runCli([
      "--server",
      server.url,
      "--token",
      token,
      "ivr",
      "run",
      PASSING,
      "--target",
      ivr.url,
      "--wait",
    ]);
    expect([2, 64]).toContain(usage.status);
    expect(expectOneLineError(usage, usage.status ?? -1)).toContain("drop --target");
  }, 120_000);
});
