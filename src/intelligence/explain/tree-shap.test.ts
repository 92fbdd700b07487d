import { describe, expect, it } from 'vitest';
import type { Tree } from '../learners/gradient-boosting.js';
import { fitBoosting } from '../learners/gradient-boosting.js';
import { boostedOutput } from '../learners/gradient-boosting.js';
import { treeExpectedValue, treeShap } from './tree-shap.js';
import { createRng } from '../random.js';
import { formatReasons } from './reasons.js';

/** E[f(x) | x_S] under the path-dependent definition: unknown features average children by cover. */
function conditional(tree: Tree, x: number[], known: Set<number>, node = 0): number {
  const f = tree.feature[node];
  if (f < 0) return tree.value[node];
  const l = tree.left[node];
  const r = tree.right[node];
  if (known.has(f)) {
    const v = x[f];
    const left = v <= tree.threshold[node] ? true : v > tree.threshold[node] ? false : tree.missingLeft[node] === 1;
    return conditional(tree, x, known, left ? l : r);
  }
  return (tree.cover[l] * conditional(tree, x, known, l) + tree.cover[r] * conditional(tree, x, known, r)) / tree.cover[node];
}

function bruteForceShapley(tree: Tree, x: number[], p: number): number[] {
  const fact = (k: number): number => (k <= 1 ? 1 : k * fact(k - 1));
  const phi = new Array<number>(p).fill(0);
  for (let i = 0; i < p; i++) {
    for (let mask = 0; mask < 1 << p; mask++) {
      if (mask & (1 << i)) continue;
      const S = new Set<number>();
      for (let j = 0; j < p; j++) if (mask & (1 << j)) S.add(j);
      const w = (fact(S.size) * fact(p - S.size - 1)) / fact(p);
      const withI = new Set(S).add(i);
      phi[i] += w * (conditional(tree, x, withI) - conditional(tree, x, S));
    }
  }
  return phi;
}

// A hand-built tree that splits on feature 0 twice along one path and uses a missing value.
const tiny: Tree = {
  feature: [0, 1, 0, -1, -1, 2, -1, -1, -1],
  threshold: [0.5, 0.3, 0.8, 0, 0, 0.1, 0, 0, 0],
  missingLeft: [1, 0, 0, 0, 0, 1, 0, 0, 0],
  left: [1, 3, 5, -1, -1, 7, -1, -1, -1],
  right: [2, 4, 6, -1, -1, 8, -1, -1, -1],
  value: [0, 0, 0, 1.5, -0.5, 0, 2, -1, 0.25],
  cover: [100, 60, 40, 35, 25, 30, 10, 12, 18],
};

describe('TreeSHAP', () => {
  it.each([
    [[0.2, 0.1, 0.0]],
    [[0.7, 0.9, 0.5]],
    [[0.9, 0.0, -1]],
    [[Number.NaN, 0.4, 0.05]],
    [[0.6, Number.NaN, Number.NaN]],
  ])('matches brute-force Shapley values on a tiny tree for %j', (x) => {
    const phi = new Float64Array(3);
    treeShap(tiny, x, phi);
    const expected = bruteForceShapley(tiny, x, 3);
    for (let j = 0; j < 3; j++) expect(phi[j]).toBeCloseTo(expected[j], 10);
  });

  it('contributions sum to the model output minus the expected value on a fitted ensemble', () => {
    const rng = createRng(11);
    const n = 1500;
    const p = 4;
    const data = new Float64Array(n * p).map(() => rng.next());
    for (let i = 0; i < n; i += 9) data[i * p + 2] = Number.NaN;
    const y = Array.from({ length: n }, (_, i) => (data[i * p] + (data[i * p + 1] > 0.5 ? 0.5 : 0) + rng.next() * 0.5 > 1 ? 1 : 0));
    const model = fitBoosting({ rows: n, cols: p, data }, y, { seed: 2, maxIterations: 50 });
    const expected = model.baseScore + model.trees.reduce((s, t) => s + treeExpectedValue(t), 0);
    for (let i = 0; i < 20; i++) {
      const row = data.subarray(i * p, (i + 1) * p);
      const phi = new Float64Array(p);
      for (const t of model.trees) treeShap(t, row, phi);
      expect(expected + phi.reduce((a, b) => a + b, 0)).toBeCloseTo(boostedOutput(model, row), 9);
    }
  });
});

describe('reasons', () => {
  it('renders the largest contributions with sign and value', () => {
    const lines = formatReasons(
      [
        { feature: 'Contract', value: 'Month-to-month', contribution: 0.314 },
        { feature: 'tenure', value: '2', contribution: 0.22 },
        { feature: 'gender', value: 'Male', contribution: 0.001 },
        { feature: 'TechSupport', value: 'Yes', contribution: -0.4 },
      ],
      { top: 3 },
    );
    expect(lines).toEqual(['TechSupport = Yes: −0.40', 'Contract = Month-to-month: +0.31', 'tenure = 2: +0.22']);
  });
});
