import type { SparseVector } from "./tfidf.js";

/**
 * Multinomial logistic regression (softmax) with L2 regularisation, fitted by full-batch
 * Nesterov-accelerated gradient descent. The objective
 *
 *   f(W, b) = (1/Σw) Σ_i w_i · -log softmax(W x_i + b)[y_i]  +  (λ/2) ‖W‖²
 *
 * is smooth and strongly convex in W, so with rows of norm ≤ 1 the gradient is Lipschitz
 * with L ≤ 1 + λ (softmax Hessian ≤ ½ I, augmented rows ‖(x, 1)‖² ≤ 2), the step 1/L is safe
 * and the momentum (√κ − 1)/(√κ + 1), κ = L/λ, gives linear convergence. Everything is
 * deterministic: weights start at zero and samples are visited in a fixed order.
 */
export interface SoftmaxOptions {
  l2: number;
  maxIterations: number;
  /** Stop when the largest absolute gradient component falls below this. */
  tolerance: number;
}

export interface SoftmaxWeights {
  classes: number;
  dimension: number;
  /** Row-major classes × dimension. */
  w: Float64Array;
  b: Float64Array;
  iterations: number;
  converged: boolean;
}

export function logits(
  model: Pick<SoftmaxWeights, "classes" | "dimension" | "w" | "b">,
  x: SparseVector,
): Float64Array {
  const out = new Float64Array(model.classes);
  for (let k = 0; k < model.classes; k++) {
    let z = model.b[k] ?? 0;
    const row = k * model.dimension;
    for (let j = 0; j < x.index.length; j++) z += (model.w[row + (x.index[j] ?? 0)] ?? 0) * (x.value[j] ?? 0);
    out[k] = z;
  }
  return out;
}

/** Numerically stable softmax of z / temperature. */
export function softmax(z: Float64Array, temperature = 1): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of z) max = Math.max(max, v / temperature);
  const out = new Float64Array(z.length);
  let sum = 0;
  for (let k = 0; k < z.length; k++) {
    const e = Math.exp((z[k] ?? 0) / temperature - max);
    out[k] = e;
    sum += e;
  }
  for (let k = 0; k < z.length; k++) out[k] = (out[k] ?? 0) / sum;
  return out;
}

export function fitSoftmax(
  rows: readonly SparseVector[],
  labels: readonly number[],
  sampleWeights: readonly number[],
  classes: number,
  dimension: number,
  opts: SoftmaxOptions,
): SoftmaxWeights {
  const size = classes * dimension;
  const totalWeight = sampleWeights.reduce((a, b) => a + b, 0);
  const lambda = opts.l2;
  const lipschitz = 1 + lambda;
  const step = 1 / lipschitz;
  const kappa = lipschitz / lambda;
  const momentum = (Math.sqrt(kappa) - 1) / (Math.sqrt(kappa) + 1);

  // x: current iterate, y: look-ahead point where the gradient is taken.
  const xw = new Float64Array(size);
  const xb = new Float64Array(classes);
  const yw = new Float64Array(size);
  const yb = new Float64Array(classes);
  const gw = new Float64Array(size);
  const gb = new Float64Array(classes);
  const z = new Float64Array(classes);
  let iterations = 0;
  let converged = false;

  for (; iterations < opts.maxIterations; iterations++) {
    gw.fill(0);
    gb.fill(0);
    for (let i = 0; i < rows.length; i++) {
      const x = rows[i];
      if (x === undefined) continue;
      const nnz = x.index.length;
      let max = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < classes; k++) {
        let s = yb[k] ?? 0;
        const row = k * dimension;
        for (let j = 0; j < nnz; j++) s += (yw[row + (x.index[j] ?? 0)] ?? 0) * (x.value[j] ?? 0);
        z[k] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let k = 0; k < classes; k++) {
        const e = Math.exp((z[k] ?? 0) - max);
        z[k] = e;
        sum += e;
      }
      const scale = (sampleWeights[i] ?? 1) / totalWeight;
      const y = labels[i] ?? 0;
      for (let k = 0; k < classes; k++) {
        const g = ((z[k] ?? 0) / sum - (k === y ? 1 : 0)) * scale;
        gb[k] = (gb[k] ?? 0) + g;
        const row = k * dimension;
        for (let j = 0; j < nnz; j++) {
          const at = row + (x.index[j] ?? 0);
          gw[at] = (gw[at] ?? 0) + g * (x.value[j] ?? 0);
        }
      }
    }
    let largest = 0;
    for (let i = 0; i < size; i++) {
      const g = (gw[i] ?? 0) + lambda * (yw[i] ?? 0);
      gw[i] = g;
      if (g > largest) largest = g;
      else if (-g > largest) largest = -g;
    }
    for (const g of gb) largest = Math.max(largest, Math.abs(g));
    if (largest < opts.tolerance) {
      converged = true;
      xw.set(yw);
      xb.set(yb);
      break;
    }
    for (let i = 0; i < size; i++) {
      const next = (yw[i] ?? 0) - step * (gw[i] ?? 0);
      yw[i] = next + momentum * (next - (xw[i] ?? 0));
      xw[i] = next;
    }
    for (let k = 0; k < classes; k++) {
      const next = (yb[k] ?? 0) - step * (gb[k] ?? 0);
      yb[k] = next + momentum * (next - (xb[k] ?? 0));
      xb[k] = next;
    }
  }
  return { classes, dimension, w: xw, b: xb, iterations, converged };
}
