import { useQuery } from "@tanstack/react-query";
import { Link, useNavigate } from "@tanstack/react-router";
import { type Column, ErrorBox, Loading, Table } from "../components.js";
import { when } from "../format.js";
import { runsRoute } from "../router.js";
import { type RouterOutputs, useTRPC } from "../trpc.js";

type Run = RouterOutputs["runs"]["list"]["items"][number];

const columns: Column<Run>[] = [
  {
    key: "id",
    header: "Run",
    cell: (r) => (
      <Link to="/runs/$runId" params={{ runId: r.id }}>
        {r.id}
      </Link>
    ),
  },
  { key: "sut", header: "System under test", cell: (r) => r.sut_name },
  { key: "started", header: "Started", cell: (r) => when(r.started_at) },
  { key: "completed", header: "Completed", cell: (r) => when(r.completed_at) },
  { key: "scenarios", header: "Scenarios", cell: (r) => r.scenario_ids.join(", "), numeric: false },
];

/** Run data of load-testing tools: newest first, filtered by system under test and dates (all in the URL). */
export function RunsPage() {
  const search = runsRoute.useSearch();
  const navigate = useNavigate({ from: "/runs" });
  const trpc = useTRPC();
  const runs = useQuery(
    trpc.runs.list.queryOptions({
      limit: 50,
      ...(search.sut ? { sut_name: search.sut } : {}),
      ...(search.since ? { since: search.since } : {}),
      ...(search.until ? { until: search.until } : {}),
      ...(search.cursor ? { cursor: search.cursor } : {}),
    }),
  );
  return (
    <section>
      <h1>Runs</h1>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          const value = (k: string) => {
            const v = String(f.get(k) ?? "").trim();
            return v === "" ? undefined : v;
          };
          void navigate({ search: { sut: value("sut"), since: value("since"), until: value("until") } });
        }}
      >
        <label>
          System under test <input name="sut" defaultValue={search.sut ?? ""} data-testid="filter-sut" />
        </label>
        <label>
          Since <input name="since" placeholder="2026-01-01T00:00:00Z" defaultValue={search.since ?? ""} />
        </label>
        <label>
          Until <input name="until" placeholder="2026-12-31T23:59:59Z" defaultValue={search.until ?? ""} />
        </label>
        <button type="submit">Filter</button>
      </form>
      {runs.isPending ? <Loading what="runs" /> : null}
      {runs.error ? <ErrorBox error={runs.error} /> : null}
      {runs.data ? (
        <>
          <Table
            rows={runs.data.items}
            columns={columns}
            rowKey={(r) => r.id}
            testId="runs-table"
            empty="No runs match."
          />
          {runs.data.nextCursor ? (
            <Link to="/runs" search={{ ...search, cursor: runs.data.nextCursor }} className="more">
              Older runs →
            </Link>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
