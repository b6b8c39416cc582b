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
