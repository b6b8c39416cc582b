import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { type Column, ErrorBox, Loading, Table } from "../components.js";
import { when } from "../format.js";
import { useLiveQueue } from "../live.js";
import { executionsRoute } from "../router.js";
import { LiveBadge, itemColumns } from "./queue.js";
import { type RouterOutputs, useTRPC } from "../trpc.js";

type Execution = RouterOutputs["ivr"]["executions"]["list"]["items"][number];

const columns: Column<Execution>[] = [
  {
    key: "id",
    header: "Execution",
    cell: (e) => (
      <Link to="/ivr/executions/$executionId" params={{ executionId: String(e.execution_id) }}>
        {e.execution_id}
      </Link>
    ),
  },
  { key: "scenario", header: "Scenario", cell: (e) => e.scenario_id },
  { key: "status", header: "Status", cell: (e) => <span className={`badge ${e.status}`}>{e.status}</span> },
  {
    key: "result",
    header: "Result",
    cell: (e) => (e.final_result ? <span className={`badge ${e.final_result}`}>{e.final_result}</span> : "–"),
  },
  { key: "start", header: "Started", cell: (e) => when(e.start_time) },
  { key: "call", header: "Call id", cell: (e) => e.call_id ?? "–" },
  { key: "error", header: "Error", cell: (e) => e.error_message ?? "" },
];

/**
 * IVR test executions, newest first, live: the queue's IVR items (queued and running) arrive over
 * `queue.watch` (server-sent events) and every change there refreshes the list of executions.
 */
export function ExecutionsPage() {
  const search = executionsRoute.useSearch();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const live = useLiveQueue({ kind: "ivr", limit: 100 }, () => {
    qc.invalidateQueries({ queryKey: trpc.ivr.executions.pathKey() });
  });
  const executions = useQuery({
    ...trpc.ivr.executions.list.queryOptions({
      limit: 50,
      ...(search.status ? { status: search.status } : {}),
      ...(search.result ? { final_result: search.result } : {}),
      ...(search.cursor ? { cursor: search.cursor } : {}),
    }),
  });
  // A queued execution is a queue item until a worker starts it; it is counted from the live queue.
  const queued = live.data ? live.data.items.filter((i) => i.status === "queued").length : 0;
  return (
    <section>
      <h1>
        IVR executions <LiveBadge status={live.status} />
      </h1>
      {queued > 0 ? (
        <p className="muted" data-testid="queued-count">
          {queued} queued, waiting for a worker
        </p>
      ) : null}
      <h2>In the queue</h2>
      {live.data ? (
        <Table
          rows={live.data.items}
          columns={itemColumns}
          rowKey={(i) => i.id}
          testId="executions-queue"
          empty="No IVR execution is queued or running."
        />
      ) : (
        <Loading what="the queue" />
      )}
      <h2>Executions</h2>
      <nav className="filters" aria-label="Execution status">
        {([undefined, "running", "completed", "failed", "timeout"] as const).map((st) => (
          <Link
            key={st ?? "all"}
            to="/ivr/executions"
            search={{ status: st }}
            aria-current={search.status === st ? "true" : undefined}
          >
            {st ?? "all"}
          </Link>
        ))}
        <span className="spacer" />
        {(["pass", "fail"] as const).map((r) => (
          <Link
            key={r}
            to="/ivr/executions"
            search={{ ...search, result: search.result === r ? undefined : r }}
            aria-current={search.result === r ? "true" : undefined}
            data-testid={`result-${r}`}
          >
            {r}
          </Link>
        ))}
      </nav>
      {executions.isPending ? <Loading what="executions" /> : null}
      {executions.error ? <ErrorBox error={executions.error} /> : null}
      {executions.data ? (
        <>
          <Table
            rows={executions.data.items}
            columns={columns}
            rowKey={(e) => String(e.execution_id)}
            testId="executions-table"
          />
          {executions.data.nextCursor ? (
            <Link to="/ivr/executions" search={{ ...search, cursor: executions.data.nextCursor }}>
              Older executions →
            </Link>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
