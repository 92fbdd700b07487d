/**
 * The simulator's random numbers: a 32-bit xorshift stream per draw, seeded through a splitmix
 * style hash of (seed, draw), so a draw's numbers do not depend on which worker runs it.
 */

/**
 * A counter-based hash of (seed, index, stream) to 32 bits (signed): the same triple always gives
 * the same word, whichever worker or loop order asks.
 */
export function counterHash(seed: number, index: number, stream: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b) ^ Math.imul(stream + 7, 0xc2b2ae35)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return h ^ (h >>> 16);
}

/** A non-zero xorshift32 state for draw `draw` of a run seeded `seed`. */
export function drawState(seed: number, draw: number, stream: number): number {
  return counterHash(seed, draw, stream) || 0x6d2b79f5;
}

/**
 * A stable number in [0, 1) per (scenario seed, twin, purpose), independent of the draws (whom a
 * channel reaches, who falls in the control group). The seed is salted and the purpose shifted so
 * these never coincide with a draw's stream.
 */
export function unitHash(seed: number, twin: number, purpose: number): number {
  return (counterHash(seed ^ 0x5bd1e995, twin, purpose - 4) >>> 0) / 4294967296;
}

/** A small generator for per-draw parameters (not the hot loop, which inlines its xorshift). */
export class DrawRandom {
  private s: number;
  private spare = Number.NaN;
  constructor(seed: number, draw: number, stream: number) {
    this.s = drawState(seed, draw, stream);
  }
  /** Uniform in (0, 1). */
  next(): number {
    let s = this.s;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.s = s;
    return ((s >>> 0) + 0.5) / 4294967296;
  }
  /** Poisson with mean `lambda` (by inversion; a normal approximation above 50). */
  poisson(lambda: number): number {
    if (!(lambda > 0)) return 0;
    if (lambda > 50) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * this.normal()));
    // Inversion: one uniform, walked up the cumulative distribution.
    const u = this.next();
    let k = 0;
    let pk = Math.exp(-lambda);
    let cdf = pk;
    while (u > cdf && k < 1000) {
      k++;
      pk *= lambda / k;
      cdf += pk;
    }
    return k;
  }
  /** Standard normal (Box–Muller, the second value kept for the next call). */
  normal(): number {
    if (this.spare === this.spare) {
      const v = this.spare;
      this.spare = Number.NaN;
      return v;
    }
    const r = Math.sqrt(-2 * Math.log(this.next()));
    const t = 2 * Math.PI * this.next();
    this.spare = r * Math.sin(t);
    return r * Math.cos(t);
  }
}
