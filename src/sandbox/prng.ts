import { fmix32 } from '../domain/seeded-random.js';
import { fnv1a32 } from '../domain/string-hash.js';

/**
 * The sandbox's own seeded pseudo-random generator: xoshiro128** seeded through splitmix32, a
 * named stream's label hashed in (FNV-1a). Never Math.random: the same seed must rebuild the same
 * world, byte for byte.
 */

/** splitmix32 step; used to expand one seed into the four words xoshiro needs. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  return fmix32(state.s) >>> 0;
}

/**
 * A uniform number in [0, 1) from the seed, a salt, a customer slot and a day alone (a 32-bit
 * hash, no stream): a draw that moves no other draw of the world, and is the same in every copy of
 * it. Each use has its own `salt`, so no two coincide.
 */
export function slotDayDie(seed: number, salt: number, c: number, d: number): number {
  return slotDayHash(seed, salt, c, d) / 4294967296;
}

/** The 32-bit hash behind `slotDayDie` (unsigned): the seed of a customer's own stream of a day (`WorldState.customerRng`). */
export function slotDayHash(seed: number, salt: number, c: number, d: number): number {
  let h = (Math.imul(seed ^ salt, 0x9e3779b1) ^ Math.imul(c + 1, 0x85ebca6b) ^ Math.imul(d + 1, 0xc2b2ae35)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A seeded stream of random numbers with the draws the world needs. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = NaN;

  /** `seed` is any integer; `label` names an independent stream of the same seed. */
  constructor(seed: number, label = '') {
    this.a = this.b = this.c = this.d = 0;
    this.reseed(seed, label);
  }

  /** Starts the stream over as `new Prng(seed, label)` would (a world redrawn from a day on). */
  reseed(seed: number, label = ''): void {
    const st = { s: (Math.trunc(seed) ^ fnv1a32(label)) | 0 };
    this.a = splitmix32(st);
    this.b = splitmix32(st);
    this.c = splitmix32(st);
    this.d = splitmix32(st);
    this.spare = NaN;
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.nextU32() / 4294967296;
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Standard normal (Marsaglia polar method, keeping the spare draw). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = NaN;
      return s;
    }
    let u = 0;
    let v = 0;
    let q = 0;
    do {
      u = this.float() * 2 - 1;
      v = this.float() * 2 - 1;
      q = u * u + v * v;
    } while (q >= 1 || q === 0);
    const f = Math.sqrt((-2 * Math.log(q)) / q);
    this.spare = v * f;
    return u * f;
  }

  /** Log-normal with the given median and log-scale spread. */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.float());
  }

  /** Pareto (heavy tail) with minimum 1 and shape alpha. */
  pareto(alpha: number): number {
    return Math.pow(1 - this.float(), -1 / alpha);
  }

  /** Poisson count (Knuth for small means, normal approximation above 30). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    return this.poissonFromExp(Math.exp(-mean));
  }

  /** Poisson count given exp(-mean), precomputed by the caller for a hot loop (Knuth; small means). */
  poissonFromExp(expMinusMean: number): number {
    let k = 0;
    let p = this.float();
    while (p > expMinusMean) {
      k++;
      p *= this.float();
    }
    return k;
  }

  /** Index drawn with probability proportional to `weights`. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let x = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i];
      if (x < 0) return i;
    }
    return weights.length - 1;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
