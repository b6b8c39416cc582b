/**
 * The live pages in a real browser: `verdict serve`, the demo IVR and a `verdict-worker` each in their
 * own process on 127.0.0.1. A queued IVR execution appears on the open executions and queue pages,
 * a worker is seen holding its lease, and the execution completes there, pushed by the server over
 * `queue.watch` (server-sent events), without reloading the pages.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createVerdictClient } from "@verdict/api/client";
import {
  CLI_PATH,
  type ListeningProcess,
  REPO_ROOT,
  ensureAppBuilt,
  ensureCliBuilt,
  onProcessExit,
  runCli,
  spawnListening,
  tempDir,
} from "@verdict/testing";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { axeAndShot, launchBrowser, newPage } from "./browser.js";

const dir = tempDir("verdict-web-live-");
const db = `file:${dir.file("live.db")}`;
const shots = process.env.VERDICT_SCREENSHOTS ?? dir.file("screenshots");
let server: ListeningProcess;
let ivr: ListeningProcess;
let worker: ChildProcess | null = null;
let workerLog = "";
let browser: Browser;
let readToken = "";
let writeToken = "";

onProcessExit(() => {
  for (const c of [worker, server?.child, ivr?.child])
    if (c?.pid && c.exitCode === null && c.signalCode === null) process.kill(c.pid, "SIGKILL");
});

async function signedInPage(path: string): Promise<Page> {
  const page = await newPage(browser);
  await page.goto(`${server.url}/signin`);
  await page.getByTestId("token-input").fill(readToken);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${server.url}/runs`);
  await page.goto(`${server.url}${path}`);
  await expect.poll(() => page.getByTestId("live-status").textContent(), { timeout: 20_000 }).toBe("live");
  // Set once; a reload or a navigation would lose it.
  await page.evaluate(() => {
    (window as unknown as { verdictMarker: number }).verdictMarker = 42;
  });
  return page;
}

const marker = (page: Page) => page.evaluate(() => (window as unknown as { verdictMarker?: number }).verdictMarker);

/** Rows of a table as {column: text} objects. */
async function rows(page: Page, table: string): Promise<Record<string, string>[]> {
  return page
    .getByTestId(table)
    .locator("tbody tr")
    .evaluateAll((trs) =>
      trs.map((tr) =>
        Object.fromEntries(
          [...tr.querySelectorAll("td")].map((td) => [td.dataset.col ?? "", (td.textContent ?? "").trim()]),
        ),
      ),
    );
}

beforeAll(async () => {
  ensureCliBuilt();
  ensureAppBuilt("apps/web", "apps/web/dist/index.html");
  ensureAppBuilt("apps/worker", "apps/worker/dist/index.js");
  ensureAppBuilt("apps/demo-ivr", "apps/demo-ivr/dist/main.js");
  expect((await runCli(["--db", db, "init", "--seed"])).status).toBe(0);
  readToken = (
    await runCli(["--db", db, "tokens", "create", "--name", "live-reader", "--scope", "read"])
  ).stdout.trim();
  writeToken = (
    await runCli(["--db", db, "tokens", "create", "--name", "live-worker", "--scope", "write"])
  ).stdout.trim();
  // A slow IVR (each answer 700 ms late) keeps the execution running long enough to be seen running.
  [server, ivr] = await Promise.all([
    spawnListening([CLI_PATH, "--db", db, "serve", "--port", "0"], { stderr: "ignore" }),
    spawnListening([join(REPO_ROOT, "apps/demo-ivr/dist/main.js"), "--port", "0", "--delay-ms", "700"], {
      stderr: "ignore",
    }),
  ]);
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  for (const c of [worker, server?.child, ivr?.child]) if (c?.pid && c.exitCode === null) c.kill("SIGTERM");
  await Promise.all([server?.exited, ivr?.exited]);
  dir.cleanup();
});

it("a queued IVR execution appears and completes live while the pages are open", async () => {
  const api = createVerdictClient({ url: server.url, token: writeToken });
  const executions = await signedInPage("/ivr/executions");
  const queue = await signedInPage("/queue");
  await expect(executions.getByText("No IVR execution is queued or running.").count()).resolves.toBe(1);

  const enqueued = await api.queue.enqueue.mutate({ scenario_id: "bank-balance", repeat: 1 });
  // A queued execution is only a queue item until a worker starts it (then it gets its execution id).
  const [itemId] = enqueued.item_ids;
  expect(itemId).toBeTruthy();
  const counts = await api.queue.counts.query();
  expect(counts.ivr.queued).toBe(1);

  // Queued: pushed to both pages (no worker runs yet, so it stays queued).
  await expect
    .poll(async () => (await rows(executions, "executions-queue")).map((r) => [r.scenario, r.status]), {
      timeout: 15_000,
    })
    .toEqual([["bank-balance", "queued"]]);
  await expect
    .poll(() => queue.getByTestId("queue-counts").locator('td[data-col="ivr-queued"]').textContent())
    .toBe(String(counts.ivr.queued));
  expect(await rows(queue, "queue-items")).toHaveLength(1);

  // A worker claims it: the queue page shows it holding the lease while the execution runs.
  worker = spawn(
    process.execPath,
    [
      join(REPO_ROOT, "apps/worker/dist/index.js"),
      "--server",
      server.url,
      "--token",
      writeToken,
      "--id",
      "live-worker-1",
      "--kinds",
      "ivr",
      "--ivr-webhook",
      ivr.url,
      "--poll-ms",
      "100",
      "--flush-ms",
      "50",
    ],
    { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "pipe"] },
  );
  worker.stderr?.on("data", (d: Buffer) => {
    workerLog += d.toString("utf8");
  });
  await expect
    .poll(async () => (await rows(queue, "queue-workers")).map((r) => [r.worker, r.items]), { timeout: 30_000 })
    .toEqual([["live-worker-1", "1"]]);
  await axeAndShot(queue, "queue", shots);

  // The claim made its execution.
  let executionId = "";
  await expect
    .poll(
      async () => {
        const item = (await api.queue.list.query({ kind: "ivr", limit: 10 })).items.find((i) => i.id === itemId);
        executionId = item?.execution_id ? String(item.execution_id) : "";
        return executionId !== "";
      },
      { timeout: 30_000 },
    )
    .toBe(true);
  // Completed: off the queue, in the executions table with the API's status and result.
  await expect
    .poll(async () => (await rows(executions, "executions-table")).find((r) => r.id === executionId)?.status, {
      timeout: 60_000,
      message: `worker log: ${workerLog}`,
    })
    .toBe("completed");
  const done = await api.ivr.executions.get.query({ execution_id: Number(executionId) });
  const row = (await rows(executions, "executions-table")).find((r) => r.id === executionId);
  expect(row?.result).toBe(done.final_result ?? "–");
  await expect.poll(async () => executions.getByText("No IVR execution is queued or running.").count()).toBe(1);
  await expect
    .poll(() => queue.getByTestId("queue-counts").locator('td[data-col="ivr-done"]').textContent())
    .toBe(String((await api.queue.counts.query()).ivr.done));
  // Neither page reloaded or navigated.
  expect(await marker(executions)).toBe(42);
  expect(await marker(queue)).toBe(42);
  await executions.close();
  await queue.close();
});
