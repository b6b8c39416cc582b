import { useQuery } from "@tanstack/react-query";
import { Link, useNavigate } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import { type Column, ErrorBox, Loading, Table } from "../components.js";
import { ms, num, pct } from "../format.js";
import { compareRoute } from "../router.js";
import { type RouterOutputs, useTRPC } from "../trpc.js";

type Comparison = RouterOutputs["runs"]["compare"];
type Change = Comparison["run"];
type ErrorChange = Comparison["errors"][number];

const signed = (v: number | null, unit: string) =>
  v === null ? "–" : `${v > 0 ? "+" : ""}${num(Math.round(v * 100) / 100)}${unit}`;
const p = (t: { p_value: number } | null) => (t === null ? "–" : num(Math.round(t.p_value * 10000) / 10000));

const changeColumns = (header: string): Column<Change>[] => [
  { key: "key", header, cell: (c) => c.key },
  { key: "a_n", header: "A n", cell: (c) => num(c.a.n), numeric: true },
  { key: "b_n", header: "B n", cell: (c) => num(c.b.n), numeric: true },
  { key: "a_pass", header: "A pass rate", cell: (c) => pct(c.a.pass_rate), numeric: true },
  { key: "b_pass", header: "B pass rate", cell: (c) => pct(c.b.pass_rate), numeric: true },
  { key: "pass_delta", header: "Δ pass (pp)", cell: (c) => signed(c.pass_rate_delta, ""), numeric: true },
  { key: "pass_p", header: "p (pass)", cell: (c) => p(c.pass_rate_test), numeric: true },
  { key: "a_p95", header: "A p95", cell: (c) => ms(c.a.p95_ms), numeric: true },
  { key: "b_p95", header: "B p95", cell: (c) => ms(c.b.p95_ms), numeric: true },
  { key: "p95_delta", header: "Δ p95", cell: (c) => signed(c.p95_delta_ms, " ms"), numeric: true },
  { key: "latency_p", header: "p (latency)", cell: (c) => p(c.latency_test), numeric: true },
  {
    key: "verdict",
    header: "Verdict",
    cell: (c) => (
      <span
        className={c.verdict === "regression" ? "badge fail" : c.verdict === "improvement" ? "badge pass" : "badge"}
      >
        {c.verdict}
      </span>
    ),
  },
  { key: "reasons", header: "Why", cell: (c) => c.reasons.join("; ") },
];

const highlight = (c: Change) =>
  c.verdict === "regression" ? "changed-regression" : c.verdict === "improvement" ? "changed-improvement" : undefined;

const errorColumns: Column<ErrorChange>[] = [
  { key: "category", header: "Category", cell: (e) => e.category },
  { key: "a", header: "A", cell: (e) => num(e.a_count), numeric: true },
  { key: "b", header: "B", cell: (e) => num(e.b_count), numeric: true },
  { key: "change", header: "Change", cell: (e) => e.change },
];

function CompareForm(props: { a: string | undefined; b: string | undefined }) {
  const navigate = useNavigate({ from: "/compare" });
  const [a, setA] = useState(props.a ?? "");
  const [b, setB] = useState(props.b ?? "");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void navigate({ search: { a: a.trim() || undefined, b: b.trim() || undefined } });
  };
  return (
    <form className="filters" onSubmit={submit}>
      <label>
        Baseline run (A) <input data-testid="compare-a" value={a} onChange={(e) => setA(e.target.value)} />
      </label>
      <label>
        Run (B) <input data-testid="compare-b" value={b} onChange={(e) => setB(e.target.value)} />
      </label>
      <button type="submit">Compare</button>
    </form>
  );
}

function Result(props: { a: string; b: string }) {
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.runs.compare.queryOptions({ run_a: props.a, run_b: props.b }), retry: false });
  if (q.isPending) return <Loading what="the comparison" />;
  if (q.error) return <ErrorBox error={q.error} />;
  const c = q.data;
  return (
    <>
      <p className="muted">
        B{" "}
        <Link to="/runs/$runId" params={{ runId: c.b }}>
          {c.b}
        </Link>{" "}
        against baseline A{" "}
        <Link to="/runs/$runId" params={{ runId: c.a }}>
          {c.a}
        </Link>
        ; significant at p &lt; {c.alpha} (each test on its own).
      </p>
      <p data-testid="compare-verdict" className={c.regressions.length > 0 ? "fail-text" : "pass-text"}>
        {c.regressions.length} significant regression(s), {c.improvements.length} improvement(s)
      </p>
      {c.regressions.length > 0 ? (
        <ul data-testid="regressions">
          {c.regressions.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      ) : null}
      <h2>Run</h2>
      <Table
        rows={[c.run]}
        columns={changeColumns("Run")}
        rowKey={(r) => r.key}
        testId="compare-run"
        rowClass={highlight}
      />
      <h2>Scenarios</h2>
      <Table
        rows={c.scenarios}
        columns={changeColumns("Scenario")}
        rowKey={(r) => r.key}
        testId="compare-scenarios"
        rowClass={highlight}
      />
      <h2>Actions</h2>
      <Table
        rows={c.actions}
        columns={changeColumns("Action")}
        rowKey={(r) => r.key}
        testId="compare-actions"
        rowClass={highlight}
      />
      <h2>Error categories</h2>
      <Table
        rows={c.errors}
        columns={errorColumns}
        rowKey={(e) => e.category}
        testId="compare-errors"
        empty="No errors in either run."
      />
    </>
  );
}

/** Two runs side by side (B against baseline A): per scenario and per action, significant changes highlighted. */
export function ComparePage() {
  const search = compareRoute.useSearch();
  return (
    <section>
      <h1>Compare runs</h1>
      <CompareForm key={`${search.a ?? ""}\u0000${search.b ?? ""}`} a={search.a} b={search.b} />
      {search.a && search.b ? <Result a={search.a} b={search.b} /> : <p className="muted">Name two runs.</p>}
    </section>
  );
}
