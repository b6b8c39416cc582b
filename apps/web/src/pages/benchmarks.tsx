import { useQuery } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { SCALAR_METRICS, type ScalarMetricName } from "@verdict/schema";
import { Chart, type Column, ErrorBox, Loading, Table } from "../components.js";
import { num, when } from "../format.js";
import { benchmarksRoute } from "../router.js";
import { type RouterOutputs, useTRPC } from "../trpc.js";

type BenchmarkRun = RouterOutputs["metrics"]["list"]["items"][number];
type Alert = RouterOutputs["metrics"]["alerts"]["items"][number];
type Trend = RouterOutputs["metrics"]["trend"];
const METRICS = Object.keys(SCALAR_METRICS) as ScalarMetricName[];
const isMetric = (m: string | undefined): m is ScalarMetricName => m !== undefined && (METRICS as string[]).includes(m);

const columns: Column<BenchmarkRun>[] = [
  { key: "run", header: "Run", cell: (r) => r.run_id },
  { key: "project", header: "Project", cell: (r) => r.project_name },
  { key: "benchmark", header: "Benchmark", cell: (r) => r.benchmark_name },
  { key: "time", header: "When", cell: (r) => when(r.timestamp) },
  { key: "total", header: "Total time (s)", cell: (r) => num(r.performance.total_time_seconds), numeric: true },
  { key: "tokens", header: "Tokens", cell: (r) => num(r.performance.token_usage_total), numeric: true },
  { key: "tests", header: "Tests passing", cell: (r) => num(r.quality.tests_passing), numeric: true },
  { key: "coverage", header: "Coverage %", cell: (r) => num(r.quality.code_coverage_percentage), numeric: true },
];

const alertColumns: Column<Alert>[] = [
  { key: "run", header: "Run", cell: (a) => a.run_id },
  { key: "metric", header: "Metric", cell: (a) => a.metric },
  { key: "when", header: "When", cell: (a) => when(a.timestamp) },
  { key: "test", header: "Test", cell: (a) => a.test },
  { key: "value", header: "Value", cell: (a) => num(a.value), numeric: true },
  { key: "baseline", header: "Baseline mean", cell: (a) => num(a.baseline_mean), numeric: true },
  { key: "p", header: "p-value", cell: (a) => num(a.p_value), numeric: true },
  { key: "reason", header: "Why", cell: (a) => a.reason },
];

/** The trend's values at the runs that have a stored regression alert for its metric (null elsewhere). */
function regressionMarks(trend: Trend, alerts: readonly Alert[]): { label: string; values: (number | null)[] } {
  const flagged = new Set(alerts.filter((a) => a.metric === trend.metric).map((a) => a.run_id));
  return { label: "regression", values: trend.points.map((p) => (flagged.has(p.run_id) ? p.value : null)) };
}

/** One metric's trend as a small chart, its regressions marked; nothing when the metric has no values. */
function MetricChart(props: { metric: ScalarMetricName; project: string | undefined; alerts: readonly Alert[] }) {
  const trpc = useTRPC();
  const trend = useQuery(
    trpc.metrics.trend.queryOptions({
      metric: props.metric,
      last: 50,
      ...(props.project ? { project_name: props.project } : {}),
    }),
  );
  const t = trend.data;
  if (!t || t.points.length === 0) return null;
  const flagged = props.alerts.filter((a) => a.metric === props.metric).length;
  return (
    <figure className="metric-chart" data-testid={`metric-${props.metric}`}>
      <figcaption>
        {props.metric}: <strong>{t.verdict}</strong>
        {flagged > 0 ? (
          <span className="badge fail" data-testid={`regressions-${props.metric}`}>
            {" "}
            {flagged} regression{flagged === 1 ? "" : "s"}
          </span>
        ) : null}
      </figcaption>
      <Chart
        title={`${props.metric} per run`}
        testId={`chart-${props.metric}`}
        time
        x={t.points.map((p) => Date.parse(p.timestamp) / 1000)}
        series={[{ label: props.metric, values: t.points.map((p) => p.value) }]}
        marks={regressionMarks(t, props.alerts)}
      />
    </figure>
  );
}

/**
 * Benchmark runs (gao-dev's metrics) by project; the chosen metric's trend, a chart per metric, and the
 * regressions stored by `metrics check` (metrics.alerts) marked on them and listed.
 */
export function BenchmarksPage() {
  const search = benchmarksRoute.useSearch();
  const navigate = useNavigate({ from: "/benchmarks" });
  const metric: ScalarMetricName = isMetric(search.metric) ? search.metric : "total_time_seconds";
  const trpc = useTRPC();
  const runs = useQuery(
    trpc.metrics.list.queryOptions({ limit: 100, ...(search.project ? { project_name: search.project } : {}) }),
  );
  const trend = useQuery(
    trpc.metrics.trend.queryOptions({ metric, last: 50, ...(search.project ? { project_name: search.project } : {}) }),
  );
  const points = trend.data?.points ?? [];
  const alerts = useQuery(
    trpc.metrics.alerts.queryOptions({ limit: 1000, ...(search.project ? { project_name: search.project } : {}) }),
  );
  const alertItems = alerts.data?.items ?? [];
  return (
    <section>
      <h1>Benchmarks</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Project
          <input
            defaultValue={search.project ?? ""}
            data-testid="filter-project"
            onKeyDown={(e) => {
              if (e.key === "Enter") {
                const v = e.currentTarget.value.trim();
                void navigate({ search: { ...search, project: v === "" ? undefined : v } });
              }
            }}
          />
        </label>
        <label>
          Metric
          <select
            value={metric}
            data-testid="metric-select"
            onChange={(e) => void navigate({ search: { ...search, metric: e.target.value } })}
          >
            {METRICS.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
      </form>
      {trend.error ? <ErrorBox error={trend.error} /> : null}
      {trend.data ? (
        <>
          <p data-testid="trend-verdict">
            {metric}: <strong>{trend.data.verdict}</strong> over {points.length} runs (
            {trend.data.lower_is_better ? "lower" : "higher"} is better)
          </p>
          {points.length > 0 ? (
            <Chart
              title={`${metric} per run`}
              testId="chart-trend"
              time
              x={points.map((p) => Date.parse(p.timestamp) / 1000)}
              series={[{ label: metric, values: points.map((p) => p.value) }]}
              marks={regressionMarks(trend.data, alertItems)}
            />
          ) : null}
        </>
      ) : null}
      <h2>Regressions</h2>
      {alerts.error ? <ErrorBox error={alerts.error} /> : null}
      {alerts.data ? (
        <Table
          rows={alertItems}
          columns={alertColumns}
          rowKey={(a) => a.alert_id}
          testId="alerts-table"
          empty="No regression stored (verdict metrics check stores them)."
        />
      ) : null}
      <h2>Every metric</h2>
      <div className="metric-grid">
        {METRICS.map((m) => (
          <MetricChart key={m} metric={m} project={search.project} alerts={alertItems} />
        ))}
      </div>
      <h2>Runs</h2>
      {runs.isPending ? <Loading what="benchmark runs" /> : null}
      {runs.error ? <ErrorBox error={runs.error} /> : null}
      {runs.data ? (
        <Table rows={runs.data.items} columns={columns} rowKey={(r) => r.run_id} testId="benchmarks-table" />
      ) : null}
    </section>
  );
}
