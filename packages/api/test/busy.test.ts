import { TRPCClientError } from "@trpc/client";
import { type VerdictClient, createVerdictClient } from "@verdict/api";
import { type VerdictDb, createToken, listTokens, openDatabase } from "@verdict/db";
import {
  type ListeningProcess,
  type TempDir,
  ensureCliBuilt,
  eventually,
  spawnListening,
  tempDir,
} from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * `verdict serve` (its own process) while another connection holds the database's write lock, as a
 * long `runs import` does: reads are answered and never wait for the lock (token checks only read),
 * a write waits for the lock within the busy timeout, and past it answers 503 "database busy for N s",
 * never 500.
 */
let dir: TempDir;
let dbUrl: string;
let serve: ListeningProcess;
let holder: VerdictDb;
const tokens = { read: "", write: "" };
let reader: VerdictClient;
let writer: VerdictClient;

function scenario(id: string) {
  return { scenario_id: id, name: id, target_phone: "+15550100100", steps: [{ type: "dtmf" as const, digits: "1" }] };
}

/** Holds the write lock, as an import's transaction does, until release() is called. */
async function holdWriteLock(): Promise<{ release: () => Promise<void> }> {
  const tx = await holder.client.transaction("write");
  await tx.execute("INSERT INTO test_scenarios (slug, name, target_phone, steps) VALUES ('held', 'held', '+1', '[]')");
  return { release: () => tx.rollback() };
}

function statusOf(e: unknown): { status: number | undefined; code: string | undefined; message: string } {
  if (!(e instanceof TRPCClientError)) throw e;
  const data = e.data as { httpStatus?: number; code?: string } | undefined;
  return { status: data?.httpStatus, code: data?.code, message: e.message };
}

beforeAll(async () => {
  const cli = ensureCliBuilt();
  dir = tempDir("verdict-busy-");
  dbUrl = `file:${dir.file("busy.db")}`;
  const setup = await openDatabase({ url: dbUrl, migrate: true });
  tokens.read = (await createToken(setup, "reader", "read")).token;
  tokens.write = (await createToken(setup, "writer", "write")).token;
  setup.close();
  serve = await spawnListening([cli, "--db", dbUrl, "serve", "--port", "0"], { name: "verdict serve" });
  holder = await openDatabase({ url: dbUrl });
  reader = createVerdictClient({ url: serve.url, token: tokens.read });
  writer = createVerdictClient({ url: serve.url, token: tokens.write });
}, 240_000);

afterAll(async () => {
  holder?.close();
  if (serve && serve.child.exitCode === null) {
    serve.child.kill("SIGTERM");
    await serve.exited;
  }
  dir?.cleanup();
});

describe("verdict serve while another process holds the write lock", () => {
  it("reads with a token (never used before) are answered while the lock is held", async () => {
    const lock = await holdWriteLock();
    try {
      // First use of each token: verifying it must not try to write last_used_at.
      const page = await reader.ivr.scenarios.list.query({});
      expect(page.items.map((s) => s.slug)).not.toContain("held");
      const again = await createVerdictClient({ url: serve.url, token: tokens.write }).ivr.scenarios.list.query({});
      expect(again.items).toEqual(page.items);
    } finally {
      await lock.release();
    }
  });

  it("a write waits for the lock when it frees within the busy timeout, and reads are answered meanwhile", async () => {
    const lock = await holdWriteLock();
    const order: string[] = [];
    const write = writer.ivr.scenarios.create.mutate(scenario("waited")).then((s) => {
      order.push("write");
      return s;
    });
    // The write is now waiting for the lock; a read sent after it must not wait behind it.
    await new Promise((r) => setTimeout(r, 100));
    const read = await reader.ivr.scenarios.list.query({});
    order.push("read");
    await lock.release();
    expect((await write).slug).toBe("waited");
    expect(order).toEqual(["read", "write"]);
    expect(read.items.map((s) => s.slug)).not.toContain("waited");
  });

  it("a write that cannot get the lock within the busy timeout answers 503 'database busy for 5 s', not 500", async () => {
    const lock = await holdWriteLock();
    try {
      const err = await writer.ivr.scenarios.create.mutate(scenario("refused")).then(
        () => null,
        (e: unknown) => statusOf(e),
      );
      expect(err?.status, err?.message).toBe(503);
      expect(err?.code).toBe("SERVICE_UNAVAILABLE");
      expect(err?.message).toMatch(/^database busy for 5 s: \S*busy\.db is locked by another writer/);
      expect(err?.message).not.toMatch(/INSERT|SQLITE_BUSY|\n/);
      // Reads still work while the write is refused.
      expect((await reader.ivr.scenarios.list.query({})).items.map((s) => s.slug)).not.toContain("refused");
    } finally {
      await lock.release();
    }
    // Nothing half-done: the refused write did not land, and writes work again.
    expect((await reader.ivr.scenarios.list.query({})).items.map((s) => s.slug)).not.toContain("refused");
    expect((await writer.ivr.scenarios.create.mutate(scenario("after"))).slug).toBe("after");
  }, 30_000);

  it("token use is still recorded, later and in the background, once the lock is free", async () => {
    await eventually(async () => {
      const reader = (await listTokens(holder)).find((t) => t.name === "reader");
      expect(reader?.last_used_at).not.toBeNull();
    });
  });
});
