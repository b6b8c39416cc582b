import { useQuery } from "@tanstack/react-query";
import { Link, useNavigate } from "@tanstack/react-router";
import type { StepDefinition, TextCheck } from "@verdict/schema";
import { type FormEvent, useState } from "react";
import { ErrorBox, Loading } from "../components.js";
import { scenariosRoute } from "../router.js";
import { useTRPC } from "../trpc.js";

function check(c: TextCheck): string {
  if ("contains" in c) return `contains “${c.contains}”`;
  if ("exact" in c) return `is “${c.exact}”`;
  if ("regex" in c) return `matches /${c.regex}/`;
  if ("similar" in c) return `similar to “${c.similar}”${c.threshold === undefined ? "" : ` (≥ ${c.threshold})`}`;
  if ("all" in c) return `all of (${c.all.map(check).join("; ")})`;
  return `any of (${c.any.map(check).join("; ")})`;
}

function heard(s: { expected_text?: string | undefined; match?: string; expect?: TextCheck | undefined }): string {
  if (s.expect) return check(s.expect);
  if (s.expected_text) return `${s.match ?? "contains"} “${s.expected_text}”`;
  return "anything";
}

/** What a step does, in words: one line of the flow. */
export function describeStep(s: StepDefinition): string {
  switch (s.type) {
    case "prompt":
      return `hear a prompt: ${heard(s)}`;
    case "intent":
      return `say ${s.utterance ? `“${s.utterance}”` : "the utterance"}, expect intent ${s.expected_intent}${
        s.confidence_threshold === undefined ? "" : ` at confidence ≥ ${s.confidence_threshold}`
      }`;
    case "dtmf":
      return `press ${s.digits}`;
    case "validate":
      return `validate ${[
        s.expected_intent ? `intent ${s.expected_intent}` : "",
        s.expected_text ? `text “${s.expected_text}”` : "",
      ]
        .filter(Boolean)
        .join(" and ")}`;
    case "no_input":
      return `stay silent ${s.seconds} s, then hear: ${heard(s)}`;
    case "expect_transfer":
      return `expect a transfer${s.to ? ` to ${s.to}` : ""}`;
    case "expect_hangup":
      return "expect the call to hang up";
    case "expect_audio":
      return `expect audio matching /${s.url_pattern}/`;
  }
}

function NameFilter(props: { value: string | undefined }) {
  const navigate = useNavigate({ from: "/ivr/scenarios" });
  const [q, setQ] = useState(props.value ?? "");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void navigate({ search: { q: q.trim() || undefined } });
  };
  return (
    <form className="filters" onSubmit={submit}>
      <label>
        Name contains <input data-testid="filter-name" value={q} onChange={(e) => setQ(e.target.value)} />
      </label>
      <button type="submit">Filter</button>
    </form>
  );
}

/** The IVR scenarios, each with its steps as a flow from the call's start to its end. */
export function ScenariosPage() {
  const search = scenariosRoute.useSearch();
  const trpc = useTRPC();
  const list = useQuery(
    trpc.ivr.scenarios.list.queryOptions({
      limit: 50,
      ...(search.q ? { name_contains: search.q } : {}),
      ...(search.cursor ? { cursor: search.cursor } : {}),
    }),
  );
  return (
    <section>
      <h1>IVR scenarios</h1>
      <NameFilter key={search.q ?? ""} value={search.q} />
      {list.isPending ? (
        <Loading what="scenarios" />
      ) : list.error ? (
        <ErrorBox error={list.error} />
      ) : list.data.items.length === 0 ? (
        <p className="muted">No scenarios.</p>
      ) : (
        <>
          {list.data.items.map((sc) => (
            <article key={sc.scenario_id} className="scenario" data-testid="scenario" data-id={sc.scenario_id}>
              <h2>
                {sc.name}{" "}
                <span className="muted">
                  ({sc.slug}, id {sc.scenario_id})
                </span>
              </h2>
              <p className="muted">
                calls {sc.target_phone} · times out after {sc.timeout_seconds} s
                {sc.description ? ` · ${sc.description}` : ""}
              </p>
              <ol className="flow" aria-label={`Steps of ${sc.name}`}>
                {sc.steps.map((st, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: a step's place in the flow is its identity
                  <li key={i} data-testid="flow-step" data-kind={st.type}>
                    <span className="badge">{st.type}</span> {st.name ? <strong>{st.name}: </strong> : null}
                    {describeStep(st)}
                  </li>
                ))}
              </ol>
              <Link to="/ivr/executions">Executions →</Link>
            </article>
          ))}
          {list.data.nextCursor ? (
            <Link to="/ivr/scenarios" search={{ ...search, cursor: list.data.nextCursor }}>
              More scenarios →
            </Link>
          ) : null}
        </>
      )}
    </section>
  );
}
