/** Descriptive statistics used by metric trends and run summaries. */
export interface SeriesStats {
  count: number;
  mean: number;
  median: number;
  stddev: number;
  min: number;
  max: number;
  /** Least-squares slope per step of the series (per run, oldest to newest). */
  slope: number;
  /** Change from the first to the last value, in percent of the first; null when the first is 0. */
  pct_change: number | null;
  /**
   * Coefficient of determination of the least-squares line (how much of the variation the trend explains,
   * 0..1); null with fewer than 2 values or when every value is the same (the line is then undefined).
   */
  r_squared: number | null;
}

export function seriesStats(values: readonly number[]): SeriesStats | null {
  const n = values.length;
  if (n === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const mid = Math.floor(n / 2);
  const median = n % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  // Sample standard deviation: a handful of runs is a sample of what the project does.
  const variance = n > 1 ? values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1) : 0;
  const xMean = (n - 1) / 2;
  let num = 0;
  let den = 0;
  values.forEach((v, i) => {
    num += (i - xMean) * (v - mean);
    den += (i - xMean) ** 2;
  });
  const ssTotal = values.reduce((s, v) => s + (v - mean) ** 2, 0);
  const first = values[0] ?? 0;
  const last = values[n - 1] ?? 0;
  return {
    count: n,
    mean,
    median,
    stddev: Math.sqrt(variance),
    min: sorted[0] ?? 0,
    max: sorted[n - 1] ?? 0,
    slope: den === 0 ? 0 : num / den,
    pct_change: first === 0 ? (last === 0 ? 0 : null) : ((last - first) / Math.abs(first)) * 100,
    r_squared: n < 2 || den === 0 || ssTotal === 0 ? null : Math.min(1, (num * num) / (den * ssTotal)),
  };
}
