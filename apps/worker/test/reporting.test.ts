/**
 * The worker's reporting path against a real Verdict server (in this process, on a libSQL file)
 * over HTTP on 127.0.0.1: step reports whose responses are lost on the way back are retried and
 * still land once; reports made while the server is down stay buffered and land once it is back.
 * Also the backoff bounds and the worker's flag parsing.
 */
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { type RunningServer, startServer } from "@verdict/api";
import {
  type VerdictDb,
  claimWork,
  createScenario,
  createToken,
  enqueueExecutions,
  listStepExecutions,
  openDatabase,
} from "@verdict/db";
import type { ClaimedItem, IvrStepReport } from "@verdict/schema";
import { tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, type WorkerConfig, loadConfig } from "../src/config.js";
import type { Level } from "../src/log.js";
import { StepReporter } from "../src/reporter.js";
import { backoffMs, createRpc } from "../src/rpc.js";

const dir = tempDir("verdict-worker-report-");
const dbUrl = `file:${dir.file("verdict.db")}`;
let db: VerdictDb;
let server: RunningServer;
let token: string;
let scenarioId: number;
const logs: { level: Level; msg: string }[] = [];
const log = (level: Level, msg: string) => {
  logs.push({ level, msg });
};

function config(serverUrl: string): WorkerConfig {
  const c = loadConfig(
    ["--server", serverUrl, "--token", token, "--id", "rep", "--max-backoff-ms", "200", "--request-timeout-ms", "2000"],
    {},
  );
  if (c === "help" || c === "version") throw new Error("unexpected help or version");
  return c;
}

async function serve(port = 0): Promise<RunningServer> {
  const h = await openDatabase({ url: dbUrl });
  return startServer({ db: h, port, log: () => undefined });
}

beforeAll(async () => {
  db = await openDatabase({ url: dbUrl, migrate: true });
  token = (await createToken(db, "rep", "write")).token;
  scenarioId = (
    await createScenario(db, {
      name: "four steps",
      target_phone: "+1555",
      steps: [
        { type: "dtmf", digits: "1" },
        { type: "dtmf", digits: "2" },
        { type: "dtmf", digits: "3" },
        { type: "dtmf", digits: "4" },
      ],
    })
  ).scenario_id;
  server = await serve();
});
afterAll(async () => {
  await server.close();
  db.close();
  dir.cleanup();
});

function step(n: number): IvrStepReport {
  const t = new Date().toISOString();
  return {
    step_number: n,
    step_type: "dtmf",
    dtmf_sent: String(n + 1),
    status: "pass",
    started_at: t,
    ended_at: t,
    latency_ms: 1,
  };
}

async function claimOne(): Promise<ClaimedItem & { kind: "ivr" }> {
  await enqueueExecutions(db, { scenario_id: scenarioId });
  const [item] = await claimWork(db, { worker_id: "rep", kinds: ["ivr"], lease_ms: 60_000 });
  if (item?.kind !== "ivr") throw new Error("nothing claimed");
  return item;
}

describe("step reports", () => {
  it("a report whose response is lost is sent again and still recorded once", async () => {
    const upstream = new URL(server.url);
    let dropped = 0;
    // Forwards everything to the server, but cuts the connection after the server has handled the
    // first two report calls, so the worker never hears back and retries them.
    const proxy = createServer((req, res) => {
      const fwd = request(
        // As a reverse proxy does, it addresses the server by the server's own host (it checks Host).
        {
          host: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: upstream.host },
        },
        (up) => {
          if ((req.url ?? "").includes("queue.report") && dropped < 2) {
            dropped++;
            up.resume();
            up.on("end", () => req.socket.destroy());
            return;
          }
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      req.pipe(fwd);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const via = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const item = await claimOne();
      const rpc = createRpc(config(via), log);
      const reporter = new StepReporter(rpc, log, {
        workerId: "rep",
        flushMs: 10,
        batchSize: 100,
        signal: new AbortController().signal,
        onLeaseLost: () => undefined,
      });
      for (const n of [0, 1, 2, 3]) reporter.add(item.item_id, item.lease, step(n));
      reporter.add(item.item_id, item.lease, step(1)); // reported twice by the executor: kept once
      await reporter.flush();
      expect(dropped).toBe(2);
      expect(reporter.pendingSteps).toBe(0);
      expect((await listStepExecutions(db, item.execution_id)).map((s) => s.step_number)).toEqual([0, 1, 2, 3]);
    } finally {
      proxy.closeAllConnections();
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });

  it("reports made while the server is down stay buffered and land once it is back", async () => {
    const item = await claimOne();
    const rpc = createRpc(config(server.url), log);
    const reporter = new StepReporter(rpc, log, {
      workerId: "rep",
      flushMs: 10,
      batchSize: 100,
      signal: new AbortController().signal,
      onLeaseLost: () => undefined,
    });
    reporter.add(item.item_id, item.lease, step(0));
    await reporter.flush();
    const port = new URL(server.url).port;
    await server.close();
    reporter.add(item.item_id, item.lease, step(1));
    reporter.add(item.item_id, item.lease, step(2));
    const flushing = reporter.flush();
    await new Promise((r) => setTimeout(r, 700)); // several failed attempts
    expect(reporter.pendingSteps).toBe(2);
    expect(logs.some((l) => l.msg === "server call failed; retrying with backoff")).toBe(true);
    server = await serve(Number(port));
    await flushing;
    expect(logs.some((l) => l.msg === "server reachable again")).toBe(true);
    expect((await listStepExecutions(db, item.execution_id)).map((s) => s.step_number)).toEqual([0, 1, 2]);
  });
});

describe("backoff and flags", () => {
  it("backoff doubles from 100 ms, stays under its cap, and is jittered into the upper half", () => {
    expect([0, 1, 2, 3].map((a) => backoffMs(a, 5000, () => 1))).toEqual([100, 200, 400, 800]);
    expect([0, 1, 2, 3].map((a) => backoffMs(a, 5000, () => 0))).toEqual([50, 100, 200, 400]);
    for (let a = 0; a < 60; a++) {
      const d = backoffMs(a, 5000);
      expect(d).toBeLessThanOrEqual(5000);
      expect(d).toBeGreaterThanOrEqual(Math.min(5000, 100 * 2 ** a) / 2);
    }
  });

  it("flags and environment, with one-line errors naming the flag", () => {
    const c = loadConfig(
      ["--kinds", "http", "--concurrency", "4"],
      { VERDICT_SERVER: "http://127.0.0.1:4000/", VERDICT_TOKEN: "t" },
      {
        hostname: "box",
        pid: 7,
      },
    );
    expect(c).toMatchObject({
      server: "http://127.0.0.1:4000",
      token: "t",
      id: "box-7",
      concurrency: 4,
      kinds: ["http"],
    });
    const err = (argv: string[], env: NodeJS.ProcessEnv = { VERDICT_SERVER: "http://127.0.0.1:1" }) => {
      try {
        loadConfig(argv, env);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error("expected a ConfigError");
    };
    expect(err([], {})).toBe("--server: required (or set VERDICT_SERVER)");
    expect(err(["--server", "ftp://x"])).toBe("--server: expected an http(s) URL");
    expect(err(["--kinds", "ivr,sms"])).toBe("--kinds: unknown kind 'sms' (expected ivr, http)");
    expect(err(["--kinds", "ivr"])).toMatch(/^--ivr-webhook: required to run ivr items/);
    expect(err([], { VERDICT_SERVER: "http://h:1" })).toMatch(/^--token: required \(or set VERDICT_TOKEN/);
    expect(err([], { VERDICT_SERVER: "http://h:1", VERDICT_TOKEN: "" })).toMatch(/^--token: required/);
    expect(
      loadConfig(["--ivr-webhook", "http://127.0.0.1:9"], { VERDICT_SERVER: "http://h:1", VERDICT_TOKEN: "t" }),
    ).toMatchObject({
      kinds: ["ivr", "http"],
    });
    expect(
      loadConfig(["--ivr-webhook", "http://127.0.0.1:9/voice", "--ivr-channel", "twiml"], {
        VERDICT_SERVER: "http://h:1",
        VERDICT_TOKEN: "t",
        VERDICT_IVR_AUTH_TOKEN: "secret",
      }),
    ).toMatchObject({ ivrChannel: "twiml", ivrAuthToken: "secret" });
    expect(err(["--ivr-channel", "sip"])).toBe("--ivr-channel: expected webhook or twiml");
    expect(err(["--lease-ms", "10"])).toBe("--lease-ms: must be at least 1000");
    expect(err(["--id", "has space"])).toMatch(/^--id: /);
    expect(err(["--bogus"])).toMatch(/Unknown option '--bogus'/);
  });
});
