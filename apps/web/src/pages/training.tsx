import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import { type Column, ErrorBox, Loading, Table } from "../components.js";
import { num, when } from "../format.js";
import { trainingRoute } from "../router.js";
import { type RouterOutputs, useTRPC } from "../trpc.js";

type Sample = RouterOutputs["ivr"]["training"]["list"]["items"][number];
type Status = Sample["validation_status"];
const STATUSES = ["pending", "validated", "rejected"] as const;

function Filters(props: { intent: string | undefined; status: Status | undefined }) {
  const navigate = useNavigate({ from: "/ivr/training" });
  const [intent, setIntent] = useState(props.intent ?? "");
  const [status, setStatus] = useState<string>(props.status ?? "");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const st = STATUSES.find((s) => s === status);
    void navigate({ search: { intent: intent.trim() || undefined, status: st } });
  };
  return (
    <form className="filters" onSubmit={submit}>
      <label>
        Intent <input data-testid="filter-intent" value={intent} onChange={(e) => setIntent(e.target.value)} />
      </label>
      <label>
        Status{" "}
        <select data-testid="filter-status" value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <button type="submit">Filter</button>
    </form>
  );
}

/** The classifier's training samples: filter by intent and status; a write token validates or rejects several at once. */
export function TrainingPage() {
  const search = trainingRoute.useSearch();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const me = useQuery(trpc.admin.whoami.queryOptions());
  const canWrite = me.data?.scope === "write" || me.data?.scope === "admin";
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const list = useQuery(
    trpc.ivr.training.list.queryOptions({
      limit: 100,
      ...(search.intent ? { intent_label: search.intent } : {}),
      ...(search.status ? { validation_status: search.status } : {}),
      ...(search.cursor ? { cursor: search.cursor } : {}),
    }),
  );
  const setStatus = useMutation(
    trpc.ivr.training.setStatus.mutationOptions({
      onSuccess: async () => {
        setSelected(new Set());
        await qc.invalidateQueries({ queryKey: trpc.ivr.training.list.pathKey() });
      },
    }),
  );
  const toggle = (id: string) =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const columns: Column<Sample>[] = [
    ...(canWrite
      ? [
          {
            key: "select",
            header: "Select",
            cell: (s: Sample) => (
              <input
                type="checkbox"
                aria-label={`Select ${s.training_id}`}
                checked={selected.has(String(s.training_id))}
                onChange={() => toggle(String(s.training_id))}
              />
            ),
          },
        ]
      : []),
    { key: "id", header: "Sample", cell: (s) => s.training_id },
    { key: "text", header: "Text", cell: (s) => s.text_sample },
    { key: "intent", header: "Intent", cell: (s) => s.intent_label },
    { key: "threshold", header: "Threshold", cell: (s) => num(s.confidence_threshold), numeric: true },
    { key: "source", header: "Source", cell: (s) => s.source },
    {
      key: "status",
      header: "Status",
      cell: (s) => (
        <span
          className={`badge ${s.validation_status === "validated" ? "pass" : s.validation_status === "rejected" ? "fail" : ""}`}
        >
          {s.validation_status}
        </span>
      ),
    },
    { key: "created", header: "Added", cell: (s) => when(s.created_at) },
  ];
  const act = (validation_status: "validated" | "rejected") =>
    setStatus.mutate({ training_ids: [...selected], validation_status });
  return (
    <section>
      <h1>Training data</h1>
      <Filters
        key={`${search.intent ?? ""}\u0000${search.status ?? ""}`}
        intent={search.intent}
        status={search.status}
      />
      {canWrite ? (
        <fieldset className="actions">
          <legend className="sr-only">Selected samples</legend>
          <span data-testid="selected-count">{selected.size} selected</span>
          <button type="button" disabled={selected.size === 0 || setStatus.isPending} onClick={() => act("validated")}>
            Validate selected
          </button>
          <button type="button" disabled={selected.size === 0 || setStatus.isPending} onClick={() => act("rejected")}>
            Reject selected
          </button>
        </fieldset>
      ) : null}
      {setStatus.error ? <ErrorBox error={setStatus.error} /> : null}
      {list.isPending ? (
        <Loading what="training samples" />
      ) : list.error ? (
        <ErrorBox error={list.error} />
      ) : (
        <>
          <Table
            rows={list.data.items}
            columns={columns}
            rowKey={(s) => String(s.training_id)}
            testId="training-table"
            empty="No samples match."
          />
          {list.data.nextCursor ? (
            <Link to="/ivr/training" search={{ ...search, cursor: list.data.nextCursor }}>
              More samples →
            </Link>
          ) : null}
        </>
      )}
    </section>
  );
}
