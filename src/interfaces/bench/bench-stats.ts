import { TwinloopError } from '../../domain/errors.js';

/** `x` rounded to `digits` decimals (figures are printed, not computed with). */
export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** `value / baseline` rounded, the ratio every bench prints; 0 when the baseline measured nothing. */
export function ratio(value: number, baseline: number, digits = 3): number {
  return baseline > 0 ? round(value / baseline, digits) : 0;
}

/** The figures a sample can be summarised by. */
export type SampleStat = 'count' | 'mean' | 'p10' | 'p50' | 'p90' | 'p99' | 'max';

const QUANTILE: Partial<Record<SampleStat, number>> = { p10: 0.1, p50: 0.5, p90: 0.9, p99: 0.99 };

/**
 * The chosen figures of `samples`, rounded to `digits`, in the order asked (the JSON's field
 * order). Percentiles are nearest-rank: the smallest sample with at least that share at or below
 * it. An empty sample gives zeros.
 */
export function sampleStats<K extends SampleStat>(samples: ArrayLike<number>, stats: readonly K[], digits = 3): { [P in K]: number } {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  const at = (q: number): number => (n === 0 ? 0 : sorted[Math.max(0, Math.ceil(q * n) - 1)]);
  const value = (stat: SampleStat): number => {
    if (stat === 'count') return n;
    if (stat === 'mean') return n === 0 ? 0 : sorted.reduce((a, b) => a + b, 0) / n;
    if (stat === 'max') return n === 0 ? 0 : sorted[n - 1];
    return at(QUANTILE[stat]!);
  };
  return Object.fromEntries(stats.map((s) => [s, s === 'count' ? n : round(value(s), digits)])) as { [P in K]: number };
}

/**
 * Times `fn(i)` one call at a time for i < n, in µs, after `warmup` untimed calls (so the JIT has
 * compiled what is measured).
 */
export function timeEach(n: number, fn: (i: number) => void, warmup = 0): Float64Array {
  for (let i = 0; i < warmup; i++) fn(i);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn(i);
    out[i] = (performance.now() - t) * 1000;
  }
  return out;
}

/** Best rate (items per second) over `runs` runs of `fn` over `items` items: the machine is shared, best-of damps the noise. */
export function bestRate(items: number, runs: number, fn: () => void): number {
  let best = 0;
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    fn();
    best = Math.max(best, items / ((performance.now() - t) / 1000));
  }
  return best;
}

/**
 * Uses a value a baseline loop computed, so that the JIT cannot drop the loop as dead code; a NaN
 * would mean the loop read garbage.
 */
export function consume(sink: number): void {
  if (Number.isNaN(sink)) throw new TwinloopError('INTERNAL', 'a bench baseline computed NaN: its loop read garbage; report this as a bug');
}

/**
 * The longest stretch the event loop was held while `work` ran: the largest gap between two turns
 * of a `setImmediate` chain running beside it (a turn runs only when the loop is free). Also the
 * work's own wall time.
 */
export async function longestHold(work: () => Promise<void>): Promise<{ holdMs: number; wallMs: number }> {
  let last = performance.now();
  let longest = 0;
  let running = true;
  const turn = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (running) setImmediate(turn);
  };
  setImmediate(turn);
  await new Promise<void>((resolve) => setImmediate(resolve));
  const t0 = performance.now();
  await work();
  const wallMs = performance.now() - t0;
  running = false;
  await new Promise<void>((resolve) => setImmediate(resolve));
  return { holdMs: longest, wallMs };
}

/** The middle of `xs` (the upper one of an even count). */
export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
