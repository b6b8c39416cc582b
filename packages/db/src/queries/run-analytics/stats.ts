/**
 * Significance tests of `runs compare`, two-sided, normal approximations:
 * - two-proportion z test (pooled standard error) for pass rates;
 * - Mann-Whitney U for latencies (skewed, ties common): mid-ranks for ties, the tie-corrected variance
 *   and a continuity correction of 0.5, as scipy.stats.mannwhitneyu(method="asymptotic") computes it.
 */

/** erfc(x), Numerical Recipes' Chebyshev fit (fractional error below 1.2e-7 everywhere). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Two-sided p-value of a standard normal statistic. */
export function twoSidedP(z: number): number {
  return Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
}

export interface ProportionTest {
  /** z of B's proportion minus A's (positive: B higher). */
  z: number;
  p_value: number;
}

/** Two-proportion z test of xa/na against xb/nb; null when a side is empty. */
export function twoProportionZ(xa: number, na: number, xb: number, nb: number): ProportionTest | null {
  if (na === 0 || nb === 0) return null;
  const pool = (xa + xb) / (na + nb);
  const se = Math.sqrt(pool * (1 - pool) * (1 / na + 1 / nb));
  if (se === 0) return { z: 0, p_value: 1 };
  const z = (xb / nb - xa / na) / se;
  return { z, p_value: twoSidedP(z) };
}

export interface RankTest {
  /** U of B (pairs where B's value is the larger, ties counting half). */
  u: number;
  /** U / (na * nb): the chance a value of B exceeds one of A (0.5: no shift). */
  effect: number;
  /** z of U (positive: B tends larger). */
  z: number;
  p_value: number;
}

/** Mann-Whitney U test of B against A; null when a side is empty. */
export function mannWhitneyU(a: readonly number[], b: readonly number[]): RankTest | null {
  const na = a.length;
  const nb = b.length;
  if (na === 0 || nb === 0) return null;
  const all = [...a.map((v) => ({ v, b: false })), ...b.map((v) => ({ v, b: true }))].sort((x, y) => x.v - y.v);
  const n = all.length;
  let rankSumB = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && all[j + 1]?.v === all[i]?.v) j++;
    const t = j - i + 1;
    const mid = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (all[k]?.b) rankSumB += mid;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  const u = rankSumB - (nb * (nb + 1)) / 2;
  const mu = (na * nb) / 2;
  const sigma = Math.sqrt(((na * nb) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const effect = u / (na * nb);
  if (!(sigma > 0)) return { u, effect, z: 0, p_value: 1 };
  // continuity correction towards the mean
  const d = u - mu;
  const z = (d === 0 ? 0 : d - 0.5 * Math.sign(d)) / sigma;
  return { u, effect, z, p_value: twoSidedP(z) };
}
