import { fmix32, seededRandom } from '../domain/seeded-random.js';

/**
 * The learners' seeded generator, so every split, subsample and shuffle is reproducible from one
 * integer seed (the domain's mulberry32, see domain/seeded-random.ts).
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

/** Creates a deterministic generator; the same seed always yields the same stream. */
export function createRng(seed: number): Rng {
  // Hash the seed so nearby seeds (1, 2, 3 …) start far apart on the cycle.
  const next = seededRandom(fmix32((seed | 0) ^ 0x9e3779b9));
  return { next, int: (n) => Math.floor(next() * n) };
}

/** Fisher–Yates shuffle in place. */
export function shuffleInPlace(values: Uint32Array | number[], rng: Rng): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = values[i];
    values[i] = values[j];
    values[j] = t;
  }
}
