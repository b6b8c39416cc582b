import { useInfiniteQuery } from "@tanstack/react-query";
import { useRouter } from "@tanstack/react-router";
import {
  type Column,
  type RowData,
  createColumnHelper,
  flexRender,
  getCoreRowModel,
  useReactTable,
} from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import { type MouseEvent, type ReactNode, memo, useEffect, useRef } from "react";
import { ErrorBox, Loading } from "../components.js";
import { ms, num } from "../format.js";
import { type RouterOutputs, useTRPC } from "../trpc.js";

declare module "@tanstack/react-table" {
  interface ColumnMeta<TData extends RowData, TValue> {
    /** Right-aligned, tabular digits. */
    numeric?: boolean;
    /** How a body cell shows its value (default: the value as text); a plain function, no cell object per cell. */
    show?: (value: TValue, row: TData) => ReactNode;
  }
}

type Instance = RouterOutputs["runs"]["instances"]["query"]["items"][number];

/**
 * Rows per API page; the next page is asked for while the reader is this many rows from the end of
 * what is loaded, so that it has arrived before they get there even at a screenful a frame.
 */
const PAGE = 500;
const AHEAD = 300;
/** Every row has this height (one line, long text cut), so the scroll height is known without measuring. */
export const ROW_PX = 32;
/** The scrolling region's largest height (styles.css, .virtual-scroll). */
const MAX_REGION_PX = 640;

const col = createColumnHelper<Instance>();
const columns = [
  col.accessor("id", {
    header: "Instance",
    meta: {
      // A plain link (the table's click handler navigates within the app): a router <Link> per row costs
      // a location build on every render, and a fast scroll mounts a screenful of rows a frame.
      show: (id, i) => (
        <a href={`/runs/${encodeURIComponent(i.run_id)}/instances/${encodeURIComponent(id)}`} data-app-link="">
          {id}
        </a>
      ),
    },
  }),
  col.accessor("scenario_id", { id: "scenario", header: "Scenario" }),
  col.accessor("status", {
    header: "Status",
    meta: { show: (status) => <span className={`badge ${status}`}>{status}</span> },
  }),
  col.accessor("duration_ms", { id: "duration", header: "Duration", meta: { numeric: true, show: (v) => ms(v) } }),
  col.accessor((i) => i.error ?? "", { id: "error", header: "Error" }),
];

/** One body cell: the column's accessor and its `show`, called directly (no TanStack row or cell objects). */
function cell(c: Column<Instance>, item: Instance, index: number): ReactNode {
  const value = c.accessorFn?.(item, index);
  const show = c.columnDef.meta?.show;
  return show ? show(value, item) : (value as ReactNode);
}

/**
 * One row, memoized on its instance and index: a page of rows arriving or the window moving renders
 * only the rows that come into view. Its cells are made straight from the table's columns: the table's
 * row model would make a row object for every loaded row each time a page arrives, and row and cell
 * objects for each row in view would be garbage made a screenful of rows a frame in a fast scroll.
 */
const InstanceRow = memo(function InstanceRow(props: { columns: Column<Instance>[]; item: Instance; index: number }) {
  return (
    <tr aria-rowindex={props.index + 2} data-index={props.index}>
      {props.columns.map((c) => (
        <td key={c.id} data-col={c.id} className={c.columnDef.meta?.numeric ? "num" : undefined}>
          {cell(c, props.item, props.index)}
        </td>
      ))}
    </tr>
  );
});

const NO_ROWS: Instance[] = [];

/**
 * The loaded pages' rows as one array, appended to in place as pages arrive (a page's 500 rows are
 * pushed once; the pages before it are not walked again). A different first page (another filter, a
 * refetch) starts a new array.
 */
function useLoadedRows(pages: readonly { items: Instance[] }[] | undefined): readonly Instance[] {
  const loaded = useRef<{ first: unknown; taken: number; rows: Instance[] }>({ first: null, taken: 0, rows: [] });
  const l = loaded.current;
  if (!pages || pages.length === 0) return NO_ROWS;
  if (pages[0] !== l.first || pages.length < l.taken) {
    l.first = pages[0];
    l.taken = 0;
    l.rows = [];
  }
  for (; l.taken < pages.length; l.taken++) for (const item of pages[l.taken]?.items ?? []) l.rows.push(item);
  return l.rows;
}

/**
 * A run's instances as one long table: TanStack Table for the columns, TanStack Virtual so only the
 * rows in view are in the DOM, and the API's cursor pagination (runs.instances.query) fetching the
 * next page ahead of the reader as they scroll toward the end of what is loaded.
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
  const rows = useLoadedRows(pages.data?.pages);
  // The table holds the columns (headers, visible columns, accessors); the rows in view are drawn from them (InstanceRow).
  const table = useReactTable({ data: NO_ROWS, columns, getCoreRowModel: getCoreRowModel() });
  const visibleColumns = table.getVisibleLeafColumns();
  const scroller = useRef<HTMLElement>(null);
  const virtual = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_PX,
    overscan: 6,
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
  const before = items[0]?.start ?? 0;
  const after = virtual.getTotalSize() - (items[items.length - 1]?.end ?? 0);
  return (
    <>
      <p className="muted" aria-live="polite" data-testid="instances-loaded">
        {num(rows.length)} instances loaded{hasNextPage ? "; more load as you scroll" : ""}
      </p>
      <section
        ref={scroller}
        // Taller than its region: a fixed height, so that it is a layout boundary (.filled).
        className={virtual.getTotalSize() >= MAX_REGION_PX ? "virtual-scroll filled" : "virtual-scroll"}
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
              const item = rows[v.index];
              return item ? <InstanceRow key={v.index} columns={visibleColumns} item={item} index={v.index} /> : null;
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
