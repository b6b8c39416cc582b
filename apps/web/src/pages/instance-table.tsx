import { useInfiniteQuery } from "@tanstack/react-query";
import { useRouter } from "@tanstack/react-router";
import {
  type Row,
  type RowData,
  createColumnHelper,
  flexRender,
  getCoreRowModel,
  useReactTable,
} from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import { type MouseEvent, memo, useEffect, useMemo, useRef } from "react";
import { ErrorBox, Loading } from "../components.js";
import { ms, num } from "../format.js";
import { type RouterOutputs, useTRPC } from "../trpc.js";

declare module "@tanstack/react-table" {
  interface ColumnMeta<TData extends RowData, TValue> {
    /** Right-aligned, tabular digits. */
    numeric?: boolean;
  }
}

type Instance = RouterOutputs["runs"]["instances"]["query"]["items"][number];

/** Rows per API page; the next page is asked for while the reader is this many rows from the end. */
const PAGE = 500;
const AHEAD = 150;
/** Every row has this height (one line, long text cut), so the scroll height is known without measuring. */
export const ROW_PX = 32;

const col = createColumnHelper<Instance>();
const columns = [
  col.accessor("id", {
    header: "Instance",
    // A plain link (the table's click handler navigates within the app): a router <Link> per row costs
    // a location build on every render, and a fast scroll mounts a screenful of rows a frame.
    cell: (c) => (
      <a
        href={`/runs/${encodeURIComponent(c.row.original.run_id)}/instances/${encodeURIComponent(c.getValue())}`}
        data-app-link=""
      >
        {c.getValue()}
      </a>
    ),
  }),
  col.accessor("scenario_id", { id: "scenario", header: "Scenario" }),
  col.accessor("status", {
    header: "Status",
    cell: (c) => <span className={`badge ${c.getValue()}`}>{c.getValue()}</span>,
  }),
  col.accessor("duration_ms", {
    id: "duration",
    header: "Duration",
    cell: (c) => ms(c.getValue()),
    meta: { numeric: true },
  }),
  col.accessor((i) => i.error ?? "", { id: "error", header: "Error" }),
];

/**
 * One row; memoized so that scrolling renders only the rows that come into view (a row's object
 * changes only when a page of rows arrives), not every row in the DOM each frame.
 */
const InstanceRow = memo(function InstanceRow(props: { row: Row<Instance>; index: number }) {
  return (
    <tr aria-rowindex={props.index + 2} data-index={props.index}>
      {props.row.getVisibleCells().map((c) => (
        <td key={c.column.id} data-col={c.column.id} className={c.column.columnDef.meta?.numeric ? "num" : undefined}>
          {flexRender(c.column.columnDef.cell, c.getContext())}
        </td>
      ))}
    </tr>
  );
});

/**
 * A run's instances as one long table: TanStack Table for the columns, TanStack Virtual so only the
 * rows in view are in the DOM, and the API's cursor pagination (runs.instances.query) fetching the
 * next page as the reader scrolls toward the end of what is loaded.
 */
export function InstanceTable(props: { runId: string; status?: "pass" | "fail" | undefined }) {
  const trpc = useTRPC();
  const pages = useInfiniteQuery(
    trpc.runs.instances.query.infiniteQueryOptions(
      { run_id: props.runId, limit: PAGE, ...(props.status ? { status: props.status } : {}) },
      // Pages are only ever appended: comparing every loaded row with the last answer's (structural
      // sharing) would cost a walk of all of them on each page.
      { getNextPageParam: (last) => last.nextCursor ?? undefined, staleTime: 60_000, structuralSharing: false },
    ),
  );
  const rows = useMemo(() => pages.data?.pages.flatMap((p) => p.items) ?? [], [pages.data]);
  const table = useReactTable({ data: rows, columns, getCoreRowModel: getCoreRowModel(), getRowId: (r) => r.id });
  const scroller = useRef<HTMLElement>(null);
  const virtual = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_PX,
    overscan: 12,
  });
  const router = useRouter();
  /** A plain left click on a row's link navigates within the app (modified clicks open as the browser does). */
  const followAppLink = (e: MouseEvent<HTMLElement>) => {
    const a = (e.target as HTMLElement).closest("a[data-app-link]");
    if (!a || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    router.history.push(a.getAttribute("href") ?? "/");
  };
  const items = virtual.getVirtualItems();
  const lastIndex = items[items.length - 1]?.index ?? 0;
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = pages;
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && lastIndex >= rows.length - AHEAD) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage, lastIndex, rows.length]);

  if (pages.isPending) return <Loading what="instances" />;
  if (pages.error) return <ErrorBox error={pages.error} />;
  if (rows.length === 0) return <p className="muted">No instances.</p>;
  const tableRows = table.getRowModel().rows;
  const before = items[0]?.start ?? 0;
  const after = virtual.getTotalSize() - (items[items.length - 1]?.end ?? 0);
  return (
    <>
      <p className="muted" aria-live="polite" data-testid="instances-loaded">
        {num(rows.length)} instances loaded{hasNextPage ? "; more load as you scroll" : ""}
      </p>
      <section
        ref={scroller}
        className="virtual-scroll"
        data-testid="instances-scroll"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable and scrollable by keyboard
        tabIndex={0}
        aria-label="Instances"
      >
        <table data-testid="instances-table" aria-rowcount={rows.length + 1} className="virtual">
          <thead>
            {table.getHeaderGroups().map((g) => (
              <tr key={g.id}>
                {g.headers.map((h) => (
                  <th key={h.id} scope="col" className={h.column.columnDef.meta?.numeric ? "num" : undefined}>
                    {flexRender(h.column.columnDef.header, h.getContext())}
                  </th>
                ))}
              </tr>
            ))}
          </thead>
          {/* biome-ignore lint/a11y/useKeyWithClickEvents: the clicks handled are a link's, which Enter on the focused link fires too */}
          <tbody onClick={followAppLink}>
            {before > 0 ? (
              <tr className="spacer-row">
                <td colSpan={columns.length} style={{ height: before, padding: 0, border: 0 }} />
              </tr>
            ) : null}
            {items.map((v) => {
              const row = tableRows[v.index];
              return row ? <InstanceRow key={row.id} row={row} index={v.index} /> : null;
            })}
            {after > 0 ? (
              <tr className="spacer-row">
                <td colSpan={columns.length} style={{ height: after, padding: 0, border: 0 }} />
              </tr>
            ) : null}
          </tbody>
        </table>
      </section>
    </>
  );
}
