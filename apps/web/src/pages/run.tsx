import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { useState } from "react";
import { Chart, type Column, ErrorBox, Loading, Stat, Table } from "../components.js";
import { ms, num, pct, when } from "../format.js";
import { useInView } from "../in-view.js";
import { runRoute } from "../router.js";
import { type RouterOutputs, useTRPC } from "../trpc.js";
import { InstanceTable } from "./instance-table.js";
import { RunGate, RunReport } from "./run-report.js";

type Summary = RouterOutputs["runs"]["summary"];
type Scenario = Summary["by_scenario"][number];
type Service = Summary["by_service"][number];
type Action = Summary["by_action"][number];
type Failure = RouterOutputs["runs"]["failures"][number];

const scenarioColumns: Column<Scenario>[] = [
  { key: "scenario", header: "Scenario", cell: (s) => s.scenario_id },
  { key: "instances", header: "Instances", cell: (s) => num(s.instances), numeric: true },
  { key: "fail", header: "Failed", cell: (s) => num(s.fail), numeric: true },
  { key: "error", header: "Errors", cell: (s) => num(s.error), numeric: true },
  { key: "pass_rate", header: "Pass rate", cell: (s) => pct(s.pass_rate), numeric: true },
  { key: "p50", header: "p50", cell: (s) => ms(s.duration_ms.p50), numeric: true },
  { key: "p95", header: "p95", cell: (s) => ms(s.duration_ms.p95), numeric: true },
];

const latencyColumns = <T extends { steps: number; latency_ms: Summary["steps"]["latency_ms"] }>(
  key: string,
  header: string,
  name: (row: T) => string,
): Column<T>[] => [
  { key, header, cell: name },
  { key: "steps", header: "Steps", cell: (r) => num(r.steps), numeric: true },
  { key: "p50", header: "p50", cell: (r) => ms(r.latency_ms.p50), numeric: true },
  { key: "p95", header: "p95", cell: (r) => ms(r.latency_ms.p95), numeric: true },
  { key: "p99", header: "p99", cell: (r) => ms(r.latency_ms.p99), numeric: true },
  { key: "max", header: "max", cell: (r) => ms(r.latency_ms.max), numeric: true },
];

const failureColumns: Column<Failure>[] = [
  { key: "kind", header: "Kind", cell: (f) => f.kind },
  { key: "pattern", header: "Pattern", cell: (f) => <code>{f.pattern}</code> },
  { key: "count", header: "Count", cell: (f) => num(f.count), numeric: true },
  { key: "scenarios", header: "Scenarios", cell: (f) => f.scenarios.join(", ") },
  { key: "example", header: "Example instance", cell: (f) => f.example_instance_id },
];

/**
 * Failure patterns group every failed row of the run (a second or more on a million instances): they
 * are asked for only when the reader scrolls to them or asks, so they never hold up the rest of the page.
 */
function RunFailures(props: { runId: string }) {
  const trpc = useTRPC();
  const [ref, inView] = useInView<HTMLDivElement>();
  const [asked, setAsked] = useState(false);
  const failures = useQuery({
    ...trpc.runs.failures.queryOptions({ run_id: props.runId, top: 10 }),
    enabled: inView || asked,
  });
  return (
    <>
      <h2>Failures</h2>
      <div ref={ref} data-testid="failures-section">
        {failures.data ? (
          <Table
            rows={failures.data}
            columns={failureColumns}
            rowKey={(f) => `${f.kind}:${f.pattern}`}
            testId="failures-table"
            empty="No failures."
          />
        ) : failures.error ? (
          <ErrorBox error={failures.error} />
        ) : inView || asked ? (
          <Loading what="failures" />
        ) : (
          <button type="button" onClick={() => setAsked(true)} data-testid="failures-load">
            Show failure patterns
          </button>
        )}
      </div>
    </>
  );
}

/** One run: headline numbers, latency per scenario, action and service, failures, and its instances. */
export function RunPage() {
  const { runId } = runRoute.useParams();
  const search = runRoute.useSearch();
  const trpc = useTRPC();
  const summary = useQuery(trpc.runs.summary.queryOptions({ run_id: runId }));
  if (summary.isPending) return <Loading what={`run ${runId}`} />;
  if (summary.error) return <ErrorBox error={summary.error} />;
  const s = summary.data;
  const services = s.by_service;
  return (
    <section>
      <p>
        <Link to="/runs">← Runs</Link>
      </p>
      <h1>
        Run <span data-testid="run-id">{s.run.id}</span>
      </h1>
      <p className="muted">
        {s.run.sut_name} · started {when(s.run.started_at)} · completed {when(s.run.completed_at)} ·{" "}
        <Link to="/compare" search={{ b: runId }} data-testid="compare-link">
          compare with another run
        </Link>
      </p>
      <div className="stats">
        <Stat label="Instances" value={num(s.instances.instances)} testId="stat-instances" />
        <Stat label="Passed" value={num(s.instances.pass)} testId="stat-pass" />
        <Stat label="Failed" value={num(s.instances.fail)} testId="stat-fail" />
        <Stat label="Errors" value={num(s.instances.error)} testId="stat-error" />
        <Stat label="Pass rate" value={pct(s.instances.pass_rate)} testId="stat-pass-rate" />
        <Stat label="Steps" value={num(s.steps.total)} testId="stat-steps" />
        <Stat label="Step p50" value={ms(s.steps.latency_ms.p50)} testId="stat-p50" />
        <Stat label="Step p95" value={ms(s.steps.latency_ms.p95)} testId="stat-p95" />
        <Stat label="Step p99" value={ms(s.steps.latency_ms.p99)} testId="stat-p99" />
      </div>
      {services.length > 0 ? (
        <Chart
          title="Step latency by service (ms)"
          testId="chart-services"
          groups={services.map((v) => v.service ?? "(none)")}
          series={[
            { label: "p50", values: services.map((v) => v.latency_ms.p50) },
            { label: "p95", values: services.map((v) => v.latency_ms.p95) },
            { label: "p99", values: services.map((v) => v.latency_ms.p99) },
          ]}
        />
      ) : null}
      <h2>Scenarios</h2>
      <Table rows={s.by_scenario} columns={scenarioColumns} rowKey={(r) => r.scenario_id} testId="scenarios-table" />
      <h2>Services</h2>
      <Table
        rows={services}
        columns={latencyColumns<Service>("service", "Service", (r) => r.service ?? "(none)")}
        rowKey={(r) => r.service ?? ""}
        testId="services-table"
      />
      <h2>Actions</h2>
      <Table
        rows={s.by_action}
        columns={latencyColumns<Action>("action", "Action", (r) => r.action_name)}
        rowKey={(r) => r.action_name}
        testId="actions-table"
      />
      <RunFailures runId={runId} />
      <RunReport runId={runId} />
      <RunGate runId={runId} failOn={search.fail_on} />
      <h2>Instances</h2>
      <nav className="filters" aria-label="Instance status">
        {([undefined, "pass", "fail"] as const).map((st) => (
          <Link
            key={st ?? "all"}
            to="/runs/$runId"
            params={{ runId }}
            search={{ status: st }}
            aria-current={search.status === st ? "true" : undefined}
            data-testid={`status-${st ?? "all"}`}
          >
            {st ?? "all"}
          </Link>
        ))}
      </nav>
      <InstanceTable runId={runId} status={search.status} />
    </section>
  );
}
