import { useQuery } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { SCALAR_METRICS, type ScalarMetricName } from "@verdict/schema";
import { Chart, type Column, ErrorBox, Loading, Table } from "../components.js";
import { num, when } from "../format.js";
import { benchmarksRoute } from "../router.js";
import { type RouterOutputs, useTRPC } from "../trpc.js";

type BenchmarkRun = RouterOutputs["metrics"]["list"]["items"][number];
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

/** Benchmark runs (gao-dev's metrics) by project, and one metric's trend over the last runs. */
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
            />
          ) : null}
        </>
      ) : null}
      <h2>Runs</h2>
      {runs.isPending ? <Loading what="benchmark runs" /> : null}
      {runs.error ? <ErrorBox error={runs.error} /> : null}
      {runs.data ? (
        <Table rows={runs.data.items} columns={columns} rowKey={(r) => r.run_id} testId="benchmarks-table" />
      ) : null}
    </section>
  );
}
