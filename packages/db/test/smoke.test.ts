import { describe, expect, it } from "vitest";
import { openDatabase, seed } from "@verdict/db";

describe("smoke", () => {
  it("opens :memory:, migrates, seeds", async () => {
    const h = await openDatabase({ url: ":memory:", migrate: true });
    const r = await seed(h);
    expect(r.added.scenarios).toBe(3);
    const tables = await h.client.execute(
      "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name <> '_verdict_migrations'",
    );
    expect(tables.rows.length).toBe(13);
    h.close();
  });
});
