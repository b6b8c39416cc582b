import { Link } from "@tanstack/react-router";
import type { WorkItem } from "@verdict/schema";
import { type Column, ErrorBox, Loading, Table } from "../components.js";
import { num, when } from "../format.js";
import { type QueueSnapshot, useLiveQueue } from "../live.js";

const STATUSES = ["queued", "running", "done", "failed", "timeout"] as const;
type Worker = QueueSnapshot["workers"][number];

export const itemColumns: Column<WorkItem>[] = [
  { key: "id", header: "Item", cell: (i) => i.id },
  { key: "kind", header: "Kind", cell: (i) => i.kind },
  { key: "status", header: "Status", cell: (i) => <span className={`badge ${i.status}`}>{i.status}</span> },
  { key: "scenario", header: "Scenario", cell: (i) => i.scenario_id },
  {
    key: "target",
    header: "Execution / instance",
    cell: (i) =>
      i.execution_id ? (
        <Link to="/ivr/executions/$executionId" params={{ executionId: String(i.execution_id) }}>
          {i.execution_id}
        </Link>
      ) : i.run_id && i.instance_id ? (
        <Link to="/runs/$runId/instances/$instanceId" params={{ runId: i.run_id, instanceId: i.instance_id }}>
          {i.instance_id}
        </Link>
      ) : (
        "–"
      ),
  },
  { key: "attempts", header: "Attempt", cell: (i) => `${i.attempts}/${i.max_attempts}`, numeric: true },
  { key: "worker", header: "Worker", cell: (i) => i.claimed_by ?? "–" },
  { key: "lease", header: "Lease until", cell: (i) => when(i.lease_expires_at) },
  { key: "enqueued", header: "Enqueued", cell: (i) => when(i.enqueued_at) },
];

const workerColumns: Column<Worker>[] = [
  { key: "worker", header: "Worker", cell: (w) => w.worker_id },
  { key: "items", header: "Leases held", cell: (w) => num(w.items), numeric: true },
  { key: "heartbeat", header: "Last heartbeat", cell: (w) => when(w.heartbeat_at) },
  { key: "lease", header: "Lease until", cell: (w) => when(w.lease_expires_at) },
];

/** "live" once the stream delivers, "connecting…" while it (re)connects. */
export function LiveBadge(props: { status: string }) {
  const live = props.status === "pending";
  return (
    <span className={`badge ${live ? "live" : "connecting"}`} data-testid="live-status" role="status">
      {live ? "live" : props.status === "error" ? "disconnected" : "connecting…"}
    </span>
  );
}

/** The execution queue, pushed by the server as it changes: counts, open items, workers holding leases. */
export function QueuePage() {
  const sub = useLiveQueue({ limit: 200 });
  const s = sub.data;
  return (
    <section>
      <h1>
        Queue <LiveBadge status={sub.status} />
      </h1>
      {sub.error ? <ErrorBox error={sub.error} /> : null}
      {!s ? <Loading what="the queue" /> : null}
      {s ? (
        <>
          <section
            className="table-wrap"
            aria-label="queue counts"
            // biome-ignore lint/a11y/noNoninteractiveTabindex: a table wider than a phone scrolls here; the keyboard must reach it
            tabIndex={0}
          >
            <table data-testid="queue-counts">
              <caption className="sr-only">Work items per kind and status</caption>
              <thead>
                <tr>
                  <th scope="col">Kind</th>
                  {STATUSES.map((st) => (
                    <th key={st} scope="col" className="num">
                      {st}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {(["ivr", "http"] as const).map((k) => (
                  <tr key={k}>
                    <th scope="row">{k}</th>
                    {STATUSES.map((st) => (
                      <td key={st} className="num" data-col={`${k}-${st}`}>
                        {num(s.counts[k][st])}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <h2>Workers holding leases</h2>
          <Table
            rows={s.workers}
            columns={workerColumns}
            rowKey={(w) => w.worker_id}
            testId="queue-workers"
            empty="No worker holds a lease."
          />
          <h2>Open items</h2>
          <Table
            rows={s.items}
            columns={itemColumns}
            rowKey={(i) => i.id}
            testId="queue-items"
            empty="Nothing queued or running."
          />
        </>
      ) : null}
    </section>
  );
}
