import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { type Column, ErrorBox, Loading, Stat, Table } from "../components.js";
import { ms, when } from "../format.js";
import { instanceRoute } from "../router.js";
import { type RouterOutputs, useTRPC } from "../trpc.js";

type Timeline = RouterOutputs["runs"]["instances"]["get"];
type Step = Timeline["steps"][number];
type Assertion = Timeline["assertions"][number];

const json = (v: unknown) => JSON.stringify(v, null, 2);

const assertionColumns: Column<Assertion>[] = [
  { key: "step", header: "Step", cell: (a) => (a.step_index === null ? "–" : String(a.step_index)), numeric: true },
  { key: "name", header: "Assertion", cell: (a) => a.assertion_name },
  {
    key: "passed",
    header: "Result",
    cell: (a) => <span className={`badge ${a.passed ? "pass" : "fail"}`}>{a.passed ? "pass" : "fail"}</span>,
  },
  { key: "expected", header: "Expected", cell: (a) => <code>{json(a.expected)}</code> },
  { key: "actual", header: "Actual", cell: (a) => <code>{json(a.actual)}</code> },
  { key: "error", header: "Error", cell: (a) => a.error ?? "" },
];

/** Start offset (ms from the instance's first step) and length of each step's bar. */
function bars(steps: Step[], instanceStart: string | null) {
  const starts = steps.map((s) => (s.started_at ? Date.parse(s.started_at) : Number.NaN));
  const known = starts.filter((t) => Number.isFinite(t));
  const origin = known.length > 0 ? Math.min(...known) : instanceStart ? Date.parse(instanceStart) : 0;
  let cursor = 0;
  return steps.map((s, i) => {
    const t = starts[i] ?? Number.NaN;
    // A step without a start time is drawn right after the previous one.
    const offset = Number.isFinite(t) ? t - origin : cursor;
    const length = s.latency_ms ?? 0;
    cursor = offset + length;
    return { offset, length };
  });
}

/** The steps as a waterfall: one row per step in order, a bar from its start offset as long as its latency. */
function Waterfall(props: { steps: Step[]; instanceStart: string | null }) {
  const b = bars(props.steps, props.instanceStart);
  const end = Math.max(1, ...b.map((x) => x.offset + x.length));
  const row = 26;
  const label = 220;
  const width = 760;
  const scale = (width - label - 90) / end;
  return (
    <svg
      data-testid="waterfall"
      role="img"
      aria-label={`Waterfall of ${props.steps.length} steps over ${Math.round(end)} ms`}
      viewBox={`0 0 ${width} ${row * props.steps.length + 10}`}
      className="waterfall"
    >
      {props.steps.map((s, i) => {
        const x = b[i] ?? { offset: 0, length: 0 };
        const y = i * row + 4;
        return (
          <g key={s.id} data-testid="waterfall-row" data-action={s.action_name}>
            <text x={0} y={y + 15} className="wf-label">
              {`${s.step_index}. ${s.action_name}`}
            </text>
            <rect
              x={label + x.offset * scale}
              y={y + 3}
              width={Math.max(2, x.length * scale)}
              height={row - 8}
              className={s.ok === false ? "wf-bar fail" : "wf-bar"}
            />
            <text x={label + (x.offset + x.length) * scale + 6} y={y + 15} className="wf-label">
              {ms(s.latency_ms === null ? null : Math.round(s.latency_ms * 10) / 10)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

function Field(props: { label: string; value: unknown }) {
  if (props.value === undefined || props.value === null) return null;
  if (Array.isArray(props.value) && props.value.length === 0) return null;
  return (
    <div className="field">
      <h4>{props.label}</h4>
      <pre>{typeof props.value === "string" ? props.value : json(props.value)}</pre>
    </div>
  );
}

/** One step: its headline in the summary, its whole observation and assertions when opened. */
function StepDetails(props: { step: Step; n: number }) {
  const s = props.step;
  const o = s.observation as Record<string, unknown>;
  const known = new Set(["ok", "status_code", "latency_ms", "headers", "body", "errors", "attempts", "turbulence"]);
  const rest = Object.fromEntries(Object.entries(o).filter(([k, v]) => !known.has(k) && v !== null));
  return (
    <details data-testid={`step-${props.n}`} className="step">
      <summary>
        <span data-testid="step-name">{`${s.step_index}. ${s.action_name}`}</span>{" "}
        <span className={`badge ${s.ok === false ? "fail" : "pass"}`} data-testid="step-status">
          {s.status_code ?? (s.ok === false ? "not ok" : "ok")}
        </span>{" "}
        <span className="muted">
          {s.action_type} · {s.service ?? "no service"} · {ms(s.latency_ms)}
        </span>
      </summary>
      <Field label="Errors" value={o.errors} />
      <Field label="Injected turbulence" value={o.turbulence} />
      <Field label="Attempts" value={o.attempts} />
      <Field label="Headers" value={o.headers} />
      <Field label="Body" value={o.body} />
      {Object.keys(rest).length > 0 ? <Field label="Other fields" value={rest} /> : null}
      {s.assertions.length > 0 ? (
        <Table
          rows={s.assertions}
          columns={assertionColumns}
          rowKey={(a) => String(a.id)}
          testId={`step-${props.n}-assertions`}
        />
      ) : null}
    </details>
  );
}

/** One instance of a run: its steps as a waterfall, each step's observation, and its assertions. */
export function InstancePage() {
  const { runId, instanceId } = instanceRoute.useParams();
  const trpc = useTRPC();
  const q = useQuery(trpc.runs.instances.get.queryOptions({ run_id: runId, instance_id: instanceId }));
  if (q.isPending) return <Loading what={`instance ${instanceId}`} />;
  if (q.error) return <ErrorBox error={q.error} />;
  const { instance, steps, assertions } = q.data;
  return (
    <section>
      <p>
        <Link to="/runs/$runId" params={{ runId }}>
          ← Run {runId}
        </Link>
      </p>
      <h1>
        Instance <span data-testid="instance-id">{instance.id}</span>
      </h1>
      <p className="muted">
        {instance.scenario_id} · started {when(instance.started_at)} · correlation {instance.correlation_id ?? "–"}
      </p>
      <div className="stats">
        <Stat
          label="Status"
          value={<span className={`badge ${instance.status}`}>{instance.status}</span>}
          testId="instance-status"
        />
        <Stat label="Duration" value={ms(instance.duration_ms)} testId="instance-duration" />
        <Stat label="Steps" value={steps.length} testId="instance-steps" />
        <Stat label="Assertions" value={assertions.length} testId="instance-assertions" />
      </div>
      {instance.error ? (
        <p className="error" data-testid="instance-error">
          {instance.error}
        </p>
      ) : null}
      {instance.variations ? (
        <p className="muted">
          Variation: <code>{JSON.stringify(instance.variations)}</code>
        </p>
      ) : null}
      <h2>Steps</h2>
      {steps.length > 0 ? <Waterfall steps={steps} instanceStart={instance.started_at} /> : <p>No steps.</p>}
      {steps.map((s, i) => (
        <StepDetails key={s.id} step={s} n={i} />
      ))}
      <h2>Assertions</h2>
      <Table
        rows={assertions}
        columns={assertionColumns}
        rowKey={(a) => String(a.id)}
        testId="assertions-table"
        empty="No assertions."
      />
    </section>
  );
}
