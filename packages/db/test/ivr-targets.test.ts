import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import {
  ConflictError,
  NotFoundError,
  type VerdictDb,
  createIvrTarget,
  createScenario,
  deleteIvrTarget,
  findIvrTarget,
  getIvrTarget,
  getScenario,
  listIvrTargets,
  migrateDown,
  migrateUp,
  openDatabase,
  readApplied,
  updateIvrTarget,
} from "@verdict/db";
import { TARGETS, allPages, fileUrl, rejection } from "./helpers.js";

const steps = [{ type: "prompt" as const, expected_text: "Welcome" }];

describe.each(TARGETS)("IVR targets on %s", (_label, url) => {
  let h: VerdictDb;
  beforeEach(async () => {
    h = await openDatabase({ url: url(), migrate: true, domains: ["ivr"] });
  });
  afterEach(() => h.close());

  it("create, get, list, update and delete a target", async () => {
    const created = await createIvrTarget(h, {
      name: "twilio-prod",
      channel: "twiml",
      url: "https://ivr.example/voice",
      options: { from: "+15005550006", method: "GET", account_sid: "AC123" },
    });
    expect(created).toMatchObject({ name: "twilio-prod", channel: "twiml", url: "https://ivr.example/voice" });
    expect(created.options).toEqual({ from: "+15005550006", method: "GET", account_sid: "AC123" });
    expect(await getIvrTarget(h, "twilio-prod")).toEqual(created);
    await createIvrTarget(h, { name: "demo", channel: "webhook", url: "http://127.0.0.1:9/ivr" });
    for (let i = 0; i < 3; i++) {
      await createIvrTarget(h, { name: `t-${i}`, channel: "webhook", url: "http://127.0.0.1:9/ivr" });
    }
    const { items, sizes } = await allPages((cursor) => listIvrTargets(h, { limit: 2, ...(cursor ? { cursor } : {}) }));
    expect(items.map((t) => t.name)).toEqual(["demo", "t-0", "t-1", "t-2", "twilio-prod"]);
    expect(sizes).toEqual([2, 2, 1]);

    const updated = await updateIvrTarget(h, {
      name: "twilio-prod",
      patch: { url: "https://ivr.example/v2", options: { from: "+15005550001" } },
    });
    expect(updated.url).toBe("https://ivr.example/v2");
    expect(updated.options).toEqual({ from: "+15005550001" });
    expect(updated.channel).toBe("twiml");
    expect(updated.updated_at >= created.updated_at).toBe(true);

    expect(await deleteIvrTarget(h, { name: "demo" })).toEqual({ deleted: true, scenarios_referencing: 0 });
    expect(await findIvrTarget(h, "demo")).toBeNull();
    expect(await rejection(getIvrTarget(h, "demo"))).toBeInstanceOf(NotFoundError);
    expect(await rejection(deleteIvrTarget(h, { name: "demo" }))).toBeInstanceOf(NotFoundError);
    expect(await rejection(updateIvrTarget(h, { name: "demo", patch: { url: "http://x.example/" } }))).toBeInstanceOf(
      NotFoundError,
    );
  });

  it("a second target of the same name is a CONFLICT and changes nothing", async () => {
    await createIvrTarget(h, { name: "one", channel: "webhook", url: "http://a.example/" });
    const err = await rejection(createIvrTarget(h, { name: "one", channel: "twiml", url: "http://b.example/" }));
    expect(err).toBeInstanceOf(ConflictError);
    expect((await getIvrTarget(h, "one")).url).toBe("http://a.example/");
  });

  it.each([["auth_token"], ["AuthToken"], ["api_key"], ["password"], ["client_secret"], ["sip_auth"]])(
    "an option named %s (a secret) is refused and nothing is stored",
    async (key) => {
      const err = await rejection(
        createIvrTarget(h, { name: "leaky", channel: "twiml", url: "https://ivr.example/", options: { [key]: "x" } }),
      );
      expect(err).toBeInstanceOf(ZodError);
      expect((err as ZodError).issues[0]?.path).toEqual(["options", key]);
      expect((err as ZodError).issues[0]?.message).toContain("VERDICT_IVR_TOKEN_");
      expect(await findIvrTarget(h, "leaky")).toBeNull();
      await createIvrTarget(h, { name: "leaky", channel: "twiml", url: "https://ivr.example/" });
      const upd = await rejection(updateIvrTarget(h, { name: "leaky", patch: { options: { [key]: "x" } } }));
      expect(upd).toBeInstanceOf(ZodError);
      expect((await getIvrTarget(h, "leaky")).options).toEqual({});
    },
  );

  it("refuses a name that is not a slug and a URL that is not http(s)", async () => {
    expect(
      await rejection(createIvrTarget(h, { name: "Prod IVR", channel: "twiml", url: "https://a.example/" })),
    ).toBeInstanceOf(ZodError);
    expect(
      await rejection(createIvrTarget(h, { name: "p", channel: "twiml", url: "ftp://a.example/" })),
    ).toBeInstanceOf(ZodError);
    expect((await listIvrTargets(h)).items).toEqual([]);
  });

  it("a target named by a scenario is not deleted unless force; the scenario keeps its target name", async () => {
    await createIvrTarget(h, { name: "prod", channel: "twiml", url: "https://ivr.example/voice" });
    const s = await createScenario(h, { name: "menu", target_phone: "+1555", steps, target: "prod" });
    expect(s.target).toBe("prod");
    const err = await rejection(deleteIvrTarget(h, { name: "prod" }));
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toContain("1 scenario(s)");
    expect(await findIvrTarget(h, "prod")).not.toBeNull();
    expect(await deleteIvrTarget(h, { name: "prod", force: true })).toEqual({
      deleted: true,
      scenarios_referencing: 1,
    });
    expect(await findIvrTarget(h, "prod")).toBeNull();
    expect((await getScenario(h, s.scenario_id)).target).toBe("prod");
  });
});

describe("migration ivr/0003_ivr_targets", () => {
  let h: VerdictDb;
  afterEach(() => h.close());

  it("up adds the table and the scenario column; down removes them and keeps every scenario", async () => {
    h = await openDatabase({ url: fileUrl(), skipSchemaCheck: true });
    await migrateUp(h.client, { domains: ["ivr"], to: "0002_step_unique" });
    await h.client.execute(
      "INSERT INTO test_scenarios (scenario_id, name, target_phone, steps) VALUES ('A', 'menu', '+1555', '[]')",
    );
    const before = (await h.client.execute("SELECT * FROM test_scenarios")).rows.map((r) => ({ ...r }));

    const up = await migrateUp(h.client, { domains: ["ivr"], to: "0003_ivr_targets" });
    expect(up.applied.map((s) => s.name)).toEqual(["0003_ivr_targets"]);
    const cols = await h.client.execute('PRAGMA table_info("test_scenarios")');
    expect(cols.rows.map((r) => String(r.name))).toContain("target");
    const migrated = (await h.client.execute("SELECT * FROM test_scenarios")).rows.map((r) => ({ ...r }));
    expect(migrated).toEqual(before.map((r) => ({ ...r, target: null })));
    await createIvrTarget(h, { name: "prod", channel: "webhook", url: "http://ivr.example/" });

    // The runner refuses to drop a table holding rows without force.
    const refused = await rejection(migrateDown(h.client, { domains: ["ivr"], to: "0002_step_unique" }));
    expect((refused as Error).message).toContain("ivr_targets holds 1 row(s)");
    await h.client.execute("DELETE FROM ivr_targets");
    await migrateDown(h.client, { domains: ["ivr"], to: "0002_step_unique" });
    const tables = await h.client.execute(
      "SELECT name FROM sqlite_master WHERE name IN ('ivr_targets', 'ivr_targets_updated_at')",
    );
    expect(tables.rows).toEqual([]);
    const after = (await h.client.execute("SELECT * FROM test_scenarios")).rows.map((r) => ({ ...r }));
    expect(after).toEqual(before);
    expect((await readApplied(h.client)).map((a) => a.name)).toEqual([
      "0000_init_ivr",
      "0001_updated_at_trigger",
      "0002_step_unique",
    ]);
    // And up again.
    await migrateUp(h.client, { domains: ["ivr"] });
    expect((await readApplied(h.client)).map((a) => a.name)).toContain("0003_ivr_targets");
  });
});
