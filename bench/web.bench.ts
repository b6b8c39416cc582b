/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The dashboard's speed in a real headless Chromium (@sparticuz/chromium + playwright-core) against
 * `verdict serve --no-auth` (built CLI, its own process, loopback) on a large generated run:
 *   - run page: navigation → first meaningful content (run id, headline numbers, first instance rows)  target <= 1 s
 *   - instance page: navigation → its waterfall                                                       target <= 300 ms
 *   - instance table scrolled through 10,000 rows, a screenful a frame: every frame's length
 *     (requestAnimationFrame deltas) and, for each long animation frame (over 50 ms of main-thread
 *     work), how much of it was the page's own script; reported as (a) frames > 50 ms and (b) frames
 *     whose page script ran > 50 ms, for the app and for a static table of the same rows (the baseline:
 *     what the machine and the browser's rendering do to frames with no script at all)          target <= 50 ms
 *   - JS the browser loads for the first page (the run page), gzipped                                 target <= 300 KB
 *
 * WEB_BENCH_INSTANCES (default 1,000,000) sets the run's size; the run is generated and imported once
 * into bench/.out and reused. WEB_BENCH_PREPARE_ONLY=1 stops after the import. WEB_BENCH_REPS (default 5)
 * navigations per page; the median and the worst are reported. WEB_BENCH_PROFILE=file writes a CPU profile
 * of the page during the scroll, WEB_BENCH_TRACE=file a Chrome trace of it (every thread), WEB_BENCH_SHOT=file.png
 * a screenshot of the table where the scroll ended.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import chromium from "@sparticuz/chromium";
import { createVerdictClient } from "@verdict/api";
import { importRunFolder, openDatabase, queryInstances, storeRunStats } from "@verdict/db";
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
      // A database imported before the report's groups were stored (runs/0006): store them once.
      const groups = await h.client.execute({
        sql: "SELECT count(*) AS n FROM run_report_groups WHERE run_id = ?",
        args: [RUN_ID],
      });
      if (Number(groups.rows[0]?.n) === 0) {
        const t = performance.now();
        await storeRunStats(h, RUN_ID);
        console.log(`stored the run's statistics in ${((performance.now() - t) / 1000).toFixed(1)} s (load ${load()})`);
      }
      return;
    }
    const t = performance.now();
    let last = 0;
    const r = await importRunFolder(h, dir, {
      oneTransaction: true,
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

/**
 * In the page: scrolls the instance table's region through `rows` rows of 32 px, a screenful per
 * animation frame (waiting where rows still load), recording every frame's length (requestAnimationFrame
 * deltas), long tasks, and each long animation frame (Chromium's LoAF: a frame whose main-thread work
 * took over 50 ms) with what took its time: the page's own scripts, this driver's callback (which only
 * sets scrollTop: its time is the style and layout that forces), and the frame's rendering step.
 */
const scrollThrough = async (rows: number) => {
  const el = document.querySelector('[data-testid="instances-scroll"]') as HTMLElement;
  const rowPx = 32;
  const longTasks: number[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push(e.duration);
  });
  obs.observe({ type: "longtask", buffered: false });
  type Script = {
    duration: number;
    forcedStyleAndLayoutDuration: number;
    invoker: string;
    sourceURL: string;
    sourceFunctionName: string;
  };
  type Loaf = PerformanceEntry & {
    styleAndLayoutStart: number;
    blockingDuration: number;
    scripts: Script[];
  };
  const loafs: {
    at: number;
    duration: number;
    /** The page's own scripts (everything but this driver's frame callback), forced layout inside them included. */
    script: number;
    /** The longest of them, as "invoker (function) N ms". */
    top: string;
    /** This driver's frame callback: reading/setting scrollTop forces the style and layout of what the page changed. */
    driver: number;
    /** The frame's style, layout and paint after its scripts (from styleAndLayoutStart to the frame's end). */
    render: number;
    row: number;
  }[] = [];
  // The driver's callback is the one animation-frame callback from no script file (it is evaluated code);
  // the page's scripts all come from its files.
  const isDriver = (x: Script) => x.invoker === "FrameRequestCallback" && x.sourceURL === "";
  const loafObs = new PerformanceObserver((list) => {
    for (const e of list.getEntries() as Loaf[]) {
      const page = e.scripts.filter((x) => !isDriver(x));
      const top = [...page].sort((a, b) => b.duration - a.duration)[0];
      loafs.push({
        at: e.startTime,
        duration: e.duration,
        script: page.reduce((t, x) => t + x.duration, 0),
        top: top
          ? `${top.invoker}${top.sourceFunctionName ? ` (${top.sourceFunctionName})` : ""} ${top.duration.toFixed(0)} ms`
          : "-",
        driver: e.scripts.filter(isDriver).reduce((t, x) => t + x.duration, 0),
        render: e.styleAndLayoutStart > 0 ? e.startTime + e.duration - e.styleAndLayoutStart : 0,
        row: Math.round(el.scrollTop / rowPx),
      });
    }
  });
  const loafSupported = PerformanceObserver.supportedEntryTypes.includes("long-animation-frame");
  if (loafSupported) loafObs.observe({ type: "long-animation-frame", buffered: false });
  // The page's own scroll handling, every frame: from a capturing listener on the document (before the
  // page's listener on the region) to one added on the region after the page's (runs after it).
  const handling: number[] = [];
  let handlingStart = 0;
  const onScrollStart = () => {
    handlingStart = performance.now();
  };
  const onScrollEnd = () => {
    handling.push(performance.now() - handlingStart);
  };
  document.addEventListener("scroll", onScrollStart, { capture: true, passive: true });
  el.addEventListener("scroll", onScrollEnd, { passive: true });
  const deltas: number[] = [];
  const long: string[] = [];
  const started = performance.now();
  let prev = performance.now();
  const target = rows * rowPx;
  await new Promise<void>((resolve, reject) => {
    const driverFrame = (now: number) => {
      try {
        if (now - prev > 50)
          long.push(
            `${(now - prev).toFixed(0)} ms at row ${Math.round(el.scrollTop / rowPx)} (${document.querySelector('[data-testid="instances-loaded"]')?.textContent ?? ""})`,
          );
        deltas.push(now - prev);
        prev = now;
        if (el.scrollTop >= target) return resolve();
        if (now - started > 600_000) return reject(new Error(`stuck at ${el.scrollTop / rowPx} rows`));
        el.scrollTop = Math.min(target, el.scrollTop + el.clientHeight);
        requestAnimationFrame(driverFrame);
      } catch (e) {
        reject(e);
      }
    };
    requestAnimationFrame(driverFrame);
  });
  // Long animation frames are reported after they end: let the last ones arrive.
  await new Promise((r) => setTimeout(r, 200));
  obs.disconnect();
  loafObs.disconnect();
  document.removeEventListener("scroll", onScrollStart, { capture: true });
  el.removeEventListener("scroll", onScrollEnd);
  handling.sort((a, b) => a - b);
  const pick = (q: number) => handling[Math.min(handling.length - 1, Math.floor(q * handling.length))] ?? 0;
  const last = Math.max(
    ...[...el.querySelectorAll("tr[data-index]")].map((r) => Number((r as HTMLElement).dataset.index)),
  );
  deltas.shift(); // the first delta is from before the first frame
  const max = (xs: number[]) => (xs.length ? Math.max(...xs) : 0);
  return {
    frames: deltas.length,
    maxFrame: Math.max(...deltas),
    over50: deltas.filter((d) => d > 50).length,
    longTasks: longTasks.length,
    maxLongTask: max(longTasks),
    loafSupported,
    loafs,
    maxLoaf: max(loafs.map((l) => l.duration)),
    /** Long animation frames in which the page's own scripts ran over 50 ms. */
    loafsScriptOver50: loafs.filter((l) => l.script > 50).length,
    maxLoafScript: max(loafs.map((l) => l.script)),
    maxLoafDriver: max(loafs.map((l) => l.driver)),
    maxLoafRender: max(loafs.map((l) => l.render)),
    /** The page's scroll handling per scroll event (render of the rows coming into view). */
    handling: { events: handling.length, median: pick(0.5), p99: pick(0.99), max: handling.at(-1) ?? 0 },
    seconds: (performance.now() - started) / 1000,
    lastRowIndex: last,
    domRows: el.querySelectorAll("tr[data-index]").length,
    long,
  };
};

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
  // tsx compiles this file with esbuild's keepNames: functions passed to page.evaluate call its __name helper.
  await context.addInitScript({ content: "globalThis.__name = (f) => f;" });
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
  // What each question of the run and instance pages costs the server, one at a time over loopback
  // (the server answers on one event loop: a slow question here holds up every other request).
  const api = createVerdictClient({ url: server.url });
  const questions: [string, () => Promise<unknown>][] = [
    ["runs.summary", () => api.runs.summary.query({ run_id: RUN_ID })],
    ["runs.actions (stored)", () => api.runs.actions.query({ run_id: RUN_ID })],
    ["runs.errors (stored)", () => api.runs.errors.query({ run_id: RUN_ID })],
    ["runs.report (not used by the page)", () => api.runs.report.query({ run_id: RUN_ID })],
    ["runs.instances.query (first 500)", () => api.runs.instances.query.query({ run_id: RUN_ID, limit: 500 })],
    [
      "runs.instances.query (fail, first 500)",
      () => api.runs.instances.query.query({ run_id: RUN_ID, limit: 500, status: "fail" }),
    ],
    ["runs.instances.get", () => api.runs.instances.get.query({ run_id: RUN_ID, instance_id: firstInstance })],
    ["runs.failures (lazy: when scrolled to)", () => api.runs.failures.query({ run_id: RUN_ID, top: 10 })],
  ];
  const serverTimes: [string, number[]][] = [];
  for (const [name, call] of questions) {
    const times: number[] = [];
    for (let i = 0; i < REPS; i++) {
      const t = performance.now();
      await call();
      times.push(performance.now() - t);
    }
    serverTimes.push([name, times]);
  }

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
  await timeTo(page, runUrl, [...meaningful, '[data-testid="instances-table"] tbody tr[data-index]']);
  // Baseline, same page clock and load: the same scroll over a static table of the same rows (10,000
  // rows of 32 px, no script): what the machine does to frames whatever the page does.
  const baselinePage = await context.newPage();
  await baselinePage.setContent(
    `<style>td{height:32px;padding:0 8px;white-space:nowrap}</style><section data-testid="instances-scroll" style="max-height:640px;overflow:auto"><table style="width:100%"><tbody>${Array.from({ length: SCROLL_ROWS + 40 }, (_, i) => `<tr data-index="${i}"><td>inst-${i}</td><td>scenario</td><td>pass</td><td>${i}.5 ms</td><td></td></tr>`).join("")}</tbody></table></section>`,
  );
  await baselinePage.evaluate("globalThis.__name = (f) => f");
  // Laid out and painted once before the scroll starts, as the app's table is after its navigation.
  await baselinePage.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))");
  await baselinePage.waitForTimeout(500);
  const baseline = await baselinePage.evaluate(scrollThrough, SCROLL_ROWS);
  await baselinePage.close();

  // WEB_BENCH_PROFILE=file: a CPU profile of the page during the scroll (Chrome DevTools format).
  const profileTo = process.env.WEB_BENCH_PROFILE;
  const cdp = profileTo ? await context.newCDPSession(page) : null;
  if (cdp) {
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.start");
  }
  // WEB_BENCH_TRACE=file: a Chrome trace of the scroll (every thread of the browser: main, compositor, raster, GPU).
  const traceTo = process.env.WEB_BENCH_TRACE;
  if (traceTo)
    await browser.startTracing(page, {
      path: traceTo,
      categories: [
        "devtools.timeline",
        "disabled-by-default-devtools.timeline",
        "disabled-by-default-devtools.timeline.frame",
        "cc",
        "gpu",
        "viz",
        "benchmark",
        "toplevel",
      ],
    });
  const scroll = await page.evaluate(scrollThrough, SCROLL_ROWS);
  if (traceTo) await browser.stopTracing();
  // WEB_BENCH_SHOT=file.png: the instance table where the scroll ended (to see the rows drawn where they belong).
  if (process.env.WEB_BENCH_SHOT)
    await page.getByTestId("instances-scroll").screenshot({ path: process.env.WEB_BENCH_SHOT });

  if (cdp && profileTo) {
    const { profile } = await cdp.send("Profiler.stop");
    writeFileSync(profileTo, JSON.stringify(profile));
  }
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
  type Scroll = Awaited<ReturnType<typeof scrollThrough>>;
  // (a) every frame longer than 50 ms, whatever made it long (the page, the machine, the browser's
  // rendering), and (b) long animation frames in which the page's own scripts ran over 50 ms.
  const scrollLine = (s: Scroll) =>
    `${s.frames} frames in ${s.seconds.toFixed(1)} s; (a) frames > 50 ms: ${s.over50} (longest frame ${f(s.maxFrame)} ms); ` +
    (s.loafSupported
      ? `(b) long animation frames with the page's script > 50 ms: ${s.loafsScriptOver50} (longest script in a frame ${f(s.maxLoafScript)} ms); ` +
        `long animation frames: ${s.loafs.length} (longest ${f(s.maxLoaf)} ms; the driver's forced style and layout up to ${f(s.maxLoafDriver)} ms, style, layout and paint after the scripts up to ${f(s.maxLoafRender)} ms); `
      : "long-animation-frame not supported; ") +
    `long tasks: ${s.longTasks} (longest ${f(s.maxLongTask)} ms); ` +
    `the page's scroll handling per frame: median ${s.handling.median.toFixed(1)} ms, p99 ${s.handling.p99.toFixed(1)} ms, longest ${s.handling.max.toFixed(1)} ms (${s.handling.events} scroll events)`;
  console.log(
    `  scroll ${k(SCROLL_ROWS)} rows (reached row ${k(scroll.lastRowIndex + 1)}, ${scroll.domRows} rows in the DOM): ${scrollLine(scroll)} (target: no frame > 50 ms)`,
  );
  console.log(`  baseline, the same scroll over a static 10,000-row HTML table, no script: ${scrollLine(baseline)}`);
  for (const l of scroll.long) console.log(`    frame > 50 ms: ${l}`);
  for (const [name, s] of [
    ["app", scroll],
    ["baseline", baseline],
  ] as const)
    for (const l of s.loafs)
      console.log(
        `    ${name} long animation frame ${f(l.duration)} ms at row ${l.row}: page script ${f(l.script)} ms (longest: ${l.top}), driver (forced style and layout) ${f(l.driver)} ms, style, layout and paint ${f(l.render)} ms`,
      );
  for (const [name, times] of serverTimes)
    console.log(`  server: ${name}: median ${f(median(times))} ms, worst ${f(worst(times))} ms (client round trip)`);
  console.log(
    `  JS for the first page: ${scripts.size} files, ${k(raw / 1024)} KB raw, ${k(gz / 1024)} KB gzipped (target <= 300 KB)`,
  );
  console.log(`  load average at the end: ${load()}`);
} finally {
  await browser.close();
  server.child.kill("SIGTERM");
  await server.exited;
}
