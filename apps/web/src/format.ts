/** Display helpers: one place for how numbers, times and rates look on every page. */
export const ms = (v: number | null | undefined) => (v === null || v === undefined ? "–" : `${fmt(v)} ms`);
export const pct = (v: number | null | undefined) => (v === null || v === undefined ? "–" : `${fmt(v)} %`);
export const num = (v: number | null | undefined) => (v === null || v === undefined ? "–" : fmt(v));
export const when = (iso: string | null | undefined) => (iso ? iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "") : "–");

// Formatters made once: toLocaleString with options builds one on every call (a long table's cells
// add up to a frame's budget when it scrolls). Same output: toLocaleString is defined by them.
const integer = new Intl.NumberFormat("en-US");
const small = new Intl.NumberFormat("en-US", { maximumFractionDigits: 3 });
const large = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

function fmt(v: number): string {
  if (Number.isInteger(v)) return integer.format(v);
  return (Math.abs(v) < 10 ? small : large).format(v);
}
