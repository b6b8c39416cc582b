/**
 * Acceptance (issue 9, defect 6): a large `verdict runs import` (200,000 steps) runs in its own
 * process while a client reads and writes through a real `verdict serve` on 127.0.0.1, on the same
 * database file. The import commits in short chunks with the run hidden until its last one, so no
 * request fails or waits more than 1 s; the run appears only when it is complete.
 * (Each request's latency is measured here on purpose: it is this issue's acceptance criterion.)
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createVerdictClient } from "@verdict/api/client";
import { CLI_PATH, REPO_ROOT, ensureCliBuilt, runCli, spawnListening, tempDir } from "@verdict/testing";
import { afterAll, describe, expect, it } from "vitest";

const dir = tempDir("verdict-cli-import-conc-");
const dbUrl = `file:${dir.file("served.db")}`;
const INSTANCES = 20_000;
const STEPS_PER_INSTANCE = 10;
const RUN = "run-concurrent";

/** A current-shape run folder with INSTANCES × STEPS_PER_INSTANCE steps, written line by line. */
function writeBigRun(root: string): string {
  const src = join(root, RUN);
  mkdirSync(src, { recursive: true });
  const at = "2026-12-01T21:44:02.345849Z";
  writeFileSync(
    join(src, "manifest.json"),
    JSON.stringify(
      { run_id: RUN, timestamp: at, sut_name: "shop", scenario_ids: ["browse"], seed: 1, config: {} },
      null,
      2,
    ),
  );
  const inst: string[] = [];
  const steps: string[] = [];
  for (let i = 0; i < INSTANCES; i++) {
    const id = `inst_${i.toString(16).padStart(12, "0")}`;
    const corr = `corr_${i}`;
    inst.push(
      `{"instance_id":"${id}","run_id":"${RUN}","correlation_id":"${corr}","scenario_id":"browse","started_at":"${at}","completed_at":"${at}","duration_ms":${
        (i % 997) + 0.5
      },"passed":${i % 10 !== 0},"entry_data":{"seed_data":{}},"error":null}`,
    );
    for (let s = 0; s < STEPS_PER_INSTANCE; s++)
      steps.push(
        `{"instance_id":"${id}","run_id":"${RUN}","correlation_id":"${corr}","step_index":${s},"step_name":"get_${s}","step_type":"http","timestamp":"${at}","observation":{"ok":true,"status_code":200,"latency_ms":${
          ((i * 7 + s * 13) % 500) + 0.25
        },"service":"api","body":{"n":${i}}}}`,
      );
  }
  writeFileSync(join(src, "instances.jsonl"), `${inst.join("\n")}\n`);
  writeFileSync(join(src, "steps.jsonl"), `${steps.join("\n")}\n`);
  writeFileSync(join(src, "assertions.jsonl"), "");
  writeFileSync(
    join(src, "summary.json"),
    JSON.stringify({ run_id: RUN, completed_at: at, total_instances: INSTANCES, pass_count: 0 }, null, 2),
  );
  return src;
}

let server: ReturnType<typeof spawn> | null = null;
afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server?.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  }
  dir.cleanup();
});

describe("a large import while the API serves the same database", () => {
  it("no request fails or waits more than 1 s; the run appears whole when the import ends", async () => {
    const cli = ensureCliBuilt();
    expect((await runCli(["--db", dbUrl, "init", "--seed"])).status).toBe(0);
    const token = (
      JSON.parse(
        (await runCli(["--db", dbUrl, "--json", "tokens", "create", "--name", "client", "--scope", "write"])).stdout,
      ) as { token: string }
    ).token;
    const listening = await spawnListening([cli, "--db", dbUrl, "serve", "--host", "127.0.0.1", "--port", "0"], {
      name: "verdict serve",
    });
    server = listening.child;
    const client = createVerdictClient({ url: listening.url, token });
    const src = writeBigRun(dir.path);
    // The same requests before the import, for the log: what the machine gives without it.
    const baseline: number[] = [];
    for (let n = 0; n < 40; n++) {
      const t0 = performance.now();
      if (n % 2 === 0) await client.runs.list.query({ limit: 50 });
      else await client.ivr.training.add.mutate({ text_sample: `before import ${n}`, intent_label: "check_balance" });
      baseline.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }

    const importer = spawn(process.execPath, [CLI_PATH, "--db", dbUrl, "runs", "import", src], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    importer.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    let done = false;
    const exit = new Promise<number | null>((resolve) =>
      importer.once("close", (code) => {
        done = true;
        resolve(code);
      }),
    );

    const latencies: { op: string; ms: number }[] = [];
    const failures: string[] = [];
    let sawHidden = 0;
    for (let n = 0; !done; n++) {
      const op = n % 2 === 0 ? "read" : "write";
      const t0 = performance.now();
      try {
        if (op === "read") {
          const page = await client.runs.list.query({ limit: 50 });
          // While the import runs, its run is not listed (it appears whole or not at all).
          if (!done && !page.items.some((r) => r.id === RUN)) sawHidden++;
        } else {
          await client.ivr.training.add.mutate({ text_sample: `during import ${n}`, intent_label: "check_balance" });
        }
      } catch (e) {
        failures.push(`${op}: ${e instanceof Error ? e.message : String(e)}`);
      }
      latencies.push({ op, ms: performance.now() - t0 });
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await exit, stderr).toBe(0);
    expect(stderr).toContain(`imported ${RUN}: ${INSTANCES.toLocaleString("en-US")} instances`);

    const slow = latencies.filter((l) => l.ms > 1000);
    const worst = Math.max(...latencies.map((l) => l.ms));
    const sorted = latencies.map((l) => l.ms).sort((a, b) => a - b);
    const at = (q: number) => (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(0);
    console.log(
      `${latencies.length} requests during the import (${latencies.filter((l) => l.op === "write").length} writes): median ${at(0.5)} ms, p99 ${at(0.99)} ms, slowest ${worst.toFixed(0)} ms (${latencies
        .filter((l) => l.ms > 500)
        .map((l) => `${l.op} ${l.ms.toFixed(0)}`)
        .join(", ")}); before the import: slowest ${Math.max(...baseline).toFixed(0)} ms`,
    );
    expect(failures).toEqual([]);
    expect(latencies.length).toBeGreaterThan(20);
    expect(slow).toEqual([]);
    expect(sawHidden).toBeGreaterThan(0);

    const after = await client.runs.list.query({ limit: 50 });
    expect(after.items.map((r) => r.id)).toContain(RUN);
    const s = await client.runs.instances.query.query({ run_id: RUN, limit: 1, with_total: true });
    expect(s.total).toBe(INSTANCES);
  }, 300_000);
});
