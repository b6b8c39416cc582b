/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The dashboard's speed in a real headless Chromium (@sparticuz/chromium + playwright-core) against
 * `verdict serve --no-auth` (built CLI, its own process, loopback) on a large generated run:
 *   - run page: navigation → first meaningful content (run id, headline numbers, first instance rows)  target <= 1 s
 *   - instance page: navigation → its waterfall                                                       target <= 300 ms
 *   - instance table scrolled through 10,000 rows: longest frame (requestAnimationFrame deltas) and
 *     long tasks (PerformanceObserver "longtask")                                                    target <= 50 ms
 *   - JS the browser loads for the first page (the run page), gzipped                                 target <= 300 KB
 *
 * WEB_BENCH_INSTANCES (default 1,000,000) sets the run's size; the run is generated and imported once
 * into bench/.out and reused. WEB_BENCH_PREPARE_ONLY=1 stops after the import. WEB_BENCH_REPS (default 5)
 * navigations per page; the median and the worst are reported.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import chromium from "@sparticuz/chromium";
import { importRunFolder, openDatabase, queryInstances } from "@verdict/db";
import { CLI_PATH, ensureAppBuilt, ensureCliBuilt, spawnListening } from "@verdict/testing";
import { type Page, chromium as playwright } from "playwright-core";
import { generateRun } from "./gen-turbulence.js";

const OUT = join(fileURLToPath(new URL(".", import.meta.url)), ".out");
const INSTANCES = Number(process.env.WEB_BENCH_INSTANCES ?? 1_000_000);
const REPS = Number(process.env.WEB_BENCH_REPS ?? 5);
const SCROLL_ROWS = 10_000;
const RUN_ID = `web-${INSTANCES}-run`;
const dir = join(OUT, `web-${INSTANCES}`);
const dbPath = join(OUT, `web-${INSTANCES}.db`);
const k = (n: number) => Math.round(n).toLocaleString("en-US");
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");

async function prepare(): Promise<void> {
  const summaryFile = join(dir, "summary.json");
  const generated =
    existsSync(summaryFile) &&
    (JSON.parse(readFileSync(summaryFile, "utf8")) as { total_instances: number }).total_instances === INSTANCES;
  if (!generated) {
    const t = performance.now();
    const g = await generateRun({ out: dir, instances: INSTANCES, seed: 13, runId: RUN_ID });
    console.log(
      `generated ${dir}: ${k(g.instances)} instances, ${k(g.steps)} steps in ${((performance.now() - t) / 1000).toFixed(0)} s`,
    );
    for (const s of ["", "-wal", "-shm"]) rmSync(`${dbPath}${s}`, { force: true });
  }
  const h = await openDatabase({ url: `file:${dbPath}`, migrate: true });
  try {
    const have = await h.client.execute({ sql: "SELECT 1 FROM runs WHERE id = ?", args: [RUN_ID] });
    if (have.rows.length > 0) {
      console.log(`reusing ${dbPath}`);
      return;
    }
    const t = performance.now();
    let last = 0;
    const r = await importRunFolder(h, dir, {
      onProgress: (p) => {
        if (performance.now() - last > 30_000) {
          last = performance.now();
          console.log(`  importing: ${k(p.rows)} rows, ${k(p.rowsPerSec)} rows/s, ETA ${Math.round(p.etaSec ?? 0)} s`);
        }
      },
    });
    console.log(
      `imported ${k(r.rows)} rows in ${((performance.now() - t) / 1000).toFixed(0)} s (${k(r.rows_per_sec)} rows/s, load ${load()})`,
    );
  } finally {
    h.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? Number.NaN;
const worst = (xs: number[]) => Math.max(...xs);

/** Milliseconds from the navigation's start until `selector` is in the page (page clock, performance.now()). */
async function timeTo(page: Page, url: string, selectors: string[]): Promise<number> {
  await page.goto(url, { waitUntil: "commit" });
  for (const s of selectors) await page.locator(s).first().waitFor({ state: "attached", timeout: 300_000 });
  return page.evaluate(() => performance.now());
}

await prepare();
if (process.env.WEB_BENCH_PREPARE_ONLY === "1") process.exit(0);

ensureCliBuilt();
ensureAppBuilt("apps/web", "apps/web/dist/index.html");
const server = await spawnListening([CLI_PATH, "--db", `file:${dbPath}`, "serve", "--no-auth", "--port", "0"], {
  stderr: "ignore",
  timeoutMs: 120_000,
});
const browser = await playwright.launch({
  executablePath: await chromium.executablePath(),
  args: chromium.args.filter((a) => !["--single-process", "--disable-web-security"].includes(a)),
  headless: true,
});
try {
  const context = await browser.newContext({ locale: "en-US", viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const firstInstance = (await (async () => {
    const h = await openDatabase({ url: `file:${dbPath}`, migrate: false });
    try {
      return (await queryInstances(h, { run_id: RUN_ID, limit: 1 })).items[0]?.id;
    } finally {
      h.close();
    }
  })()) as string;

  // JS for the first page: every script the browser fetched for a cold load of the run page, gzipped.
  const scripts = new Map<string, number>();
  page.on("response", async (res) => {
    if (res.request().resourceType() !== "script") return;
    const body = await res.body().catch(() => null);
    if (body) scripts.set(new URL(res.url()).pathname, body.length);
  });
  const distAssets = join(fileURLToPath(new URL("../apps/web/dist", import.meta.url)));
  const runUrl = `${server.url}/runs/${RUN_ID}`;
  // First meaningful content: the run's identity and its headline numbers (the instance table's first rows are
  // timed separately: they arrive in the same batched request as the run's report).
  const meaningful = ['[data-testid="run-id"]', '[data-testid="stat-instances"]'];
  const cold = await timeTo(page, runUrl, meaningful);
  await page.waitForTimeout(500);
  let raw = 0;
  let gz = 0;
  for (const path of scripts.keys()) {
    const bytes = readFileSync(join(distAssets, path));
    raw += bytes.length;
    gz += gzipSync(bytes).length;
  }
  page.removeAllListeners("response");

  const runTimes: number[] = [];
  for (let i = 0; i < REPS; i++) runTimes.push(await timeTo(page, runUrl, meaningful));
  const firstRows: number[] = [];
  for (let i = 0; i < REPS; i++)
    firstRows.push(await timeTo(page, runUrl, ['[data-testid="instances-table"] tbody tr[data-index]']));

  const instUrl = `${server.url}/runs/${RUN_ID}/instances/${firstInstance}`;
  const instTimes: number[] = [];
  for (let i = 0; i < REPS; i++) instTimes.push(await timeTo(page, instUrl, ['[data-testid="waterfall-row"]']));

  // Scroll the instance table through SCROLL_ROWS rows, a screenful per frame, waiting where rows still load.
  await timeTo(page, runUrl, meaningful);
  const scroll = await page.evaluate(async (rows) => {
    const el = document.querySelector('[data-testid="instances-scroll"]') as HTMLElement;
    const rowPx = 32;
    const longTasks: number[] = [];
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longTasks.push(e.duration);
    });
    obs.observe({ type: "longtask", buffered: false });
    const deltas: number[] = [];
    const started = performance.now();
    let prev = performance.now();
    const target = rows * rowPx;
    await new Promise<void>((resolve, reject) => {
      const frame = (now: number) => {
        deltas.push(now - prev);
        prev = now;
        if (el.scrollTop >= target) return resolve();
        if (now - started > 600_000) return reject(new Error(`stuck at ${el.scrollTop / rowPx} rows`));
        el.scrollTop = Math.min(target, el.scrollTop + el.clientHeight);
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    });
    obs.disconnect();
    const last = Math.max(
      ...[...el.querySelectorAll("tr[data-index]")].map((r) => Number((r as HTMLElement).dataset.index)),
    );
    deltas.shift(); // the first delta is from before the first frame
    return {
      frames: deltas.length,
      maxFrame: Math.max(...deltas),
      over50: deltas.filter((d) => d > 50).length,
      longTasks: longTasks.length,
      maxLongTask: longTasks.length ? Math.max(...longTasks) : 0,
      seconds: (performance.now() - started) / 1000,
      lastRowIndex: last,
      domRows: el.querySelectorAll("tr[data-index]").length,
    };
  }, SCROLL_ROWS);

  const f = (x: number) => x.toFixed(0);
  console.log(`web bench: run ${RUN_ID} (${k(INSTANCES)} instances), ${REPS} navigations each, load ${load()}`);
  console.log(
    `  run page first meaningful content (run id, instances stat, first table rows): cold ${f(cold)} ms, median ${f(median(runTimes))} ms, worst ${f(worst(runTimes))} ms (target <= 1000 ms)`,
  );
  console.log(
    `  run page instance table's first rows: median ${f(median(firstRows))} ms, worst ${f(worst(firstRows))} ms`,
  );
  console.log(
    `  instance page waterfall: median ${f(median(instTimes))} ms, worst ${f(worst(instTimes))} ms (target <= 300 ms)`,
  );
  console.log(
    `  scroll ${k(SCROLL_ROWS)} rows (reached row ${k(scroll.lastRowIndex + 1)}, ${scroll.domRows} rows in the DOM): ${scroll.frames} frames in ${scroll.seconds.toFixed(1)} s, longest frame ${f(scroll.maxFrame)} ms, ${scroll.over50} frames > 50 ms, ${scroll.longTasks} long tasks (longest ${f(scroll.maxLongTask)} ms) (target: no frame > 50 ms)`,
  );
  console.log(
    `  JS for the first page: ${scripts.size} files, ${k(raw / 1024)} KB raw, ${k(gz / 1024)} KB gzipped (target <= 300 KB)`,
  );
  console.log(`  load average at the end: ${load()}`);
} finally {
  await browser.close();
  server.child.kill("SIGTERM");
  await server.exited;
}
