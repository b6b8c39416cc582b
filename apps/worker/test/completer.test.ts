/**
 * The worker's batched completions against a real Verdict server (in this process, on a libSQL
 * file) over HTTP on 127.0.0.1: completions made together travel in one queue.completeMany call; a
 * call whose response is lost is sent again and every item still lands once; an item the server
 * refuses is refused alone (RejectedError with its code) while the others finish.
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
  getExecution,
  listStepExecutions,
  openDatabase,
} from "@verdict/db";
import type { ClaimedItem, CompletionItem } from "@verdict/schema";
import { tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Completer } from "../src/completer.js";
import { type WorkerConfig, loadConfig } from "../src/config.js";
import { RejectedError, createRpc } from "../src/rpc.js";

const dir = tempDir("verdict-worker-complete-");
const dbUrl = `file:${dir.file("verdict.db")}`;
let db: VerdictDb;
let server: RunningServer;
let token: string;
let scenarioId: number;
const log = () => undefined;

function config(serverUrl: string): WorkerConfig {
  const c = loadConfig(
    ["--server", serverUrl, "--token", token, "--id", "cw", "--max-backoff-ms", "200", "--request-timeout-ms", "2000"],
    {},
  );
  if (c === "help" || c === "version") throw new Error("unexpected help or version");
  return c;
}

beforeAll(async () => {
  db = await openDatabase({ url: dbUrl, migrate: true });
  token = (await createToken(db, "cw", "write")).token;
  scenarioId = (
    await createScenario(db, {
      name: "one step",
      target_phone: "+1555",
      steps: [{ type: "dtmf", digits: "1" }],
    })
  ).scenario_id;
  server = await startServer({ db: await openDatabase({ url: dbUrl }), port: 0, log: () => undefined });
});
afterAll(async () => {
  await server.close();
  db.close();
  dir.cleanup();
});

async function claim(n: number): Promise<(ClaimedItem & { kind: "ivr" })[]> {
  await enqueueExecutions(db, { scenario_id: scenarioId, repeat: n });
  const items = await claimWork(db, { worker_id: "cw", kinds: ["ivr"], max_items: n, lease_ms: 60_000 });
  return items.filter((i): i is ClaimedItem & { kind: "ivr" } => i.kind === "ivr");
}

function completion(item: ClaimedItem & { kind: "ivr" }): CompletionItem {
  const t = new Date().toISOString();
  return {
    kind: "ivr",
    item_id: item.item_id,
    lease: item.lease,
    final_result: "pass",
    steps: [
      { step_number: 0, step_type: "dtmf", dtmf_sent: "1", status: "pass", started_at: t, ended_at: t, latency_ms: 1 },
    ],
  };
}

describe("batched completions", () => {
  it("one call for completions made together; a lost response is retried and each item lands once", async () => {
    const upstream = new URL(server.url);
    let dropped = 0;
    let manyCalls = 0;
    // Forwards to the server, but cuts the connection after the server handled the first
    // completeMany call: the worker never hears back and sends it again.
    const proxy = createServer((req, res) => {
      const many = (req.url ?? "").includes("queue.completeMany");
      if (many) manyCalls++;
      const fwd = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: upstream.host },
        },
        (up) => {
          if (many && dropped < 1) {
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
    const rpc = createRpc(config(via), log);
    try {
      const items = await claim(5);
      const completer = new Completer(rpc, { workerId: "cw", signal: new AbortController().signal });
      const answers = await Promise.all(items.map((i) => completer.complete(completion(i))));
      expect(dropped).toBe(1);
      expect(manyCalls).toBe(2); // the five in one call, sent twice
      expect(completer.calls).toBe(1);
      // The resent call found every item finished by the lost one: `already`, nothing written twice.
      expect(answers.map((a) => [a.status, a.already])).toEqual(Array(5).fill(["done", true]));
      for (const i of items) {
        expect(await getExecution(db, i.execution_id)).toMatchObject({ status: "completed", final_result: "pass" });
        expect(await listStepExecutions(db, i.execution_id)).toHaveLength(1);
      }
    } finally {
      rpc.close();
      proxy.closeAllConnections();
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });

  it("an item the server refuses is refused alone; the others finish", async () => {
    const rpc = createRpc(config(server.url), log);
    try {
      const [a, b, c] = await claim(3);
      if (!a || !b || !c) throw new Error("expected three items");
      const completer = new Completer(rpc, { workerId: "cw", signal: new AbortController().signal });
      const settled = await Promise.allSettled([
        completer.complete(completion(a)),
        completer.complete({ ...completion(b), lease: "stale-lease" }),
        completer.complete(completion(c)),
      ]);
      expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      const refused = settled[1];
      expect(refused?.status === "rejected" && refused.reason).toBeInstanceOf(RejectedError);
      expect(refused?.status === "rejected" && (refused.reason as RejectedError).code).toBe("CONFLICT");
      expect(await getExecution(db, b.execution_id)).toMatchObject({ status: "running" });
      expect(await listStepExecutions(db, b.execution_id)).toHaveLength(0);
      expect(await getExecution(db, c.execution_id)).toMatchObject({ status: "completed" });
    } finally {
      rpc.close();
    }
  });
});
