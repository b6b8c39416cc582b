import { type RunningServer, createVerdictClient, startServer } from "@verdict/api";
import { type VerdictDb, createToken, openDatabase } from "@verdict/db";
import { type SqldServer, sqldForTests, startSqld, eventually } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const sqld = sqldForTests("Verdict servers on an sqld primary and replica");

/** A replica applies the primary's log shortly after a write; reads across requests may lag. */
const caughtUp = <T>(check: () => Promise<T>) => eventually(check, 10_000);

describe.skipIf(!sqld.available)("Verdict servers on a primary and a replica", () => {
  let primary: SqldServer;
  let replica: SqldServer;
  let dbReplica: VerdictDb;
  let dbPrimary: VerdictDb;
  let onReplica: RunningServer;
  let onPrimary: RunningServer;
  let token = "";

  beforeAll(async () => {
    primary = await startSqld({ grpcListen: true });
    if (!primary.grpcUrl) throw new Error("primary has no gRPC URL");
    replica = await startSqld({ primaryGrpcUrl: primary.grpcUrl });
    dbPrimary = await openDatabase({ url: primary.url, migrate: true });
    token = (await createToken(dbPrimary, "replica-writer", "write")).token;
    dbReplica = await caughtUp(() => openDatabase({ url: replica.url }));
    onReplica = await startServer({ db: dbReplica, port: 0, log: () => {} });
    onPrimary = await startServer({ db: dbPrimary, port: 0, log: () => {} });
  }, 60_000);

  afterAll(async () => {
    await onReplica?.close();
    await onPrimary?.close();
    await replica?.stop();
    await primary?.stop();
  });

  it("the server on the replica accepts writes (forwarded by sqld) and its client reads them back", async () => {
    // The token row was written on the primary; the replica knows it once it has caught up.
    const viaReplica = createVerdictClient({ url: onReplica.url, token });
    await caughtUp(() => viaReplica.admin.schemaStatus.query());
    const created = await viaReplica.ivr.scenarios.create.mutate({
      scenario_id: "written-via-replica",
      name: "Written through the replica",
      target_phone: "+15550000",
      steps: [{ type: "dtmf", digits: "1" }],
    });
    expect(created.slug).toBe("written-via-replica");
    const back = await caughtUp(() => viaReplica.ivr.scenarios.get.query({ scenario_id: "written-via-replica" }));
    expect(back.name).toBe("Written through the replica");
    const added = await viaReplica.ivr.training.addMany.mutate({
      samples: [
        { text_sample: "balance please", intent_label: "check_balance" },
        { text_sample: "agent", intent_label: "speak_to_agent" },
      ],
    });
    const listed = await caughtUp(async () => {
      const page = await viaReplica.ivr.training.list.query({ limit: 10 });
      if (page.items.length < 2) throw new Error("replica has not caught up yet");
      return page;
    });
    expect(listed.items.map((i) => i.training_id).sort()).toEqual([...added.ids].sort());
  });

  it("a second server on the primary sees the same data at once", async () => {
    const viaPrimary = createVerdictClient({ url: onPrimary.url, token });
    expect((await viaPrimary.ivr.scenarios.get.query({ scenario_id: "written-via-replica" })).steps).toEqual([
      { type: "dtmf", digits: "1" },
    ]);
    expect((await viaPrimary.ivr.training.list.query({ limit: 10 })).items).toHaveLength(2);
    // And the other way round: written on the primary, read on the replica.
    await viaPrimary.metrics.record.mutate({
      run_id: "via-primary",
      timestamp: "2026-11-21T00:00:00.000Z",
      project_name: "p",
      benchmark_name: "b",
    });
    const viaReplica = createVerdictClient({ url: onReplica.url, token });
    const run = await caughtUp(() => viaReplica.metrics.get.query({ run_id: "via-primary" }));
    expect(run.project_name).toBe("p");
  });
});
