import { openDatabase, seed, createToken } from "@verdict/db";
import { createVerdictClient, startServer } from "@verdict/api";
import { expect, it } from "vitest";

it("serves", async () => {
  const db = await openDatabase({ url: ":memory:", migrate: true });
  await seed(db);
  const t = await createToken(db, "w", "write");
  const srv = await startServer({ db, port: 0, log: () => {} });
  const c = createVerdictClient({ url: srv.url, token: t.token });
  const list = await c.ivr.scenarios.list.query({});
  expect(list.items.length).toBe(3);
  const tr = await c.metrics.trend.query({ metric: "total_time_seconds" });
  expect(tr.points.length).toBe(2);
  await expect(
    c.ivr.scenarios.create.mutate({ name: "x", target_phone: "1", steps: [{ type: "dtmf", digits: "12X" }] }),
  ).rejects.toThrow(/steps.0.digits/);
  await expect(c.admin.tokens.list.query()).rejects.toThrow(/scope/);
  await srv.close();
});
