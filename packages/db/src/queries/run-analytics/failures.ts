/** `runs failures`: a run's failures grouped into patterns, most frequent first. */
import type { VerdictDb } from "../../open.js";
import { requireRun } from "./shared.js";

export interface FailurePattern {
  /** error: an instance's error; assertion: a failed assertion; step: a step whose observation was not ok. */
  kind: "error" | "assertion" | "step";
  /** What failed, with run-specific numbers and ids replaced (`timeout after <n>ms`). */
  pattern: string;
  count: number;
  example_instance_id: string;
  /** One message as it appeared. */
  example: string;
  scenarios: string[];
}

/** Replaces the parts of a message that differ between occurrences of the same failure. */
export function normalizeMessage(text: string): string {
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<uuid>")
    .replace(/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, "<hex>")
    .replace(/\d+(\.\d+)?/g, "<n>")
    .replace(/\s+/g, " ")
    .trim();
}

interface RawFailure {
  kind: FailurePattern["kind"];
  text: string;
  count: number;
  example: string;
  scenarios: string | null;
}

/** Failures of a run grouped into patterns, most frequent first. */
export async function runFailures(h: VerdictDb, runId: string, opts: { top?: number } = {}): Promise<FailurePattern[]> {
  await requireRun(h, runId);
  const top = opts.top ?? 10;
  const raw: RawFailure[] = [];
  const errors = await h.client.execute({
    sql: `SELECT error AS text, count(*) AS n, min(id) AS example, group_concat(DISTINCT scenario_id) AS scenarios
          FROM instances INDEXED BY instances_run_failed_idx WHERE run_id = ? AND status = 'fail' AND error IS NOT NULL
          GROUP BY error`,
    args: [runId],
  });
  for (const r of errors.rows)
    raw.push({
      kind: "error",
      text: String(r.text),
      count: Number(r.n),
      example: String(r.example),
      scenarios: r.scenarios === null ? null : String(r.scenarios),
    });
  const asserts = await h.client.execute({
    sql: `SELECT a.assertion_name || ': ' || coalesce(a.error, 'failed') AS text, count(*) AS n, min(a.instance_id) AS example,
                 group_concat(DISTINCT i.scenario_id) AS scenarios
          FROM assertions a INDEXED BY assertions_run_passed_name_idx
          JOIN instances i ON i.run_id = a.run_id AND i.id = a.instance_id
          WHERE a.run_id = ? AND a.passed = 0 GROUP BY 1`,
    args: [runId],
  });
  for (const r of asserts.rows)
    raw.push({
      kind: "assertion",
      text: String(r.text),
      count: Number(r.n),
      example: String(r.example),
      scenarios: r.scenarios === null ? null : String(r.scenarios),
    });
  const steps = await h.client.execute({
    sql: `SELECT s.action_name || ' -> ' || coalesce(CAST(s.status_code AS TEXT), 'no status')
                 || coalesce(': ' || (s.observation ->> '$.errors[0]'), '') AS text,
                 count(*) AS n, min(s.instance_id) AS example, group_concat(DISTINCT i.scenario_id) AS scenarios
          FROM steps s INDEXED BY steps_run_failed_idx
          JOIN instances i ON i.run_id = s.run_id AND i.id = s.instance_id
          WHERE s.run_id = ? AND s.ok = 0 GROUP BY 1`,
    args: [runId],
  });
  for (const r of steps.rows)
    raw.push({
      kind: "step",
      text: String(r.text),
      count: Number(r.n),
      example: String(r.example),
      scenarios: r.scenarios === null ? null : String(r.scenarios),
    });

  const groups = new Map<string, FailurePattern>();
  for (const f of raw) {
    const pattern = normalizeMessage(f.text);
    const key = `${f.kind}\u0000${pattern}`;
    const g = groups.get(key);
    const scen = f.scenarios ? f.scenarios.split(",") : [];
    if (!g) {
      groups.set(key, {
        kind: f.kind,
        pattern,
        count: f.count,
        example_instance_id: f.example,
        example: f.text,
        scenarios: scen,
      });
    } else {
      g.count += f.count;
      for (const s of scen) if (!g.scenarios.includes(s)) g.scenarios.push(s);
    }
  }
  return [...groups.values()]
    .map((g) => ({ ...g, scenarios: g.scenarios.sort() }))
    .sort((a, b) => b.count - a.count || a.pattern.localeCompare(b.pattern))
    .slice(0, top);
}
