import { mkdirSync } from "node:fs";
import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import chromium from "@sparticuz/chromium";
import { expect } from "vitest";
import { type Browser, type Page, chromium as playwright } from "playwright-core";

/**
 * A real headless Chromium from the @sparticuz/chromium npm package (the binary ships inside the
 * package and unpacks to the temp folder), driven by playwright-core: no download, no root.
 */
export async function launchBrowser(): Promise<Browser> {
  return playwright.launch({
    executablePath: await chromium.executablePath(),
    args: chromium.args.filter((a) => !DROPPED.has(a)),
    headless: true,
  });
}

// The package's flags are made for AWS Lambda: one process (the browser dies with its last page) and
// web security off. Our tests want a normal browser: same-origin rules and cookies as users have them.
const DROPPED = new Set([
  "--single-process",
  "--disable-web-security",
  "--allow-running-insecure-content",
  "--disable-site-isolation-trials",
]);

/**
 * A page with a fixed locale: in a POSIX environment Chromium reports "en-US@posix", which Intl (and
 * so uPlot's number formatting) rejects.
 */
export async function newPage(browser: Browser, viewport = { width: 1280, height: 900 }): Promise<Page> {
  // A context of its own (axe-core's builder needs the page's context); it closes with the page.
  const context = await browser.newContext({ locale: "en-US", viewport });
  const page = await context.newPage();
  // When the whole browser is closing too, the context may already be gone: nothing is left to close.
  page.once("close", () => {
    context.close().catch(() => undefined);
  });
  return page;
}

/** Checks a page with axe-core (no serious or critical violation), then saves its full-page screenshot in `dir`. */
export async function axeAndShot(page: Page, name: string, dir: string): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  expect(result.passes.length, `axe ran its rules on ${name}`).toBeGreaterThan(0);
  const bad = result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  expect(bad, `axe on ${name}`).toEqual([]);
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/**
 * One column of the virtualized instance table, every row: scrolls its region from top to bottom and
 * collects the cells by row index (the DOM only holds the rows in view).
 */
export async function virtualColumn(page: Page, col: string): Promise<string[]> {
  const scroller = page.getByTestId("instances-scroll");
  await scroller.evaluate((el) => {
    el.scrollTop = 0;
  });
  const seen = new Map<number, string>();
  for (;;) {
    await page.waitForTimeout(50);
    const batch = await scroller.evaluate(
      (el, c) =>
        [...el.querySelectorAll("tbody tr[data-index]")].map(
          (tr) =>
            [Number((tr as HTMLElement).dataset.index), tr.querySelector(`td[data-col="${c}"]`)?.textContent ?? ""] as [
              number,
              string,
            ],
        ),
      col,
    );
    for (const [i, text] of batch) seen.set(i, text);
    const done = await scroller.evaluate((el) => {
      const end = el.scrollTop + el.clientHeight >= el.scrollHeight - 1;
      el.scrollTop += el.clientHeight;
      return end;
    });
    if (done) break;
  }
  return [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t);
}
