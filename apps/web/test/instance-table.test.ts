/**
 * The run page's instance table on a run of several API pages (500 rows each) in a real browser: the
 * rows arrive page by page as the table scrolls and are appended in place, so every row must still be
 * the API's row at the same position, across page boundaries and after a filter change.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createVerdictClient } from "@verdict/api/client";
import {
  CLI_PATH,
  type ListeningProcess,
  ensureAppBuilt,
  ensureCliBuilt,
  runCli,
  spawnListening,
  tempDir,
} from "@verdict/testing";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { axeAndShot, launchBrowser, newPage, virtualColumn } from "./browser.js";

const dir = tempDir("verdict-web-table-");
const fixture = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "run_real_001");
const db = `file:${dir.file("table.db")}`;
const RUN = "many_001";
/** Three pages of 500 and a part: the page boundaries at 500 and 1,000 are crossed. */
const INSTANCES = 1_234;
let server: ListeningProcess;
let browser: Browser;
let api: ReturnType<typeof createVerdictClient>;

const lines = (file: string) =>
  readFileSync(join(fixture, file), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/**
 * A run folder of INSTANCES instances made from the recorded run's instances (one failed, one passed,
 * taken in turn; every third one fails) and their steps, each under a new instance id.
 */
function writeRun(out: string): void {
  const instances = lines("instances.jsonl");
  const steps = lines("steps.jsonl");
  const failed = instances.find((i) => i.passed === false);
  const passed = instances.find((i) => i.passed === true);
  if (!failed || !passed) throw new Error("the fixture has no failed or no passed instance");
  const inst: string[] = [];
  const st: string[] = [];
  let fail = 0;
  for (let n = 0; n < INSTANCES; n++) {
    const fails = n % 3 === 0;
    if (fails) fail++;
    const template: Record<string, unknown> = fails ? failed : passed;
    const id = `inst_${String(n).padStart(5, "0")}`;
    const corr = `corr_${String(n).padStart(5, "0")}`;
    inst.push(JSON.stringify({ ...template, instance_id: id, run_id: RUN, correlation_id: corr }));
    for (const s of steps.filter((x) => x.instance_id === template.instance_id))
      st.push(JSON.stringify({ ...s, instance_id: id, run_id: RUN, correlation_id: corr }));
  }
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "instances.jsonl"), `${inst.join("\n")}\n`);
  writeFileSync(join(out, "steps.jsonl"), `${st.join("\n")}\n`);
  writeFileSync(join(out, "assertions.jsonl"), "");
  const manifest = JSON.parse(readFileSync(join(fixture, "manifest.json"), "utf8")) as Record<string, unknown>;
  writeFileSync(join(out, "manifest.json"), JSON.stringify({ ...manifest, run_id: RUN }));
  const summary = JSON.parse(readFileSync(join(fixture, "summary.json"), "utf8")) as Record<string, unknown>;
  writeFileSync(
    join(out, "summary.json"),
    JSON.stringify({
      ...summary,
      run_id: RUN,
      total_instances: INSTANCES,
      pass_count: INSTANCES - fail,
      fail_count: fail,
      error_count: fail,
      pass_rate: (100 * (INSTANCES - fail)) / INSTANCES,
      total_steps: st.length,
      total_assertions: 0,
      assertions_passed: 0,
      assertions_failed: 0,
    }),
  );
}

/** Every instance id of the run (with a status filter), read from the API page by page. */
async function apiIds(status?: "pass" | "fail"): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await api.runs.instances.query.query({
      run_id: RUN,
      limit: 1000,
      ...(status ? { status } : {}),
      ...(cursor ? { cursor } : {}),
    });
    ids.push(...page.items.map((i) => i.id));
    if (!page.nextCursor) return ids;
    cursor = page.nextCursor;
  }
}

beforeAll(async () => {
  ensureCliBuilt();
  ensureAppBuilt("apps/web", "apps/web/dist/index.html");
  writeRun(dir.file(RUN));
  expect((await runCli(["--db", db, "init"])).status).toBe(0);
  const imported = await runCli(["--db", db, "runs", "import", dir.file(RUN)]);
  expect(imported.status, imported.stderr).toBe(0);
  server = await spawnListening([CLI_PATH, "--db", db, "serve", "--no-auth", "--port", "0"], { stderr: "ignore" });
  api = createVerdictClient({ url: server.url });
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  server?.child.kill("SIGTERM");
  await server?.exited;
  dir.cleanup();
});

describe("the instance table over several API pages", () => {
  it("shows every row of the run in the API's order, across the pages it loads as it scrolls", async () => {
    const all = await apiIds();
    expect(all).toHaveLength(INSTANCES);
    const page = await newPage(browser);
    await page.goto(`${server.url}/runs/${RUN}`);
    await page.getByTestId("instances-table").locator("tbody tr[data-index]").first().waitFor();
    await expect.poll(() => virtualColumn(page, "id"), { timeout: 60_000 }).toEqual(all);
    // Only the rows in view (and a few around them) are in the DOM, numbered for assistive technology.
    const rows = page.getByTestId("instances-table").locator("tbody tr[data-index]");
    expect(await rows.count()).toBeLessThan(60);
    const last = await rows.last().getAttribute("aria-rowindex");
    expect(Number(last)).toBe(INSTANCES + 1);
    await expect(page.getByTestId("instances-table").getAttribute("aria-rowcount")).resolves.toBe(
      String(INSTANCES + 1),
    );
    await axeAndShot(page, "instance-table-end", dir.file("shots"));
    await page.close();
  });

  it("a filter in the URL starts the rows again: the passed ones over two pages, then the failed ones", async () => {
    const passed = await apiIds("pass");
    const failed = await apiIds("fail");
    expect(passed.length).toBeGreaterThan(500);
    const page = await newPage(browser);
    await page.goto(`${server.url}/runs/${RUN}?status=pass`);
    await page.getByTestId("instances-table").locator("tbody tr[data-index]").first().waitFor();
    await expect.poll(() => virtualColumn(page, "id"), { timeout: 60_000 }).toEqual(passed);
    await page.getByTestId("status-fail").click();
    await page.waitForURL((u) => u.searchParams.get("status") === "fail");
    await expect.poll(() => virtualColumn(page, "id"), { timeout: 60_000 }).toEqual(failed);
    expect(await virtualColumn(page, "status")).toEqual(failed.map(() => "fail"));
    await page.close();
  });

  it("the keyboard scrolls the region and follows a row's link to its instance page", async () => {
    const page = await newPage(browser);
    await page.goto(`${server.url}/runs/${RUN}`);
    const region = page.getByTestId("instances-scroll");
    await region.locator("tbody tr[data-index]").first().waitFor();
    await region.focus();
    await page.keyboard.press("PageDown");
    await expect.poll(() => region.evaluate((el) => el.scrollTop)).toBeGreaterThan(0);
    // The rows in the DOM change while the scroll still moves: wait until it rests, then hold on to one
    // link by its address (a `.first()` locator is resolved again at each use and may name another row).
    let last = -1;
    await expect
      .poll(async () => {
        const top = await region.evaluate((el) => el.scrollTop);
        const still = top === last;
        last = top;
        return still;
      })
      .toBe(true);
    const id = (await region.locator('td[data-col="id"] a').nth(2).textContent()) ?? "";
    expect(id).toMatch(/^inst_/);
    const link = region.locator(`td[data-col="id"] a[href$="/instances/${encodeURIComponent(id)}"]`);
    await link.focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(`${server.url}/runs/${RUN}/instances/${id}`);
    await expect(page.getByTestId("instance-id").textContent()).resolves.toBe(id);
    await page.close();
  });
});
