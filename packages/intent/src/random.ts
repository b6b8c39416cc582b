/** A small seeded PRNG (mulberry32): the same seed gives the same sequence on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of a copy, driven by `random`. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}

/**
 * Stratified k-fold assignment: each label's items are shuffled and dealt round-robin over the
 * folds, continuing where the previous label stopped, so every fold gets ⌊n_label/k⌋ or
 * ⌈n_label/k⌉ of each label and fold sizes differ by at most one per label.
 * Returns the fold number of each item.
 */
export function stratifiedFolds(labels: readonly string[], folds: number, seed: number): number[] {
  const random = seededRandom(seed);
  const byLabel = new Map<string, number[]>();
  labels.forEach((label, i) => {
    const list = byLabel.get(label);
    if (list) list.push(i);
    else byLabel.set(label, [i]);
  });
  const fold = new Array<number>(labels.length).fill(0);
  let next = 0;
  for (const label of [...byLabel.keys()].sort()) {
    for (const i of shuffled(byLabel.get(label) ?? [], random)) {
      fold[i] = next;
      next = (next + 1) % folds;
    }
  }
  return fold;
}
