import type { KernelPopulation } from './monte-carlo-kernel.js';

/**
 * A kernel population laid out in SharedArrayBuffers, so worker threads read the same memory
 * instead of each receiving a copy.
 */

/** The buffers of a shared population, as posted to a worker. */
export interface SharedPopulation {
  readonly n: number;
  readonly hazard: SharedArrayBuffer;
  readonly revenue: SharedArrayBuffer;
  readonly revenueVar: SharedArrayBuffer;
  readonly segment: SharedArrayBuffer;
  readonly treated: SharedArrayBuffer;
  readonly contacts: SharedArrayBuffer;
  readonly contactCost: SharedArrayBuffer;
  readonly discountLoss: SharedArrayBuffer;
  readonly relHazard: SharedArrayBuffer;
  readonly revenueDelta: SharedArrayBuffer;
  readonly acceptShift: SharedArrayBuffer;
  readonly contactScale: SharedArrayBuffer;
  readonly fall: SharedArrayBuffer;
}

const F32 = ['hazard', 'revenue', 'revenueVar', 'contactCost', 'discountLoss', 'relHazard', 'revenueDelta', 'acceptShift', 'contactScale', 'fall'] as const;
const U8 = ['segment', 'treated', 'contacts'] as const;

/** A kernel population whose arrays all live in shared memory, zero-filled (relHazard and contactScale 1). */
export function allocateShared(n: number): { shared: SharedPopulation; view: KernelPopulation } {
  return withScenarioColumns({ n, hazard: new SharedArrayBuffer(n * 4), revenue: new SharedArrayBuffer(n * 4), revenueVar: new SharedArrayBuffer(n * 4) });
}

/** Typed-array views over shared buffers (in a worker, or in the thread that filled them). */
export function viewOf(s: SharedPopulation): KernelPopulation {
  const out: Record<string, unknown> = { n: s.n };
  for (const k of F32) out[k] = new Float32Array(s[k], 0, s.n);
  for (const k of U8) out[k] = new Uint8Array(s[k], 0, s.n);
  return out as unknown as KernelPopulation;
}

/**
 * Shares the per-twin arrays of a population (twins, hazard, revenue and its variance) and gives it fresh scenario
 * columns: two scenarios over the same twins differ only in those.
 */
export function withScenarioColumns(base: Pick<SharedPopulation, 'n' | 'hazard' | 'revenue' | 'revenueVar'>): { shared: SharedPopulation; view: KernelPopulation } {
  const n = base.n;
  const f32 = () => new SharedArrayBuffer(n * 4);
  const u8 = () => new SharedArrayBuffer(Math.max(1, n));
  const shared: SharedPopulation = {
    n,
    hazard: base.hazard,
    revenue: base.revenue,
    revenueVar: base.revenueVar,
    segment: u8(),
    treated: u8(),
    contacts: u8(),
    contactCost: f32(),
    discountLoss: f32(),
    relHazard: f32(),
    revenueDelta: f32(),
    acceptShift: f32(),
    contactScale: f32(),
    fall: f32(),
  };
  const view = viewOf(shared);
  view.relHazard.fill(1);
  view.contactScale.fill(1);
  view.fall.fill(1);
  return { shared, view };
}
