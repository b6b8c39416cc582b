import { TRPCClientError } from "@trpc/client";
import { type RunningServer, createVerdictClient, startServer } from "@verdict/api";
import { createScenario, openDatabase } from "@verdict/db";
import { type TempDir, sqldForTests, startSqld, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Storage faults under a running server answer 503 with one line naming the database and the cause
 * (disk full, libSQL server unreachable), never 500 and never SQL text or values; the server stays up.
 */
const SECRET = "bound-value-never-echoed";
let dir: TempDir;
beforeAll(() => {
  dir = tempDir("verdict-faults-");
});
afterAll(() => dir?.cleanup());

function scenario(id: string, description?: string) {
  return {
    scenario_id: id,
    name: id,
    target_phone: "+15550100100",
    steps: [{ type: "dtmf" as const, digits: "1" }],
    ...(description ? { description } : {}),
  };
}

function failureOf(e: unknown): { status: number | undefined; message: string } {
  if (!(e instanceof TRPCClientError)) throw e;
  const data = e.data as { httpStatus?: number } | undefined;
  return { status: data?.httpStatus, message: e.message };
}

function expectFaultLine(f: { status: number | undefined; message: string }, start: RegExp): void {
  expect(f.status, f.message).toBe(503);
  expect(f.message).toMatch(start);
  expect(f.message).not.toMatch(/\n|INSERT|SELECT|Failed query|params:/);
  expect(f.message).not.toContain(SECRET);
}

it("a full database (PRAGMA max_page_count makes SQLite answer SQLITE_FULL): writes 503 'disk full' naming the file, reads still 200", async () => {
  const path = dir.file("full.db");
  const db = await openDatabase({ url: `file:${path}`, migrate: true });
  const server: RunningServer = await startServer({ db, port: 0, auth: false, log: () => undefined });
  try {
    const api = createVerdictClient({ url: server.url });
    const pages = Number((await db.client.execute("PRAGMA page_count")).rows[0]?.page_count);
    await db.client.execute(`PRAGMA max_page_count = ${pages + 2}`);
    let fault: ReturnType<typeof failureOf> | null = null;
    for (let i = 0; i < 20 && fault === null; i++) {
      fault = await api.ivr.scenarios.create.mutate(scenario(`s${i}`, SECRET.repeat(180))).then(
        () => null,
        (e: unknown) => failureOf(e),
      );
    }
    expect(fault).not.toBeNull();
    if (fault) expectFaultLine(fault, new RegExp(`^disk full: ${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} `));
    expect((await api.ivr.scenarios.list.query({})).items.length).toBeGreaterThan(0);
  } finally {
    await server.close();
  }
});

const sqld = sqldForTests("packages/api storage faults against sqld (storage-faults.test.ts)");

describe.skipIf(!sqld.available)("the libSQL server goes away under a running Verdict server", () => {
  it("reads and writes answer 503 'cannot reach the database server at URL', not 500 'fetch failed'", async () => {
    const victim = await startSqld();
    const db = await openDatabase({ url: victim.url, migrate: true });
    await createScenario(db, scenario("kept"));
    const server = await startServer({ db, port: 0, auth: false, log: () => undefined });
    try {
      const api = createVerdictClient({ url: server.url });
      expect((await api.ivr.scenarios.list.query({})).items).toHaveLength(1);
      process.kill(victim.pid, "SIGKILL");
      await victim.stop();
      const escaped = victim.url.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
      const read = await api.ivr.scenarios.list.query({}).then(
        () => null,
        (e: unknown) => failureOf(e),
      );
      expect(read).not.toBeNull();
      if (read) expectFaultLine(read, new RegExp(`^cannot reach the database server at ${escaped} \\(`));
      const write = await api.ivr.scenarios.create.mutate(scenario("lost", SECRET)).then(
        () => null,
        (e: unknown) => failureOf(e),
      );
      expect(write).not.toBeNull();
      if (write) expectFaultLine(write, new RegExp(`^cannot reach the database server at ${escaped} \\(`));
      expect((await fetch(`${server.url}/health`)).status).toBe(503);
    } finally {
      await server.close();
    }
  });
});
