/**
 * A second, read-only connection to a local database file on a worker thread, so a big summary can
 * run half of its index walks on the other core. libSQL calls block the thread that makes them;
 * with two connections on two threads both cores work. Only for plain `file:` databases; callers fall
 * back to one connection when this returns null.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { InValue } from "@libsql/client";
import type { VerdictDb } from "../open.js";
import { plainFilePath } from "../turbulence/sink.js";

// Plain CommonJS run by the worker (eval mode); it only answers SELECTs on its own connection.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.libsql);
const db = new Database(workerData.path, { timeout: workerData.timeout });
db.exec("PRAGMA query_only = 1");
parentPort.on("message", (m) => {
  try {
    parentPort.postMessage({ id: m.id, results: m.stmts.map((s) => db.prepare(s.sql).all(s.args)) });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String((e && e.message) || e) });
  }
});
`;

export interface Helper {
  /** Runs the statements in order on the helper's connection, in one message; rows per statement. */
  batch(stmts: { sql: string; args: InValue[] }[]): Promise<Record<string, unknown>[][]>;
  close(): Promise<void>;
}

type Reply = { id: number; results?: Record<string, unknown>[][]; error?: string };

export function openHelper(h: VerdictDb, busyTimeoutMs = 5000): Helper | null {
  const path = plainFilePath(h);
  if (path === null) return null;
  let libsql: string;
  try {
    libsql = createRequire(import.meta.url).resolve("libsql");
  } catch {
    return null;
  }
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { libsql, path, timeout: busyTimeoutMs } });
  worker.unref();
  let next = 0;
  const waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  worker.on("message", (m: Reply) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    w?.resolve(m);
  });
  const failAll = (e: Error) => {
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  worker.on("error", failAll);
  worker.on("exit", () => failAll(new Error("summary helper thread exited")));
  return {
    async batch(stmts) {
      if (stmts.length === 0) return [];
      const id = next++;
      const reply = await new Promise<Reply>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, stmts });
      });
      if (reply.error !== undefined) throw new Error(reply.error);
      return reply.results ?? [];
    },
    async close() {
      await worker.terminate();
    },
  };
}
