import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { type Column, ErrorBox, Loading, Stat, Table } from "../components.js";
import { ms, num, when } from "../format.js";
import { useLiveQueue } from "../live.js";
import { executionRoute } from "../router.js";
import { type RouterOutputs, useTRPC } from "../trpc.js";

type Step = RouterOutputs["ivr"]["steps"]["list"][number];

const columns: Column<Step>[] = [
  { key: "n", header: "#", cell: (s) => s.step_number, numeric: true },
  { key: "type", header: "Step", cell: (s) => s.step_type },
  { key: "status", header: "Status", cell: (s) => <span className={`badge ${s.status}`}>{s.status}</span> },
  { key: "expected", header: "Expected intent", cell: (s) => s.expected_intent ?? "–" },
  { key: "actual", header: "Actual intent", cell: (s) => s.actual_intent ?? "–" },
  { key: "confidence", header: "Confidence", cell: (s) => num(s.confidence), numeric: true },
  { key: "heard", header: "Prompt heard", cell: (s) => s.transcript ?? "" },
  { key: "dtmf", header: "DTMF sent", cell: (s) => s.dtmf_sent ?? "" },
  { key: "latency", header: "Latency", cell: (s) => ms(s.latency_ms), numeric: true },
  { key: "error", header: "Error", cell: (s) => s.error ?? "" },
];

/**
 * One IVR execution and each of its steps; while it is queued or running, every change of the IVR
 * queue (pushed over `queue.watch`, including each reported step's heartbeat) refreshes it.
 */
export function ExecutionPage() {
  const { executionId } = executionRoute.useParams();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const execution = useQuery(trpc.ivr.executions.get.queryOptions({ execution_id: executionId }));
  const steps = useQuery(trpc.ivr.steps.list.queryOptions({ execution_id: executionId }));
  const open = !execution.data || execution.data.status === "running";
  useLiveQueue({ kind: "ivr", limit: 100 }, () => {
    if (!open) return;
    qc.invalidateQueries({ queryKey: trpc.ivr.executions.get.queryKey({ execution_id: executionId }) });
    qc.invalidateQueries({ queryKey: trpc.ivr.steps.list.queryKey({ execution_id: executionId }) });
  });
  if (execution.isPending) return <Loading what={`execution ${executionId}`} />;
  if (execution.error) return <ErrorBox error={execution.error} />;
  const e = execution.data;
  return (
    <section>
      <p>
        <Link to="/ivr/executions">← Executions</Link>
      </p>
      <h1>
        Execution <span data-testid="execution-id">{e.execution_id}</span>
      </h1>
      <div className="stats">
        <Stat label="Scenario" value={e.scenario_id} testId="stat-scenario" />
        <Stat label="Status" value={e.status} testId="stat-status" />
        <Stat label="Result" value={e.final_result ?? "–"} testId="stat-result" />
        <Stat label="Started" value={when(e.start_time)} testId="stat-start" />
        <Stat label="Ended" value={when(e.end_time)} testId="stat-end" />
        <Stat label="Call id" value={e.call_id ?? "–"} testId="stat-call" />
      </div>
      {e.error_message ? (
        <p className="error" role="status">
          {e.error_message}
        </p>
      ) : null}
      <h2>Steps</h2>
      {steps.data ? (
        <Table
          rows={steps.data}
          columns={columns}
          rowKey={(s) => String(s.id)}
          testId="steps-table"
          empty="No steps recorded yet."
        />
      ) : steps.error ? (
        <ErrorBox error={steps.error} />
      ) : (
        <Loading what="steps" />
      )}
    </section>
  );
}
