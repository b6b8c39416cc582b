import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Ed25519Keys,
  type SqldServer,
  type TempDir,
  makeEd25519Keys,
  signJwt,
  sqldForTests,
  startSqld,
  tempDir,
  writeJwtKeyFile,
  eventually,
} from "@verdict/testing";
import {
  ConnectionError,
  type InstanceTuple,
  type VerdictDb,
  createRun,
  createScenario,
  getScenario,
  insertInstances,
  listScenarios,
  migrationStatus,
  openDatabase,
  queryInstances,
  recordStepExecutions,
  startExecution,
  validateSchema,
} from "@verdict/db";

/**
 * Replication with real sqld processes: a primary serving gRPC with a server replica that forwards
 * writes to it, and embedded replicas (a local file kept in sync with the primary by the driver).
 */
const sqld = sqldForTests("packages/db replica tests (remote-replica.test.ts)");

const scenario = (id: string) => ({
  slug: id,
  name: id,
  target_phone: "+15550100100",
  steps: [{ type: "prompt" as const, name: "hello", expected_text: "hi" }],
});

function instances(runId: string, n: number): InstanceTuple[] {
  return Array.from(
    { length: n },
    (_, i): InstanceTuple => [
      runId,
      `i${i}`,
      "login",
      null,
      i % 4 === 0 ? "fail" : "pass",
      "2026-11-21T10:00:00.000Z",
      null,
      10,
      null,
      i % 4 === 0 ? "timeout" : null,
    ],
  );
}

describe.skipIf(!sqld.available)("sqld primary + server replica", () => {
  let primary: SqldServer;
  let replica: SqldServer;
  let viaReplica: VerdictDb;
  let viaPrimary: VerdictDb;

  beforeAll(async () => {
    primary = await startSqld({ grpcListen: true });
    if (!primary.grpcUrl) throw new Error("primary started without a gRPC URL");
    replica = await startSqld({ primaryGrpcUrl: primary.grpcUrl });
  });
  afterAll(async () => {
    viaReplica?.close();
    viaPrimary?.close();
    await replica?.stop();
    await primary?.stop();
  });

  it("migrates through the replica (DDL is forwarded to the primary) and both validate", async () => {
    const migrator = await openDatabase({ url: replica.url, migrate: true, skipSchemaCheck: true });
    migrator.close();
    // The migrations ran on the primary; the replica has them once it has applied the log.
    viaPrimary = await openDatabase({ url: primary.url });
    viaReplica = await eventually(() => openDatabase({ url: replica.url }));
    expect(viaReplica.kind).toBe("remote");
    expect(await validateSchema(viaReplica.client)).toEqual([]);
    expect(await validateSchema(viaPrimary.client)).toEqual([]);
    expect((await migrationStatus(viaPrimary.client)).every((r) => r.state === "applied")).toBe(true);
  });

  it("writes through the replica, reads them back there, and the primary has them", async () => {
    await createScenario(viaReplica, scenario("via-replica"));
    // The write went to the primary, so it is there at once; the replica applies it from the
    // replication log a moment later (each HTTP request is its own stream: no cross-request
    // read-your-writes on a server replica, see docs/deploying.md).
    expect((await getScenario(viaPrimary, "via-replica")).name).toBe("via-replica");
    const back = await eventually(() => getScenario(viaReplica, "via-replica"));
    expect(back.name).toBe("via-replica");
  });

  it("inside one transaction on the replica, a write is visible to the next read", async () => {
    const tx = await viaReplica.client.transaction("write");
    try {
      await tx.execute({
        sql: "INSERT INTO intent_training_data (training_id, text_sample, intent_label) VALUES (?, ?, ?)",
        args: [4242, "what is my balance", "check_balance"],
      });
      const rs = await tx.execute("SELECT intent_label FROM intent_training_data WHERE training_id = 4242");
      expect(rs.rows[0]?.intent_label).toBe("check_balance");
      await tx.commit();
    } finally {
      tx.close();
    }
    const rs = await viaPrimary.client.execute("SELECT count(*) AS n FROM intent_training_data");
    expect(Number(rs.rows[0]?.n)).toBe(1);
  });

  it("a write transaction through the replica lands whole on the primary", async () => {
    const tx = await viaReplica.client.transaction("write");
    try {
      await createRun(viaReplica, { id: "replica-run", started_at: "2026-11-21T10:00:00.000Z", sut_name: "s" }, tx);
      await insertInstances(tx, instances("replica-run", 400));
      await tx.commit();
    } finally {
      tx.close();
    }
    const onPrimary = await queryInstances(viaPrimary, { run_id: "replica-run", status: "fail", with_total: true });
    expect(onPrimary.total).toBe(100);
    const onReplica = await eventually(async () => {
      const page = await queryInstances(viaReplica, { run_id: "replica-run", with_total: true });
      expect(page.total).toBe(400);
      return page;
    });
    expect(onReplica.items[0]?.run_id).toBe("replica-run");
  });

  it("writes made on the primary reach the replica", async () => {
    await createScenario(viaPrimary, scenario("via-primary"));
    const found = await eventually(() => getScenario(viaReplica, "via-primary"));
    expect(found.slug).toBe("via-primary");
  });
});

describe.skipIf(!sqld.available)("embedded replica (local file synced with an sqld primary)", () => {
  let primary: SqldServer;
  let dir: TempDir;
  let remote: VerdictDb;
  let local: VerdictDb;

  beforeAll(async () => {
    primary = await startSqld();
    dir = tempDir();
  });
  afterAll(async () => {
    local?.close();
    remote?.close();
    await primary?.stop();
    dir?.cleanup();
  });

  it("migrating through an embedded replica migrates the primary", async () => {
    local = await openDatabase({ url: `file:${dir.file("local.db")}`, syncUrl: primary.url, migrate: true });
    expect(local.kind).toBe("replica");
    remote = await openDatabase({ url: primary.url });
    expect(await validateSchema(remote.client)).toEqual([]);
    expect(await validateSchema(local.client)).toEqual([]);
  });

  it("data written on the primary appears locally after sync()", async () => {
    await createScenario(remote, scenario("from-primary"));
    await local.sync();
    expect((await getScenario(local, "from-primary")).name).toBe("from-primary");
  });

  it("writes through the embedded replica reach the primary, and read back locally", async () => {
    await createScenario(local, scenario("from-local"));
    expect((await getScenario(local, "from-local")).name).toBe("from-local");
    expect((await getScenario(remote, "from-local")).name).toBe("from-local");

    const exe = await startExecution(local, { scenario_id: "from-local" });
    await recordStepExecutions(
      local,
      Array.from({ length: 30 }, (_, i) => ({
        execution_id: exe.execution_id,
        step_number: i,
        step_type: "dtmf" as const,
        dtmf_sent: "1",
        status: "pass" as const,
      })),
    );
    const rs = await remote.client.execute({
      sql: "SELECT count(*) AS n FROM step_executions WHERE execution_id = ?",
      args: [exe.execution_id],
    });
    expect(Number(rs.rows[0]?.n)).toBe(30);
  });

  it("a second embedded replica of the same primary gets everything on open", async () => {
    const other = await openDatabase({ url: `file:${dir.file("other.db")}`, syncUrl: primary.url });
    try {
      const names = (await listScenarios(other, { limit: 100 })).items.map((s) => s.slug).sort();
      expect(names).toEqual(["from-local", "from-primary"]);
    } finally {
      other.close();
    }
  });

  it("with syncIntervalSeconds the local file catches up without explicit sync()", async () => {
    const periodic = await openDatabase({
      url: `file:${dir.file("periodic.db")}`,
      syncUrl: primary.url,
      syncIntervalSeconds: 1,
    });
    try {
      await createScenario(remote, scenario("background"));
      const found = await eventually(() => getScenario(periodic, "background"), 8000);
      expect(found.slug).toBe("background");
    } finally {
      periodic.close();
    }
  });
});

describe.skipIf(!sqld.available)("replicas when the primary requires a JWT", () => {
  let keys: Ed25519Keys;
  let dir: TempDir;
  let primary: SqldServer;
  let replica: SqldServer;

  beforeAll(async () => {
    keys = makeEd25519Keys();
    dir = tempDir();
    const keyFile = writeJwtKeyFile(dir.file("jwt.pem"), keys);
    primary = await startSqld({ grpcListen: true, authJwtKeyFile: keyFile });
    if (!primary.grpcUrl) throw new Error("primary started without a gRPC URL");
    replica = await startSqld({ primaryGrpcUrl: primary.grpcUrl, authJwtKeyFile: keyFile });
  });
  afterAll(async () => {
    await replica?.stop();
    await primary?.stop();
    dir?.cleanup();
  });

  it("a server replica with the same key accepts the token and forwards writes", async () => {
    const token = signJwt(keys.privateKey, {});
    const m = await openDatabase({ url: replica.url, authToken: token, migrate: true, skipSchemaCheck: true });
    m.close();
    const h = await eventually(() => openDatabase({ url: replica.url, authToken: token }));
    try {
      await createScenario(h, scenario("auth-replica"));
    } finally {
      h.close();
    }
    const p = await openDatabase({ url: primary.url, authToken: token });
    try {
      expect((await getScenario(p, "auth-replica")).name).toBe("auth-replica");
    } finally {
      p.close();
    }
    const err = await openDatabase({ url: replica.url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
  });

  it("an embedded replica syncs with the token, and without it fails in one line", async () => {
    const token = signJwt(keys.privateKey, {});
    const local = await openDatabase({ url: `file:${dir.file("emb.db")}`, syncUrl: primary.url, authToken: token });
    try {
      expect((await getScenario(local, "auth-replica")).name).toBe("auth-replica");
    } finally {
      local.close();
    }
    const err = await openDatabase({
      url: `file:${dir.file("emb2.db")}`,
      syncUrl: primary.url,
      authToken: "bad",
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    const message = (err as Error).message;
    expect(message).not.toContain("\n");
    expect(message).toContain("VERDICT_DB_AUTH_TOKEN");
    expect(message).toMatch(/^the embedded replica file:\S+emb2\.db could not sync with its primary \(/);
  });
});
