import { useQuery } from "@tanstack/react-query";
import { Link, useNavigate } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import { type Column, ErrorBox, Loading, Table } from "../components.js";
import { ms, num } from "../format.js";
import { type RouterOutputs, useTRPC } from "../trpc.js";

type ActionRow = RouterOutputs["runs"]["actions"][number]["actions"][number] & { scenario_id: string };
type Category = RouterOutputs["runs"]["errors"][number];
type Check = RouterOutputs["runs"]["gate"]["rules"][number];

const actionColumns: Column<ActionRow>[] = [
  { key: "scenario", header: "Scenario", cell: (r) => r.scenario_id },
  { key: "action", header: "Action", cell: (r) => r.action_name },
  { key: "count", header: "Steps", cell: (r) => num(r.count), numeric: true },
  { key: "fail", header: "Not ok", cell: (r) => num(r.fail_count), numeric: true },
  { key: "mean", header: "Mean", cell: (r) => ms(r.mean_latency_ms), numeric: true },
  { key: "p50", header: "p50", cell: (r) => ms(r.p50_latency_ms), numeric: true },
  { key: "p95", header: "p95", cell: (r) => ms(r.p95_latency_ms), numeric: true },
  { key: "p99", header: "p99", cell: (r) => ms(r.p99_latency_ms), numeric: true },
];

const categoryColumns = (runId: string): Column<Category>[] => [
  { key: "category", header: "Category", cell: (c) => c.category },
  { key: "count", header: "Count", cell: (c) => num(c.count), numeric: true },
  {
    key: "examples",
    header: "Example instances",
    cell: (c) => (
      <span className="list">
        {c.example_instance_ids.map((id) => (
          <Link key={id} to="/runs/$runId/instances/$instanceId" params={{ runId, instanceId: id }}>
            {id}
          </Link>
        ))}
      </span>
    ),
  },
];

const checkColumns: Column<Check>[] = [
  { key: "expr", header: "Rule", cell: (c) => <code>{c.expr}</code> },
  { key: "actual", header: "Actual", cell: (c) => num(c.actual), numeric: true },
  {
    key: "verdict",
    header: "Verdict",
    cell: (c) => <span className={`badge ${c.passed ? "pass" : "fail"}`}>{c.passed ? "holds" : "violated"}</span>,
  },
  { key: "message", header: "Detail", cell: (c) => c.message },
];

/**
 * Turbulence's report questions for a run: per scenario × action, and the error categories (the
 * report's own procedures, runs.actions and runs.errors, which read the run's stored statistics;
 * runs.report would also group the failed assertions, which the page does not show).
 */
export function RunReport(props: { runId: string }) {
  const trpc = useTRPC();
  const actions = useQuery(trpc.runs.actions.queryOptions({ run_id: props.runId }));
  const errors = useQuery(trpc.runs.errors.queryOptions({ run_id: props.runId }));
  if (actions.isPending || errors.isPending) return <Loading what="the report" />;
  if (actions.error || errors.error) return <ErrorBox error={actions.error ?? errors.error} />;
  const rows: ActionRow[] = actions.data.flatMap((s) => s.actions.map((a) => ({ ...a, scenario_id: s.scenario_id })));
  return (
    <>
      <h2>Scenario × action</h2>
      <Table
        rows={rows}
        columns={actionColumns}
        rowKey={(r) => `${r.scenario_id}\u0000${r.action_name}`}
        testId="scenario-actions-table"
      />
      <h2>Error categories</h2>
      <Table
        rows={errors.data}
        columns={categoryColumns(props.runId)}
        rowKey={(c) => c.category}
        testId="error-categories-table"
        empty="No errors."
      />
    </>
  );
}

/** The gate: `--fail-on` rules (one a line) kept in the URL, each rule's verdict from `runs.gate`. */
export function RunGate(props: { runId: string; failOn: string[] | undefined }) {
  const trpc = useTRPC();
  const navigate = useNavigate({ from: "/runs/$runId" });
  const [text, setText] = useState((props.failOn ?? []).join("\n"));
  const gate = useQuery({
    ...trpc.runs.gate.queryOptions({ run_id: props.runId, fail_on: props.failOn ?? [] }),
    enabled: (props.failOn?.length ?? 0) > 0,
    retry: false,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const rules = text
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.length > 0);
    void navigate({
      to: "/runs/$runId",
      params: { runId: props.runId },
      search: (prev) => ({ ...prev, fail_on: rules.length > 0 ? rules : undefined }),
    });
  };
  return (
    <>
      <h2>Gate</h2>
      <form onSubmit={submit} className="gate-form">
        <label htmlFor="gate-rules">Fail on (one rule a line, e.g. pass_rate&gt;=0.95 or p95_latency_ms&lt;1000)</label>
        <textarea
          id="gate-rules"
          data-testid="gate-rules"
          rows={3}
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <button type="submit">Check</button>
      </form>
      {props.failOn === undefined ? null : gate.isPending ? (
        <Loading what="the gate" />
      ) : gate.error ? (
        <ErrorBox error={gate.error} />
      ) : (
        <>
          <p data-testid="gate-verdict" className={gate.data.passed ? "pass-text" : "fail-text"}>
            {gate.data.passed
              ? `Gate passed: ${gate.data.rules.length} rule(s) hold`
              : `Gate failed: ${gate.data.violations.length} of ${gate.data.rules.length} rule(s) violated`}
          </p>
          <Table rows={gate.data.rules} columns={checkColumns} rowKey={(c) => c.expr} testId="gate-table" />
        </>
      )}
    </>
  );
}
