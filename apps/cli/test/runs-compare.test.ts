/**
 * `verdict runs compare` as read by a person: each group's p-values in the table, a `*` on those below
 * alpha, and a regression flagged only when its test is significant (the built CLI, a real libSQL file).
 */
import { join } from "node:path";
import { ensureCliBuilt, runCli, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InstancePlan, currentRun, writeRunFolder } from "../../../packages/db/test/turbulence-fixtures.js";

const dir = tempDir("verdict-cli-compare-");
const db = `file:${dir.file("runs.db")}`;
const cli = (args: string[]) => runCli(["--db", db, ...args], { timeoutMs: 60_000 });

/** 40 instances of "steady" (the same in both runs) and 40 of "checkout" (B: half fail, 10x slower). */
function plans(b: boolean): InstancePlan[] {
  const out: InstancePlan[] = [];
  for (let i = 0; i < 40; i++) {
    out.push({ scenario: "steady", passed: i % 10 !== 0, latencies: [20 + (i % 7), 30 + (i % 5)] });
    out.push({
      scenario: "checkout",
      passed: b ? i % 2 === 0 : true,
      latencies: b ? [200 + i, 300 + i] : [20 + i, 30 + i],
    });
  }
  return out;
}

beforeAll(async () => {
  ensureCliBuilt();
  for (const [id, b, start] of [
    ["base", false, 0],
    ["next", true, 3600],
  ] as const) {
    const src = writeRunFolder(join(dir.path, "src", id), currentRun(id, plans(b), { startSec: start }));
    const r = await runCli(["--db", db, "runs", "import", src], { timeoutMs: 60_000 });
    expect(r.status, r.stderr).toBe(0);
  }
}, 180_000);
afterAll(() => dir.cleanup());

/** The cells of the table row whose first cell is `name`, in the section titled `title`. */
function row(out: string, title: string, name: string): string[] {
  const section = out.slice(out.indexOf(title));
  const line = section.split("\n").find((l) => l.trim().startsWith(`${name} `));
  expect(line, `${title} / ${name}\n${out}`).toBeDefined();
  return (line ?? "").trim().split(/\s{2,}/);
}

describe("runs compare, readable", () => {
  it("shows each group's p-values, marks the significant ones and flags only those", async () => {
    const json = await runCli(["--db", db, "--json", "runs", "compare", "base", "next"], { timeoutMs: 60_000 });
    expect(json.status, json.stderr).toBe(0);
    const c = JSON.parse(json.stdout);
    const checkout = c.scenarios.find((s: { key: string }) => s.key === "checkout");
    const steady = c.scenarios.find((s: { key: string }) => s.key === "steady");
    expect(checkout.verdict).toBe("regression");
    expect(checkout.pass_rate_test.p_value).toBeLessThan(0.05);
    expect(steady.verdict).toBe("no significant change");

    const r = await cli(["runs", "compare", "base", "next"]);
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout;
    const header = row(out, "by scenario", "name");
    expect(header).toEqual([
      "name",
      "n",
      "pass (%)",
      "pass delta (pt)",
      "p_pass",
      "p50 (ms)",
      "p95 delta (ms)",
      "p_latency",
      "verdict",
    ]);
    // the regression comes first, its p-values below alpha carry a *
    const lines = out.slice(out.indexOf("by scenario")).split("\n");
    expect(lines[2]?.trim().startsWith("checkout")).toBe(true);
    const cr = row(out, "by scenario", "checkout");
    const at = (col: string) => cr[header.indexOf(col)] ?? "";
    expect(at("n")).toBe("40 -> 40");
    expect(at("pass (%)")).toBe("100.00 -> 50.00");
    expect(at("pass delta (pt)")).toBe("-50");
    expect(at("p_pass")).toMatch(/^(<0\.001|0\.\d{3})\*$/);
    expect(at("p_latency")).toMatch(/\*$/);
    expect(at("verdict")).toBe("regression");
    // the same numbers as the JSON answer
    expect(at("p_pass")).toBe(
      checkout.pass_rate_test.p_value < 0.001 ? "<0.001*" : `${checkout.pass_rate_test.p_value.toFixed(3)}*`,
    );
    // no change: p-values shown, no *, not flagged
    const sr = row(out, "by scenario", "steady");
    expect(sr[header.indexOf("p_pass")]).toBe(steady.pass_rate_test.p_value.toFixed(3));
    expect(sr[header.indexOf("p_pass")]).not.toContain("*");
    expect(sr[header.indexOf("verdict")]).toBe("no significant change");
    expect(out).toContain("* below alpha 0.05");
    expect(out).toMatch(/regression\s+scenario checkout: pass rate/);
    expect(out).not.toMatch(/regression\s+scenario steady/);
  });
});
