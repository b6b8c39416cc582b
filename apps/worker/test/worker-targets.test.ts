/**
 * A built worker process runs scenarios that name a stored IVR target: channel, URL and options come
 * from the server, the auth token only from the worker's environment (VERDICT_IVR_TOKEN_<NAME>),
 * checked by the TwiML test IVR's twilio.validateRequest. A scenario without a target falls back to
 * the worker's --ivr-webhook / --ivr-channel flags.
 */
import { createVerdictClient } from "@verdict/api";
import {
  type VerdictDb,
  createIvrTarget,
  createScenario,
  createToken,
  getExecution,
  getWorkItem,
  openDatabase,
} from "@verdict/db";
import { type TwimlTestIvr, startTwimlTestIvr, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Proc, type VerdictServer, WORKER, ensureBuilt, run, startVerdict, until } from "./helpers.js";

const dir = tempDir("verdict-worker-targets-");
const dbUrl = `file:${dir.file("verdict.db")}`;
let db: VerdictDb;
let server: VerdictServer;
let ivr: TwimlTestIvr;
let token: string;
let worker: Proc | undefined;
const FROM = "+15550177";

const steps = [
  { type: "prompt" as const, expected_text: "Test Bank" },
  { type: "dtmf" as const, digits: "1" },
  { type: "validate" as const, expected_text: "42 dollars" },
];

beforeAll(async () => {
  ensureBuilt();
  db = await openDatabase({ url: dbUrl, migrate: true });
  token = (await createToken(db, "workers", "write")).token;
  [server, ivr] = await Promise.all([startVerdict(dbUrl), startTwimlTestIvr()]);
  await createIvrTarget(db, { name: "test-bank", channel: "twiml", url: ivr.url, options: { from: FROM } });
  await createScenario(db, {
    slug: "targeted",
    name: "targeted",
    target_phone: "+1555",
    steps,
    target: "test-bank",
  });
  await createScenario(db, { slug: "plain", name: "plain", target_phone: "+1555", steps });
}, 180_000);

afterAll(async () => {
  worker?.kill("SIGKILL");
  await server?.stop();
  await ivr?.close();
  db?.close();
  dir.cleanup();
});

describe("worker and stored IVR targets", () => {
  it("a targeted scenario is signed with the env token by target name; one without falls back to the flags", async () => {
    // The flags point at the same IVR, unsigned (no VERDICT_IVR_AUTH_TOKEN): the IVR refuses those calls.
    worker = run(
      [WORKER, "--server", server.url, "--token", token, "--id", "w-targets", "--poll-ms", "100"].concat([
        "--kinds",
        "ivr",
        "--ivr-webhook",
        ivr.url,
        "--ivr-channel",
        "twiml",
      ]),
      { env: { VERDICT_IVR_TOKEN_TEST_BANK: ivr.authToken } },
    );
    const api = createVerdictClient({ url: server.url, token });
    const [targeted] = (await api.queue.enqueue.mutate({ scenario_id: "targeted", repeat: 1 })).item_ids;
    const [plain] = (await api.queue.enqueue.mutate({ scenario_id: "plain", repeat: 1 })).item_ids;
    if (targeted === undefined || plain === undefined) throw new Error("nothing queued");
    // A queue item, then the execution a worker started for it.
    const done = async (itemId: string) => {
      const item = await until(
        () => getWorkItem(db, itemId),
        (w) => w.execution_id !== null,
        `item ${itemId} to start`,
        60_000,
      );
      return until(
        () => getExecution(db, item.execution_id ?? 0),
        (e) => e.status !== "running",
        `execution ${item.execution_id} to end`,
        60_000,
      );
    };
    const t = await done(targeted);
    expect(t, JSON.stringify(t)).toMatchObject({ status: "completed", final_result: "pass" });
    const tSeen = ivr.requests.filter((q) => q.params.CallSid === t.call_id);
    expect(tSeen.length).toBeGreaterThan(1);
    expect(tSeen.every((q) => q.valid && q.params.From === FROM)).toBe(true);

    const p = await done(plain);
    expect(p.final_result).toBe("fail");
    expect(p.error_message ?? "").toContain("403");
    const pSeen = ivr.requests.filter((q) => q.params.CallSid === p.call_id);
    expect(pSeen.length).toBeGreaterThan(0);
    expect(pSeen.every((q) => !q.valid && q.params.From !== FROM)).toBe(true);
    worker.kill("SIGTERM");
    expect((await worker.exited()).code).toBe(0);
  }, 120_000);
});
