import { createVerdictClient } from "@verdict/api";
import { openDatabase } from "@verdict/db";
import { ensureCliBuilt, runCli, spawnListening, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, expect, it } from "vitest";

const dir = tempDir("verdict-shutdown-");
const dbUrl = `file:${dir.file("shutdown.db")}`;
let cli = "";

beforeAll(() => {
  cli = ensureCliBuilt();
});
afterAll(() => dir.cleanup());

it("SIGTERM during a burst of writes loses no acknowledged write and exits 0", async () => {
  expect((await runCli(["--db", dbUrl, "init"])).status).toBe(0);
  const created = await runCli(["--db", dbUrl, "--json", "tokens", "create", "--name", "burst", "--scope", "write"]);
  const token = (JSON.parse(created.stdout) as { token: string }).token;

  const { child, url, exited } = await spawnListening([cli, "--db", dbUrl, "serve", "--port", "0"], {
    name: "verdict serve",
    stderr: "pipe",
  });

  // One request per call, so every acknowledgement is one committed write.
  const api = createVerdictClient({ url, token, maxBatchSize: 1 });
  const acknowledged: string[] = [];
  let refused = 0;
  let sent = 0;
  let signalled = false;
  const worker = async (w: number) => {
    for (let i = 0; i < 150; i++) {
      const id = `burst-${w}-${i}`;
      sent++;
      try {
        await api.ivr.training.add.mutate({ text_sample: `sample ${id}`, intent_label: "burst" });
        acknowledged.push(id);
      } catch {
        refused++;
      }
      if (!signalled && acknowledged.length >= 150) {
        signalled = true;
        child.kill("SIGTERM");
      }
      if (signalled && refused > 20) return;
    }
  };
  await Promise.all(Array.from({ length: 12 }, (_, w) => worker(w)));
  expect(await exited).toBe(0);
  expect(signalled).toBe(true);
  expect(acknowledged.length).toBeGreaterThanOrEqual(150);
  expect(refused).toBeGreaterThan(0); // the server did stop taking requests mid-burst

  const db = await openDatabase({ url: dbUrl });
  try {
    const rs = await db.client.execute("SELECT text_sample FROM intent_training_data WHERE intent_label = 'burst'");
    const stored = new Set(rs.rows.map((r) => String(r.text_sample)));
    const lost = acknowledged.filter((id) => !stored.has(`sample ${id}`));
    expect(lost).toEqual([]);
    expect(stored.size).toBeLessThanOrEqual(sent);
  } finally {
    db.close();
  }
}, 60_000);
