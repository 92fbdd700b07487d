/**
 * Seeded pseudo-random primitives, so that every draw in the system is reproducible from an
 * integer and nothing depends on Math.random. Two generators, one per purpose:
 * - `seededRandom` (mulberry32): one small, fast stream: workloads, splits, shuffles, control draws;
 * - the sandbox's `Prng` (xoshiro128**, in sandbox/prng.ts), seeded through `fmix32`: the world's
 *   many named streams.
 * The Monte Carlo kernel keeps its own inlined xorshift (simulation/sim-random.ts) for its hot loop.
 * Changing any of these changes every stored world, model split and benchmark: don't.
 */

/** The murmur3 32-bit finaliser: spreads every input bit over the whole word (signed result). */
export function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** mulberry32 from its raw 32-bit state: uniform numbers in [0, 1); tiny and fast, statistically ample for its uses. */
export function seededRandom(state: number): () => number {
  let a = state | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
