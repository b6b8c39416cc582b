import { useQuery } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { type Column, ErrorBox, Loading, Table } from "../components.js";
import { num, pct } from "../format.js";
import { flakyRoute } from "../router.js";
import { type RouterOutputs, useTRPC } from "../trpc.js";

type Flaky = RouterOutputs["runs"]["flaky"]["scenarios"][number];

const columns: Column<Flaky>[] = [
  { key: "scenario", header: "Scenario", cell: (f) => f.scenario_id },
  { key: "runs", header: "Runs", cell: (f) => num(f.runs), numeric: true },
  { key: "passed", header: "Passed runs", cell: (f) => num(f.passed_runs), numeric: true },
  { key: "failed", header: "Failed runs", cell: (f) => num(f.failed_runs), numeric: true },
  { key: "flips", header: "Flips", cell: (f) => num(f.flips), numeric: true },
  { key: "history", header: "History (oldest first)", cell: (f) => <code>{f.history}</code> },
  { key: "fail_rate", header: "Instances failed", cell: (f) => pct(f.instance_fail_rate), numeric: true },
];

/** Scenarios of a system under test that both passed and failed over its last runs (runs.flaky). */
export function FlakyPage() {
  const search = flakyRoute.useSearch();
  const navigate = useNavigate({ from: "/flaky" });
  const trpc = useTRPC();
  const runs = useQuery(trpc.runs.list.queryOptions({ limit: 50 }));
  const suts = [...new Set(runs.data?.items.map((r) => r.sut_name) ?? [])].sort();
  const sut = search.sut ?? suts[0];
  const last = search.last ?? 10;
  const flaky = useQuery({
    ...trpc.runs.flaky.queryOptions({ sut_name: sut ?? "", last }),
    enabled: sut !== undefined,
  });
  return (
    <section>
      <h1>Flaky scenarios</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          System under test
          <select
            value={sut ?? ""}
            data-testid="flaky-sut"
            onChange={(e) => void navigate({ search: { ...search, sut: e.target.value } })}
          >
            {suts.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Last runs
          <select
            value={String(last)}
            data-testid="flaky-last"
            onChange={(e) => void navigate({ search: { ...search, last: Number(e.target.value) } })}
          >
            {[5, 10, 20, 50, 100].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </form>
      {runs.isPending || (sut !== undefined && flaky.isPending) ? <Loading what="flaky scenarios" /> : null}
      {runs.data && sut === undefined ? <p className="muted">No runs yet.</p> : null}
      {flaky.error ? <ErrorBox error={flaky.error} /> : null}
      {flaky.data ? (
        <>
          <p className="muted" data-testid="flaky-window">
            {flaky.data.sut_name}: {num(flaky.data.runs.length)} runs
          </p>
          <Table
            rows={flaky.data.scenarios}
            columns={columns}
            rowKey={(f) => f.scenario_id}
            testId="flaky-table"
            empty="No scenario both passed and failed in these runs."
          />
        </>
      ) : null}
    </section>
  );
}
