/**
 * The dashboard in a real browser (headless Chromium) against `verdict serve` in its own process on
 * a seeded database file: sign-in (one-time link, pasted token, a wrong token refused), and each page
 * showing the same numbers as the typed API answers for the same question.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createVerdictClient } from "@verdict/api/client";
import {
  CLI_PATH,
  type ListeningProcess,
  ensureAppBuilt,
  ensureCliBuilt,
  eventually,
  runCli,
  spawnListening,
  tempDir,
} from "@verdict/testing";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { axeAndShot, launchBrowser, newPage, virtualColumn } from "./browser.js";

const dir = tempDir("verdict-web-");
const fixtures = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
const db = `file:${dir.file("dash.db")}`;
const shots = process.env.VERDICT_SCREENSHOTS ?? dir.file("screenshots");
let server: ListeningProcess;
let stderr = "";
let browser: Browser;
let readToken = "";
let writeToken = "";
let api: ReturnType<typeof createVerdictClient>;

const fmt = (v: number) =>
  Number.isInteger(v)
    ? v.toLocaleString("en-US")
    : v.toLocaleString("en-US", { maximumFractionDigits: Math.abs(v) < 10 ? 3 : 1 });

async function signedInPage(token = readToken): Promise<Page> {
  const page = await newPage(browser);
  await page.goto(`${server.url}/signin`);
  await page.getByTestId("token-input").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${server.url}/runs`);
  return page;
}

/** Every page the tests visit is checked with axe-core (before its screenshot): no serious or critical violation. */
const shot = (page: Page, name: string) => axeAndShot(page, name, shots);

/** The text of every cell of one column of a table. */
async function column(page: Page, table: string, col: string): Promise<string[]> {
  return page.getByTestId(table).locator(`td[data-col="${col}"]`).allTextContents();
}

/** Pixels of a chart's canvas within a small distance of an rgb() colour. */
async function inkPixels(page: Page, testId: string, rgb: string): Promise<number> {
  return page.getByTestId(testId).evaluate((el, color) => {
    const want = (/rgb\((\d+), (\d+), (\d+)\)/.exec(color) ?? []).slice(1).map(Number);
    let n = 0;
    for (const canvas of el.querySelectorAll("canvas")) {
      const ctx = canvas.getContext("2d");
      if (!ctx) continue;
      const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < d.length; i += 4) {
        const dist =
          Math.abs((d[i] ?? 0) - (want[0] ?? 0)) +
          Math.abs((d[i + 1] ?? 0) - (want[1] ?? 0)) +
          Math.abs((d[i + 2] ?? 0) - (want[2] ?? 0));
        if ((d[i + 3] ?? 0) > 200 && dist < 40) n++;
      }
    }
    return n;
  }, rgb);
}

beforeAll(async () => {
  ensureCliBuilt();
  ensureAppBuilt("apps/web", "apps/web/dist/index.html");
  expect((await runCli(["--db", db, "init", "--seed"])).status).toBe(0);
  const imported = await runCli([
    "--db",
    db,
    "runs",
    "import",
    join(fixtures, "run_real_001"),
    join(fixtures, "run_wt_v1"),
  ]);
  expect(imported.status, imported.stderr).toBe(0);
  const created = await runCli(["--db", db, "tokens", "create", "--name", "web-reader", "--scope", "read"]);
  readToken = created.stdout.trim();
  const writer = await runCli(["--db", db, "tokens", "create", "--name", "web-writer", "--scope", "write"]);
  writeToken = writer.stdout.trim();
  server = await spawnListening([CLI_PATH, "--db", db, "serve", "--port", "0"], { stderr: "pipe" });
  server.child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString("utf8");
  });
  api = createVerdictClient({ url: server.url, token: readToken });
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  server?.child.kill("SIGTERM");
  await server?.exited;
  dir.cleanup();
});

describe("signing in", () => {
  it("the one-time link printed by verdict serve signs in once, and only once", async () => {
    const link = await eventually(async () => {
      const m = /dashboard: open (\S+\/login\?code=\S+)/.exec(stderr);
      if (!m?.[1]) throw new Error(`no login link yet: ${stderr}`);
      return m[1];
    });
    const page = await newPage(browser);
    await page.goto(link);
    await page.waitForURL(`${server.url}/runs`);
    await expect(page.getByTestId("whoami").textContent()).resolves.toBe("login-link · admin");
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === "verdict_session");
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe("Strict");
    const again = await newPage(browser);
    await again.goto(link);
    await again.waitForURL(/\/signin\?failed=1$/);
    await again.getByTestId("login-failed").waitFor();
    await page.close();
    await again.close();
  });

  it("refuses a wrong token and sends a page without a session to the sign-in form", async () => {
    const page = await newPage(browser);
    await page.goto(`${server.url}/runs`);
    await page.waitForURL(`${server.url}/signin`);
    await page.getByTestId("token-input").fill("vdt_not-a-real-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/signin\?failed=1$/);
    await page.getByTestId("login-failed").waitFor();
    await shot(page, "signin");
    await page.close();
  });

  it("a pasted read token signs in as that token", async () => {
    const page = await signedInPage();
    await expect(page.getByTestId("whoami").textContent()).resolves.toBe("web-reader · read");
    await page.close();
  });
});

describe("pages show what the API answers", () => {
  it("runs: the list, and the filter by system under test in the URL", async () => {
    const page = await signedInPage();
    const runs = await api.runs.list.query({ limit: 50 });
    await page.getByTestId("runs-table").waitFor();
    expect(await column(page, "runs-table", "id")).toEqual(runs.items.map((r) => r.id));
    await shot(page, "runs");
    const sut = runs.items[0]?.sut_name ?? "";
    await page.getByTestId("filter-sut").fill(sut);
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL((u) => u.searchParams.get("sut") === sut);
    const filtered = await api.runs.list.query({ limit: 50, sut_name: sut });
    await expect.poll(() => column(page, "runs-table", "id")).toEqual(filtered.items.map((r) => r.id));
    await page.close();
  });

  it("run page: headline numbers, per-scenario and per-service tables, and the instance filter", async () => {
    const runs = await api.runs.list.query({ limit: 1 });
    const runId = runs.items[0]?.id ?? "";
    const s = await api.runs.summary.query({ run_id: runId });
    const page = await signedInPage();
    await page.goto(`${server.url}/runs/${runId}`);
    await expect(page.getByTestId("run-id").textContent()).resolves.toBe(runId);
    await expect(page.getByTestId("stat-instances").textContent()).resolves.toBe(fmt(s.instances.instances));
    await expect(page.getByTestId("stat-fail").textContent()).resolves.toBe(fmt(s.instances.fail));
    if (s.instances.pass_rate !== null)
      await expect(page.getByTestId("stat-pass-rate").textContent()).resolves.toBe(`${fmt(s.instances.pass_rate)} %`);
    if (s.steps.latency_ms.p95 !== null)
      await expect(page.getByTestId("stat-p95").textContent()).resolves.toBe(`${fmt(s.steps.latency_ms.p95)} ms`);
    expect(await column(page, "scenarios-table", "scenario")).toEqual(s.by_scenario.map((x) => x.scenario_id));
    expect(await column(page, "services-table", "p95")).toEqual(
      s.by_service.map((x) => (x.latency_ms.p95 === null ? "–" : `${fmt(x.latency_ms.p95)} ms`)),
    );
    await page.getByTestId("chart-services").locator("canvas").waitFor();
    await shot(page, "run");
    await page.getByTestId("status-fail").click();
    await page.waitForURL((u) => u.searchParams.get("status") === "fail");
    const failed = await api.runs.instances.query.query({ run_id: runId, status: "fail", limit: 1000 });
    await expect.poll(() => virtualColumn(page, "id")).toEqual(failed.items.map((i) => i.id));
    // Virtualized: only the rows in view (and a few around) are in the DOM, all of them reachable by scrolling.
    const all = await api.runs.instances.query.query({ run_id: runId, limit: 1000 });
    await page.getByTestId("status-all").click();
    await expect.poll(() => virtualColumn(page, "id")).toEqual(all.items.map((i) => i.id));
    const inDom = await page.getByTestId("instances-table").locator("tbody tr[data-index]").count();
    expect(inDom).toBeLessThan(all.items.length);
    await page.close();
  });

  it("run page: per scenario × action, error categories, and the gate with its rules in the URL", async () => {
    const runId = "run_real_001";
    const report = await api.runs.report.query({ run_id: runId });
    const page = await signedInPage();
    await page.goto(`${server.url}/runs/${runId}`);
    await page.getByTestId("scenario-actions-table").waitFor();
    const rows = report.scenarios.flatMap((s) => s.actions.map((a) => ({ ...a, scenario_id: s.scenario_id })));
    expect(await column(page, "scenario-actions-table", "scenario")).toEqual(rows.map((r) => r.scenario_id));
    expect(await column(page, "scenario-actions-table", "action")).toEqual(rows.map((r) => r.action_name));
    expect(await column(page, "scenario-actions-table", "fail")).toEqual(rows.map((r) => fmt(r.fail_count)));
    expect(await column(page, "scenario-actions-table", "p95")).toEqual(rows.map((r) => `${fmt(r.p95_latency_ms)} ms`));
    expect(report.error_categories.length).toBeGreaterThan(0);
    expect(await column(page, "error-categories-table", "category")).toEqual(
      report.error_categories.map((c) => c.category),
    );
    expect(await column(page, "error-categories-table", "count")).toEqual(
      report.error_categories.map((c) => fmt(c.count)),
    );
    // Failure patterns are asked for only when scrolled to (they read every failed row of the run).
    const failures = await api.runs.failures.query({ run_id: runId, top: 10 });
    await page.getByTestId("failures-section").scrollIntoViewIfNeeded();
    await page.getByTestId("failures-table").waitFor();
    expect(await column(page, "failures-table", "count")).toEqual(failures.map((f) => fmt(f.count)));
    const rules = ["pass_rate>=0.99", "p95_latency_ms<100000"];
    await page.getByTestId("gate-rules").fill(rules.join("\n"));
    await page.getByRole("button", { name: "Check" }).click();
    await page.waitForURL((u) => u.searchParams.has("fail_on"));
    const gate = await api.runs.gate.query({ run_id: runId, fail_on: rules });
    await page.getByTestId("gate-table").waitFor();
    expect(await column(page, "gate-table", "expr")).toEqual(gate.rules.map((r) => r.expr));
    expect(await column(page, "gate-table", "verdict")).toEqual(
      gate.rules.map((r) => (r.passed ? "holds" : "violated")),
    );
    expect(await column(page, "gate-table", "message")).toEqual(gate.rules.map((r) => r.message));
    await expect(page.getByTestId("gate-verdict").textContent()).resolves.toMatch(
      gate.passed ? /^Gate passed/ : /^Gate failed/,
    );
    await shot(page, "run-report-gate");
    // The dark theme passes the same accessibility check (contrast included).
    await page.getByLabel("Theme").selectOption("dark");
    await shot(page, "run-report-gate-dark");
    await page.getByLabel("Theme").selectOption("auto");
    // The link is shareable: a new page on the same URL shows the same verdicts.
    const url = page.url();
    const other = await signedInPage();
    await other.goto(url);
    await other.getByTestId("gate-table").waitFor();
    expect(await column(other, "gate-table", "verdict")).toEqual(
      gate.rules.map((r) => (r.passed ? "holds" : "violated")),
    );
    await expect(other.getByTestId("gate-rules").inputValue()).resolves.toBe(rules.join("\n"));
    // A rule the API cannot read is refused with its reason, not a crash.
    await other.getByTestId("gate-rules").fill("latency<5");
    await other.getByRole("button", { name: "Check" }).click();
    await expect(other.getByRole("alert").textContent()).resolves.toContain("unknown metric 'latency'");
    await page.close();
    await other.close();
  });

  it("compare: two runs per scenario and action, significant changes highlighted, both runs in the URL", async () => {
    const page = await signedInPage();
    await page.goto(`${server.url}/runs/run_real_001`);
    await page.getByTestId("compare-link").click();
    await page.waitForURL((u) => u.pathname === "/compare" && u.searchParams.get("b") === "run_real_001");
    await page.getByTestId("compare-a").fill("run_wt_v1");
    await page.getByRole("button", { name: "Compare" }).click();
    await page.waitForURL((u) => u.searchParams.get("a") === "run_wt_v1" && u.searchParams.get("b") === "run_real_001");
    const c = await api.runs.compare.query({ run_a: "run_wt_v1", run_b: "run_real_001" });
    await page.getByTestId("compare-scenarios").waitFor();
    const classOf = (v: string) =>
      v === "regression" ? "changed-regression" : v === "improvement" ? "changed-improvement" : "";
    for (const [table, groups] of [
      ["compare-run", [c.run]],
      ["compare-scenarios", c.scenarios],
      ["compare-actions", c.actions],
    ] as const) {
      expect(await column(page, table, "key")).toEqual(groups.map((g) => g.key));
      expect(await column(page, table, "verdict")).toEqual(groups.map((g) => g.verdict));
      expect(await column(page, table, "b_n")).toEqual(groups.map((g) => fmt(g.b.n)));
      expect(
        await page
          .getByTestId(table)
          .locator("tbody tr")
          .evaluateAll((rows) => rows.map((r) => r.className)),
      ).toEqual(groups.map((g) => classOf(g.verdict)));
    }
    await expect(page.getByTestId("compare-verdict").textContent()).resolves.toBe(
      `${c.regressions.length} significant regression(s), ${c.improvements.length} improvement(s)`,
    );
    expect(await column(page, "compare-errors", "category")).toEqual(c.errors.map((e) => e.category));
    await shot(page, "compare");
    await page.goto(`${server.url}/compare?a=run_wt_v1&b=no-such-run`);
    await page.getByRole("alert").waitFor();
    await page.close();
  });

  it("instance page: reached from the run's instance table, its steps in order as a waterfall, each observation and its assertions", async () => {
    const runId = "seed-run-001";
    const page = await signedInPage();
    await page.goto(`${server.url}/runs/${runId}?status=fail`);
    const first = page.getByTestId("instances-table").locator('td[data-col="id"] a').first();
    const instanceId = (await first.textContent()) ?? "";
    await first.click();
    await page.waitForURL(`${server.url}/runs/${runId}/instances/${instanceId}`);
    const t = await api.runs.instances.get.query({ run_id: runId, instance_id: instanceId });
    await expect(page.getByTestId("instance-id").textContent()).resolves.toBe(instanceId);
    await expect(page.getByTestId("instance-status").textContent()).resolves.toBe(t.instance.status);
    await expect
      .poll(() =>
        page.getByTestId("waterfall-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-action"))),
      )
      .toEqual(t.steps.map((s) => s.action_name));
    expect(await page.getByTestId("step-name").allTextContents()).toEqual(
      t.steps.map((s) => `${s.step_index}. ${s.action_name}`),
    );
    expect(await page.getByTestId("step-status").allTextContents()).toEqual(
      t.steps.map((s) => String(s.status_code ?? (s.ok === false ? "not ok" : "ok"))),
    );
    const failing = t.steps.findIndex((s) => s.ok === false);
    expect(failing).toBeGreaterThanOrEqual(0);
    const step = page.getByTestId(`step-${failing}`);
    await step.locator("summary").click();
    const errors = (t.steps[failing]?.observation.errors ?? []) as unknown[];
    await step.getByText("Errors").waitFor();
    await expect(step.locator("pre").first().textContent()).resolves.toBe(JSON.stringify(errors, null, 2));
    expect(await column(page, "assertions-table", "name")).toEqual(t.assertions.map((a) => a.assertion_name));
    expect(await column(page, "assertions-table", "passed")).toEqual(
      t.assertions.map((a) => (a.passed ? "pass" : "fail")),
    );
    await shot(page, "instance");
    // A real turbulence instance: attempts recorded by the runner are shown when the step is opened.
    const real = await api.runs.instances.query.query({ run_id: "run_real_001", limit: 1 });
    const realId = real.items[0]?.id ?? "";
    const rt = await api.runs.instances.get.query({ run_id: "run_real_001", instance_id: realId });
    await page.goto(`${server.url}/runs/run_real_001/instances/${realId}`);
    await expect.poll(() => page.getByTestId("waterfall-row").count()).toBe(rt.steps.length);
    await page.getByTestId("step-0").locator("summary").click();
    await page.getByTestId("step-0").getByText("Attempts").waitFor();
    await page.close();
  });

  it("IVR: executions and one execution's steps", async () => {
    const executions = await api.ivr.executions.list.query({ limit: 50 });
    const page = await signedInPage();
    await page.goto(`${server.url}/ivr/executions`);
    await page.getByTestId("executions-table").waitFor();
    expect(await column(page, "executions-table", "id")).toEqual(executions.items.map((e) => String(e.execution_id)));
    await shot(page, "ivr-executions");
    const failedOne = executions.items.find((e) => e.final_result === "fail") ?? executions.items[0];
    const id = String(failedOne?.execution_id ?? "");
    const steps = await api.ivr.steps.list.query({ execution_id: id });
    await page.goto(`${server.url}/ivr/executions/${id}`);
    await expect(page.getByTestId("execution-id").textContent()).resolves.toBe(id);
    await page.getByTestId("steps-table").waitFor();
    expect(await column(page, "steps-table", "n")).toEqual(steps.map((s) => String(s.step_number)));
    expect(await column(page, "steps-table", "actual")).toEqual(steps.map((s) => s.actual_intent ?? "–"));
    await shot(page, "ivr-execution");
    await page.close();
  });

  it("IVR scenarios: each scenario's steps as a flow, in order, and the name filter in the URL", async () => {
    const list = await api.ivr.scenarios.list.query({ limit: 50 });
    expect(list.items.length).toBeGreaterThan(0);
    const page = await signedInPage();
    await page.goto(`${server.url}/ivr/scenarios`);
    await page.getByTestId("scenario").first().waitFor();
    expect(await page.getByTestId("scenario").evaluateAll((els) => els.map((e) => e.getAttribute("data-id")))).toEqual(
      list.items.map((s) => String(s.scenario_id)),
    );
    for (const sc of list.items) {
      const kinds = await page
        .locator(`[data-testid="scenario"][data-id="${sc.scenario_id}"] [data-testid="flow-step"]`)
        .evaluateAll((els) => els.map((e) => e.getAttribute("data-kind")));
      expect(kinds).toEqual(sc.steps.map((st) => st.type));
    }
    await shot(page, "ivr-scenarios");
    const one = list.items[0];
    const word = one?.name.split(" ")[0] ?? "";
    await page.getByTestId("filter-name").fill(word);
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL((u) => u.searchParams.get("q") === word);
    const filtered = await api.ivr.scenarios.list.query({ limit: 50, name_contains: word });
    await expect
      .poll(() => page.getByTestId("scenario").evaluateAll((els) => els.map((e) => e.getAttribute("data-id"))))
      .toEqual(filtered.items.map((s) => String(s.scenario_id)));
    await page.close();
  });

  it("training: filter by intent and status in the URL; a read token sees no write buttons, a write token validates several at once", async () => {
    const all = await api.ivr.training.list.query({ limit: 100 });
    const intent = all.items[0]?.intent_label ?? "";
    const reader = await signedInPage();
    await reader.goto(`${server.url}/ivr/training`);
    await reader.getByTestId("training-table").waitFor();
    expect(await column(reader, "training-table", "id")).toEqual(all.items.map((s) => String(s.training_id)));
    expect(await reader.getByRole("button", { name: "Validate selected" }).count()).toBe(0);
    expect(await reader.locator('input[type="checkbox"]').count()).toBe(0);
    await reader.getByTestId("filter-intent").fill(intent);
    await reader.getByTestId("filter-status").selectOption("pending");
    await reader.getByRole("button", { name: "Filter" }).click();
    await reader.waitForURL(
      (u) => u.searchParams.get("intent") === intent && u.searchParams.get("status") === "pending",
    );
    const pending = await api.ivr.training.list.query({
      limit: 100,
      intent_label: intent,
      validation_status: "pending",
    });
    await expect
      .poll(() => column(reader, "training-table", "id"))
      .toEqual(pending.items.map((s) => String(s.training_id)));
    await reader.close();

    const writer = await signedInPage(writeToken);
    await writer.goto(`${server.url}/ivr/training?status=pending`);
    await writer.getByTestId("training-table").waitFor();
    const before = await api.ivr.training.list.query({ limit: 100, validation_status: "pending" });
    const chosen = before.items.slice(0, 2).map((s) => String(s.training_id));
    expect(chosen.length).toBe(2);
    for (const id of chosen) await writer.getByRole("checkbox", { name: `Select ${id}` }).check();
    await expect(writer.getByTestId("selected-count").textContent()).resolves.toBe("2 selected");
    await shot(writer, "ivr-training");
    await writer.getByRole("button", { name: "Validate selected" }).click();
    await expect
      .poll(() => column(writer, "training-table", "id"), { timeout: 15_000 })
      .toEqual(before.items.filter((s) => !chosen.includes(String(s.training_id))).map((s) => String(s.training_id)));
    const after = await api.ivr.training.list.query({ limit: 100, validation_status: "pending" });
    expect(after.items.map((s) => String(s.training_id))).toEqual(
      before.items.filter((s) => !chosen.includes(String(s.training_id))).map((s) => String(s.training_id)),
    );
    const validated = await api.ivr.training.list.query({ limit: 100, validation_status: "validated" });
    for (const id of chosen) expect(validated.items.map((s) => String(s.training_id))).toContain(id);
    await writer.close();
  });

  it("benchmarks: the runs and a metric's trend chosen in the URL", async () => {
    const list = await api.metrics.list.query({ limit: 100 });
    const trend = await api.metrics.trend.query({ metric: "token_usage_total", last: 50 });
    const page = await signedInPage();
    await page.goto(`${server.url}/benchmarks?metric=token_usage_total`);
    await page.getByTestId("benchmarks-table").waitFor();
    expect(await column(page, "benchmarks-table", "run")).toEqual(list.items.map((r) => r.run_id));
    await expect(page.getByTestId("trend-verdict").textContent()).resolves.toContain(
      `token_usage_total: ${trend.verdict} over ${trend.points.length} runs`,
    );
    await page.getByTestId("chart-trend").locator("canvas").waitFor();
    await page.close();
  });

  it("benchmarks: a chart per metric with the regressions stored by metrics check marked, and listed", async () => {
    const writer = createVerdictClient({ url: server.url, token: writeToken });
    const tokens = [100_000, 102_000, 98_000, 101_000, 180_000];
    for (const [i, t] of tokens.entries())
      await writer.metrics.record.mutate({
        run_id: `web-bench-${i + 1}`,
        timestamp: `2026-11-2${i}T10:00:00Z`,
        project_name: "web-proj",
        benchmark_name: "crud",
        performance: { token_usage_total: t, total_time_seconds: 600 + i },
      });
    const check = await writer.metrics.check.mutate({
      run_id: "web-bench-5",
      rules: [{ metric: "token_usage_total", test: "percent", max_percent: 20 }],
    });
    expect(check.results.map((r) => r.status)).toEqual(["regression"]);
    const alerts = await api.metrics.alerts.query({ project_name: "web-proj", limit: 1000 });
    expect(alerts.items.length).toBe(1);
    const page = await signedInPage();
    await page.goto(`${server.url}/benchmarks?project=web-proj&metric=token_usage_total`);
    await page.getByTestId("alerts-table").waitFor();
    expect(await column(page, "alerts-table", "run")).toEqual(alerts.items.map((a) => a.run_id));
    expect(await column(page, "alerts-table", "metric")).toEqual(alerts.items.map((a) => a.metric));
    expect(await column(page, "alerts-table", "value")).toEqual(alerts.items.map((a) => fmt(a.value)));
    // A chart for each metric that has values; the regressed one says so and marks it in the fail colour.
    await page.getByTestId("chart-token_usage_total").locator("canvas").waitFor();
    await page.getByTestId("chart-total_time_seconds").locator("canvas").waitFor();
    await expect(page.getByTestId("regressions-token_usage_total").textContent()).resolves.toContain("1 regression");
    expect(await page.getByTestId("regressions-total_time_seconds").count()).toBe(0);
    const fail = await page.getByTestId("chart-trend").evaluate((el) => {
      const probe = document.createElement("span");
      probe.style.color = "var(--fail)";
      el.appendChild(probe);
      const c = getComputedStyle(probe).color;
      probe.remove();
      return c;
    });
    await expect.poll(() => inkPixels(page, "chart-trend", fail)).toBeGreaterThan(20);
    await expect.poll(() => inkPixels(page, "chart-total_time_seconds", fail)).toBe(0);
    await shot(page, "benchmarks");
    await page.close();
  });

  it("flaky scenarios: the system under test and the window in the URL, the API's answer in the table", async () => {
    const runs = await api.runs.list.query({ limit: 50 });
    const sut = runs.items[0]?.sut_name ?? "";
    const flaky = await api.runs.flaky.query({ sut_name: sut, last: 5 });
    const page = await signedInPage();
    await page.goto(`${server.url}/flaky`);
    await page.getByTestId("flaky-sut").selectOption(sut);
    await page.getByTestId("flaky-last").selectOption("5");
    await page.waitForURL((u) => u.searchParams.get("sut") === sut && u.searchParams.get("last") === "5");
    await expect(page.getByTestId("flaky-window").textContent()).resolves.toBe(`${sut}: ${flaky.runs.length} runs`);
    if (flaky.scenarios.length > 0) {
      expect(await column(page, "flaky-table", "scenario")).toEqual(flaky.scenarios.map((f) => f.scenario_id));
      expect(await column(page, "flaky-table", "history")).toEqual(flaky.scenarios.map((f) => f.history));
    } else {
      await page.getByText("No scenario both passed and failed in these runs.").waitFor();
    }
    await shot(page, "flaky");
    await page.close();
  });
});

describe("theme and content security policy", () => {
  it("charts draw their axis labels in the theme's text colour, and redraw when the theme changes", async () => {
    const page = await signedInPage();
    await page.goto(`${server.url}/runs/run_real_001`);
    const chart = page.getByTestId("chart-services");
    await chart.locator("canvas").waitFor();
    for (const theme of ["dark", "light", "dark"]) {
      await page.getByLabel("Theme").selectOption(theme);
      const text = await chart.evaluate((el) => getComputedStyle(el).color);
      // The axis labels and values are drawn on the canvas in that colour (canvas cannot use currentColor).
      await expect
        .poll(() => inkPixels(page, "chart-services", text), { message: `${theme}: ${text}` })
        .toBeGreaterThan(100);
    }
    await page.close();
  });

  it("the dashboard is served with a strict content security policy that none of its pages violate", async () => {
    for (const path of ["/", "/runs/run_real_001", "/signin"]) {
      const res = await fetch(`${server.url}${path}`);
      const csp = res.headers.get("content-security-policy") ?? "";
      const directives = new Map(
        csp.split(";").map((d) => {
          const [name = "", ...values] = d.trim().split(/\s+/);
          return [name, values.join(" ")] as const;
        }),
      );
      expect(directives.get("default-src"), path).toBe("'self'");
      expect(directives.get("script-src"), path).toBe("'self'");
      expect(directives.get("style-src"), path).toBe("'self'");
      expect(directives.get("connect-src"), path).toBe("'self'");
      expect(directives.get("img-src"), path).toBe("'self' data:");
      expect(directives.get("object-src"), path).toBe("'none'");
      expect(directives.get("frame-ancestors"), path).toBe("'none'");
      expect(directives.get("base-uri"), path).toBe("'none'");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
    const page = await signedInPage();
    const violations: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) => {
        console.error(`Content Security Policy: ${e.violatedDirective} blocked ${e.blockedURI}`);
      });
    });
    await page.goto(`${server.url}/runs/run_real_001`);
    await page.getByTestId("chart-services").locator("canvas").waitFor();
    await page.getByLabel("Theme").selectOption("dark");
    await page.goto(`${server.url}/queue`);
    await expect.poll(() => page.getByTestId("live-status").textContent()).toBe("live");
    await page.goto(`${server.url}/benchmarks`);
    await page.locator("h1").waitFor();
    expect(violations).toEqual([]);
    await page.close();
  });
});

describe("narrow and wide screens, keyboard", () => {
  const pages = [
    "/runs",
    "/runs/run_real_001",
    "/compare?a=run_wt_v1&b=run_real_001",
    "/flaky",
    "/ivr/executions",
    "/ivr/scenarios",
    "/ivr/training",
    "/benchmarks",
    "/queue",
  ];
  const nav = ["Runs", "Compare", "Flaky", "IVR executions", "Scenarios", "Training", "Benchmarks", "Queue"];

  for (const width of [375, 1280]) {
    it(`at ${width} px no page scrolls sideways and every nav link is on screen`, async () => {
      const page = await newPage(browser, { width, height: 800 });
      await page.goto(`${server.url}/signin`);
      await page.getByTestId("token-input").fill(readToken);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(`${server.url}/runs`);
      const instance = (await api.runs.instances.query.query({ run_id: "run_real_001", limit: 1 })).items[0]?.id;
      const execution = (await api.ivr.executions.list.query({ limit: 1 })).items[0]?.execution_id;
      for (const path of [...pages, `/runs/run_real_001/instances/${instance}`, `/ivr/executions/${execution}`]) {
        await page.goto(`${server.url}${path}`);
        await page.locator("main h1").first().waitFor();
        await page.waitForLoadState("networkidle").catch(() => undefined);
        const { scrollWidth, clientWidth } = await page.evaluate(() => ({
          scrollWidth: document.documentElement.scrollWidth,
          clientWidth: document.documentElement.clientWidth,
        }));
        expect(scrollWidth, `${path} at ${width} px`).toBeLessThanOrEqual(clientWidth);
        for (const name of nav) {
          const box = await page
            .getByRole("navigation", { name: "Sections" })
            .getByRole("link", { name, exact: true })
            .boundingBox();
          expect(box, `${name} on ${path}`).not.toBeNull();
          expect((box?.x ?? -1) >= 0 && (box?.x ?? 0) + (box?.width ?? 0) <= width, `${name} within ${width} px`).toBe(
            true,
          );
        }
      }
      if (width === 375) {
        await page.goto(`${server.url}/runs/run_real_001`);
        await page.getByTestId("stat-instances").waitFor();
        await shot(page, "run-phone");
      }
      await page.close();
    });
  }

  it("the keyboard reaches the skip link and every section link, and Enter follows them", async () => {
    const page = await signedInPage();
    await page.getByTestId("runs-table").waitFor();
    await page.keyboard.press("Tab");
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe("Skip to content");
    const reached: string[] = [];
    for (let i = 0; i < 15 && reached.length < nav.length; i++) {
      await page.keyboard.press("Tab");
      const text = await page.evaluate(() =>
        document.activeElement?.closest('nav[aria-label="Sections"]') ? document.activeElement.textContent : null,
      );
      if (text) reached.push(text);
    }
    expect(reached).toEqual(nav);
    // Focus is on the last section link (Queue): Enter follows it; Shift+Tab walks back to Benchmarks.
    await page.keyboard.press("Shift+Tab");
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe("Benchmarks");
    await page.keyboard.press("Enter");
    await page.waitForURL((u) => u.pathname === "/benchmarks");
    // On a fresh load the skip link moves the keyboard past the header: the next Tab lands in the page's content.
    await page.goto(`${server.url}/runs`);
    await page.getByTestId("runs-table").waitFor();
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.waitForURL((u) => u.hash === "#main");
    await page.keyboard.press("Tab");
    await expect(page.evaluate(() => document.activeElement?.closest("main") !== null)).resolves.toBe(true);
    await page.close();
  });
});
