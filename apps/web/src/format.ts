/** Display helpers: one place for how numbers, times and rates look on every page. */
export const ms = (v: number | null | undefined) => (v === null || v === undefined ? "–" : `${fmt(v)} ms`);
export const pct = (v: number | null | undefined) => (v === null || v === undefined ? "–" : `${fmt(v)} %`);
export const num = (v: number | null | undefined) => (v === null || v === undefined ? "–" : fmt(v));
export const when = (iso: string | null | undefined) => (iso ? iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "") : "–");

function fmt(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString("en-US");
  return v.toLocaleString("en-US", { maximumFractionDigits: Math.abs(v) < 10 ? 3 : 1 });
}
