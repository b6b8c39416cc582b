import { type ReactNode, useEffect, useRef, useState } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface Column<T> {
  key: string;
  header: string;
  cell: (row: T) => ReactNode;
  numeric?: boolean;
}

/** A plain accessible table; `testId` names it for the browser tests. */
export function Table<T>(props: {
  rows: readonly T[];
  columns: Column<T>[];
  rowKey: (row: T) => string;
  testId: string;
  empty?: string;
  /** A class for a row (e.g. to highlight it). */
  rowClass?: (row: T) => string | undefined;
}) {
  if (props.rows.length === 0) return <p className="muted">{props.empty ?? "Nothing here yet."}</p>;
  return (
    <section
      className="table-wrap"
      aria-label={props.testId.replace(/-/g, " ")}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a table wider than a phone scrolls here; the keyboard must reach it
      tabIndex={0}
    >
      <table data-testid={props.testId}>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th key={c.key} scope="col" className={c.numeric ? "num" : undefined}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr key={props.rowKey(r)} className={props.rowClass?.(r)}>
              {props.columns.map((c) => (
                <td key={c.key} data-col={c.key} className={c.numeric ? "num" : undefined}>
                  {c.cell(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function Stat(props: { label: string; value: ReactNode; testId: string }) {
  return (
    <div className="stat">
      <div className="stat-label">{props.label}</div>
      <div className="stat-value" data-testid={props.testId}>
        {props.value}
      </div>
    </div>
  );
}

export function Loading(props: { what: string }) {
  return (
    <p className="muted" aria-live="polite">
      Loading {props.what}…
    </p>
  );
}

export function ErrorBox(props: { error: unknown }) {
  const message = props.error instanceof Error ? props.error.message : String(props.error);
  return (
    <p role="alert" className="error">
      {message}
    </p>
  );
}

/**
 * A number that changes whenever the page's colours may have: the chosen theme (data-theme on <html>)
 * or, in "auto", the system's light/dark preference. Charts drawn on canvas redraw on it.
 */
export function useThemeVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const bump = () => setVersion((v) => v + 1);
    const observer = new MutationObserver(bump);
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme", "class", "style"] });
    const media = window.matchMedia("(prefers-color-scheme: dark)");
    media.addEventListener("change", bump);
    return () => {
      observer.disconnect();
      media.removeEventListener("change", bump);
    };
  }, []);
  return version;
}

/**
 * Canvas does not resolve CSS colours ("currentColor", var(), light-dark()): the chart's element is
 * asked for its computed colours (text and the --line border colour), which are real rgb() values.
 */
export function chartColors(el: HTMLElement): { text: string; grid: string } {
  const style = getComputedStyle(el);
  const probe = document.createElement("span");
  probe.style.color = "var(--line)";
  el.appendChild(probe);
  const grid = getComputedStyle(probe).color;
  probe.remove();
  return { text: style.color, grid };
}

/** The theme's failure colour (var(--fail)) as a real colour for the canvas. */
function markColor(el: HTMLElement): string {
  const probe = document.createElement("span");
  probe.style.color = "var(--fail)";
  el.appendChild(probe);
  const color = getComputedStyle(probe).color;
  probe.remove();
  return color;
}

/**
 * A uPlot chart (canvas, fast on long series). Lines over `x` (numbers, or unix seconds when `time`),
 * or, with `groups`, grouped bars: one group per label, one bar per series inside it.
 */
export function Chart(props: {
  title: string;
  series: { label: string; values: (number | null)[] }[];
  x?: number[];
  time?: boolean;
  groups?: string[];
  /** Points drawn as marks over the lines (e.g. regressions): null where there is none. */
  marks?: { label: string; values: (number | null)[] };
  testId: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const theme = useThemeVersion();
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    void theme; // redraw with the new theme's colours
    const ink = chartColors(el);
    const axis = (extra: uPlot.Axis = {}): uPlot.Axis => ({
      stroke: ink.text,
      grid: { stroke: ink.grid, width: 1 },
      ticks: { stroke: ink.grid, width: 1 },
      ...extra,
    });
    const colors = ["#2f6fde", "#d9822b", "#c23030", "#0f9960"];
    const color = (i: number) => colors[i % colors.length] ?? "#2f6fde";
    const groups = props.groups;
    const k = props.series.length;
    let data: uPlot.AlignedData;
    let xAxis: uPlot.Axis = axis();
    let xScale: uPlot.Scale = { time: props.time ?? false };
    if (groups) {
      // Group g occupies x = g·(k+1) … g·(k+1)+k-1; each series has a value only at its own slot.
      const width = k + 1;
      const xs = Array.from({ length: groups.length * width }, (_, i) => i);
      data = [
        xs,
        ...props.series.map((s, j) =>
          xs.map((x) => (x % width === j ? (s.values[Math.floor(x / width)] ?? null) : null)),
        ),
      ] as uPlot.AlignedData;
      const centre = (k - 1) / 2;
      xScale = { time: false, range: [-1, groups.length * width - 1] };
      xAxis = axis({
        splits: () => groups.map((_, g) => g * width + centre),
        values: (_u, splits) => splits.map((x) => groups[Math.round((x - centre) / width)] ?? ""),
        grid: { show: false },
      });
    } else {
      data = [
        props.x ?? [],
        ...props.series.map((s) => s.values),
        ...(props.marks ? [props.marks.values] : []),
      ] as uPlot.AlignedData;
    }
    const fail = markColor(el);
    const opts: uPlot.Options = {
      title: props.title,
      width: Math.max(200, Math.min(el.clientWidth || 720, 1100)),
      height: 260,
      scales: { x: xScale },
      axes: [xAxis, axis()],
      series: [
        {},
        ...props.series.map((s, i) => ({
          label: s.label,
          stroke: color(i),
          width: groups ? 1 : 2,
          ...(groups
            ? { paths: uPlot.paths.bars?.({ size: [0.9, 60] }), fill: `${color(i)}aa`, points: { show: false } }
            : {}),
        })),
        ...(props.marks && !groups
          ? [
              {
                label: props.marks.label,
                stroke: fail,
                width: 0,
                paths: () => null,
                points: { show: true, size: 11, width: 2, stroke: fail, fill: fail },
              } satisfies uPlot.Series,
            ]
          : []),
      ],
    };
    const plot = new uPlot(opts, data, el);
    // Follow the container's width (a phone turned, a window resized, the layout settling after load).
    const resize = new ResizeObserver(() => {
      const width = Math.max(200, Math.min(el.clientWidth || 720, 1100));
      if (Math.abs(width - plot.width) > 1) plot.setSize({ width, height: 260 });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [props.title, props.x, props.series, props.time, props.groups, props.marks, theme]);
  return <div ref={ref} className="chart" data-testid={props.testId} role="img" aria-label={props.title} />;
}
