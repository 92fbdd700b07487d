/** Two scores' AUCs on the same rows, with their standard errors and that of their difference. */
export interface AucComparison {
  readonly a: { readonly auc: number; readonly se: number };
  readonly b: { readonly auc: number; readonly se: number };
  /** AUC of a − AUC of b. */
  readonly difference: number;
  /** Standard error of the difference: paired, so the rows both are judged on cancel out of it. */
  readonly differenceSe: number;
  readonly positives: number;
  readonly negatives: number;
}

/**
 * DeLong, DeLong & Clarke-Pearson (1988): the AUC of each score as the mean of its placements
 * (each positive's share of negatives scored below it, ties half) and the covariance of the two
 * through those placements, so a difference measured on the same validation rows gets its own,
 * smaller, standard error. O(positives × negatives): a validation set of churn rows has few
 * positives (the default world's ~50), so the direct sum is cheap.
 */
export function compareAucs(labels: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>): AucComparison {
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < labels.length; i++) (labels[i] === 1 ? pos : neg).push(i);
  const m = pos.length;
  const n = neg.length;
  if (m < 2 || n < 2) throw new RangeError(`compareAucs: at least two rows of each class are needed (got ${m} positives, ${n} negatives)`);
  const psi = (x: number, y: number) => (x > y ? 1 : x === y ? 0.5 : 0);
  // Placements: per positive over the negatives (v10), per negative over the positives (v01).
  const v10 = [new Float64Array(m), new Float64Array(m)];
  const v01 = [new Float64Array(n), new Float64Array(n)];
  [a, b].forEach((s, k) => {
    for (let i = 0; i < m; i++) {
      const x = s[pos[i]];
      for (let j = 0; j < n; j++) {
        const p = psi(x, s[neg[j]]);
        v10[k][i] += p;
        v01[k][j] += p;
      }
    }
    for (let i = 0; i < m; i++) v10[k][i] /= n;
    for (let j = 0; j < n; j++) v01[k][j] /= m;
  });
  const mean = (v: Float64Array) => v.reduce((s, x) => s + x, 0) / v.length;
  const auc = [mean(v10[0]), mean(v10[1])];
  const cov = (v: Float64Array[], k: number, l: number) => {
    let s = 0;
    for (let i = 0; i < v[k].length; i++) s += (v[k][i] - auc[k]) * (v[l][i] - auc[l]);
    return s / (v[k].length - 1);
  };
  const variance = (k: number, l: number) => cov(v10, k, l) / m + cov(v01, k, l) / n;
  const va = variance(0, 0);
  const vb = variance(1, 1);
  const vab = variance(0, 1);
  return {
    a: { auc: auc[0], se: Math.sqrt(va) },
    b: { auc: auc[1], se: Math.sqrt(vb) },
    difference: auc[0] - auc[1],
    differenceSe: Math.sqrt(Math.max(0, va + vb - 2 * vab)),
    positives: m,
    negatives: n,
  };
}
