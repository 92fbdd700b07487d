import { TwinloopError } from '../domain/errors.js';
import type { AcceptanceModel } from './acceptance-model.js';

/** A Beta prior stated as a mean acceptance and a strength in pseudo-observations. */
export interface AcceptancePrior {
  /** Prior mean acceptance, in (0, 1). */
  readonly mean: number;
  /** How many observations the prior is worth (α + β); > 0. */
  readonly strength: number;
}

/** Options of `createOfferLearner`, checked once by the factory. */
export interface OfferLearnerOptions {
  /** Prior of every offer without its own entry in `offerPriors`. */
  readonly prior: AcceptancePrior;
  /** Per-offer priors (e.g. from the catalogue's configured acceptance). */
  readonly offerPriors?: Readonly<Record<string, AcceptancePrior>>;
  /**
   * Pseudo-observations a context cell borrows from its offer's pooled posterior (the other
   * contexts' evidence plus the prior). Default 10: a cell with 10 observations of its own weighs
   * half its own rate, half the pool's.
   */
  readonly poolStrength?: number;
  /**
   * Forgetting: every observation of a cell first multiplies that cell's counts by this factor,
   * so the memory is about 1 / (1 − discount) observations per cell. 1 (default) forgets nothing.
   */
  readonly discount?: number;
}

/** Evidence of one (offer, context) cell, as persisted. */
export interface LearnerCell {
  readonly offerId: string;
  readonly contextKey: string;
  /** (Discounted) acceptances. */
  readonly accepted: number;
  /** (Discounted) declines. */
  readonly declined: number;
}

/** The learner's state as plain JSON (persist with JSON.stringify; options are not part of it). */
export interface OfferLearnerSnapshot {
  readonly version: 1;
  readonly cells: readonly LearnerCell[];
}

/** A Beta posterior's parameters. */
export interface BetaPosterior {
  readonly alpha: number;
  readonly beta: number;
}

/** Online Beta–Bernoulli acceptance learner per (offer, context), with Thompson draws. */
export interface OfferLearner extends AcceptanceModel {
  /** Records one outcome of presenting `offerId` in `contextKey`. */
  observe(offerId: string, contextKey: string, accepted: boolean): void;
  /** A Thompson draw from the cell's posterior, using uniforms from `u`. */
  sample(offerId: string, contextKey: string, u: () => number): number;
  /** `sample` bound to one cell's posterior as it is now (read once). */
  sampler(offerId: string, contextKey: string): (u: () => number) => number;
  /** The cell's posterior (context evidence on top of the pooled prior). */
  posterior(offerId: string, contextKey: string): BetaPosterior;
  /** The state as plain JSON. */
  snapshot(): OfferLearnerSnapshot;
  /** Replaces the state with a snapshot's (validated). */
  restore(snapshot: unknown): void;
}

interface Counts {
  accepted: number;
  declined: number;
}

function checkPrior(p: AcceptancePrior, what: string): void {
  if (!(p.mean > 0 && p.mean < 1)) throw new TwinloopError('BAD_INPUT', `${what}.mean must be in (0, 1); got ${p.mean}`);
  if (!(p.strength > 0 && Number.isFinite(p.strength))) {
    throw new TwinloopError('BAD_INPUT', `${what}.strength must be a positive number of pseudo-observations; got ${p.strength}`);
  }
}

/**
 * Creates an online acceptance learner. Hierarchy: an offer's pooled posterior is its prior plus
 * the evidence of every context; a cell's posterior is Beta(k·m + a, k·(1 − m) + d), where a, d
 * are the cell's own counts, m the pooled mean of the offer's *other* contexts (leave-one-out, so a
 * cell does not count its own evidence twice) and k = poolStrength. A cell with little evidence
 * therefore reads as its offer's overall rate, and a well-observed one as its own.
 */
export function createOfferLearner(options: OfferLearnerOptions): OfferLearner {
  checkPrior(options.prior, 'prior');
  for (const [id, p] of Object.entries(options.offerPriors ?? {})) checkPrior(p, `offerPriors.${id}`);
  const poolStrength = options.poolStrength ?? 10;
  if (!(poolStrength > 0 && Number.isFinite(poolStrength))) throw new TwinloopError('BAD_INPUT', `poolStrength must be > 0; got ${poolStrength}`);
  const discount = options.discount ?? 1;
  if (!(discount > 0 && discount <= 1)) throw new TwinloopError('BAD_INPUT', `discount must be in (0, 1]; got ${discount}`);

  // Cells grouped by offer, in insertion order (kept through snapshot and restore, so the pooled
  // sums below add up in the same order and a restored learner answers bit for bit the same).
  let byOffer = new Map<string, Map<string, Counts>>();
  // Per-offer sums over cells, recomputed on the first read after the offer changes.
  const totals = new Map<string, Counts>();
  const priorOf = (offerId: string) => options.offerPriors?.[offerId] ?? options.prior;
  const totalOf = (offerId: string): Counts | undefined => {
    const cached = totals.get(offerId);
    if (cached) return cached;
    const cellsOf = byOffer.get(offerId);
    if (!cellsOf) return undefined;
    const t = { accepted: 0, declined: 0 };
    for (const c of cellsOf.values()) {
      t.accepted += c.accepted;
      t.declined += c.declined;
    }
    totals.set(offerId, t);
    return t;
  };

  const posterior = (offerId: string, contextKey: string): BetaPosterior => {
    const p = priorOf(offerId);
    const own = byOffer.get(offerId)?.get(contextKey);
    const total = totalOf(offerId);
    const oa = own?.accepted ?? 0;
    const od = own?.declined ?? 0;
    // Leave-one-out pool; clamped because float subtraction may land a hair below zero.
    const pa = Math.max(0, (total?.accepted ?? 0) - oa);
    const pd = Math.max(0, (total?.declined ?? 0) - od);
    const poolMean = (p.mean * p.strength + pa) / (p.strength + pa + pd);
    return { alpha: poolStrength * poolMean + oa, beta: poolStrength * (1 - poolMean) + od };
  };

  const learner: OfferLearner = {
    observe(offerId, contextKey, accepted) {
      let cellsOf = byOffer.get(offerId);
      if (!cellsOf) byOffer.set(offerId, (cellsOf = new Map()));
      let cell = cellsOf.get(contextKey);
      if (!cell) cellsOf.set(contextKey, (cell = { accepted: 0, declined: 0 }));
      cell.accepted = cell.accepted * discount + (accepted ? 1 : 0);
      cell.declined = cell.declined * discount + (accepted ? 0 : 1);
      totals.delete(offerId);
    },
    mean(offerId, contextKey) {
      const { alpha, beta } = posterior(offerId, contextKey);
      return alpha / (alpha + beta);
    },
    sample(offerId, contextKey, u) {
      const { alpha, beta } = posterior(offerId, contextKey);
      return sampleBeta(alpha, beta, u);
    },
    sampler(offerId, contextKey) {
      const { alpha, beta } = posterior(offerId, contextKey);
      return (u) => sampleBeta(alpha, beta, u);
    },
    posterior,
    drawsFromPosterior: true,
    snapshot() {
      const cells: LearnerCell[] = [];
      for (const [offerId, cellsOf] of byOffer) for (const [contextKey, c] of cellsOf) cells.push({ offerId, contextKey, accepted: c.accepted, declined: c.declined });
      return { version: 1, cells };
    },
    restore(snapshot) {
      const parsed = parseSnapshot(snapshot);
      const next = new Map<string, Map<string, Counts>>();
      for (const c of parsed.cells) {
        let cellsOf = next.get(c.offerId);
        if (!cellsOf) next.set(c.offerId, (cellsOf = new Map()));
        cellsOf.set(c.contextKey, { accepted: c.accepted, declined: c.declined });
      }
      byOffer = next;
      totals.clear();
    },
  };
  return learner;
}

/** Checks a persisted snapshot's shape (it comes from storage, so it is validated like input). */
function parseSnapshot(value: unknown): OfferLearnerSnapshot {
  const bad = (what: string) => new TwinloopError('BAD_INPUT', `learner snapshot: ${what}; pass a value made by snapshot()`);
  if (typeof value !== 'object' || value === null) throw bad('expected an object');
  const v = value as { version?: unknown; cells?: unknown };
  if (v.version !== 1) throw bad(`unsupported version ${String(v.version)}`);
  if (!Array.isArray(v.cells)) throw bad('cells must be an array');
  const cells: LearnerCell[] = v.cells.map((c: unknown, i: number) => {
    const cell = (c ?? {}) as Record<string, unknown>;
    const { offerId, contextKey, accepted, declined } = cell;
    if (typeof offerId !== 'string' || typeof contextKey !== 'string') throw bad(`cells[${i}] needs string offerId and contextKey`);
    if (typeof accepted !== 'number' || typeof declined !== 'number' || !(accepted >= 0) || !(declined >= 0)) {
      throw bad(`cells[${i}] needs non-negative accepted and declined counts`);
    }
    return { offerId, contextKey, accepted, declined };
  });
  return { version: 1, cells };
}

/** A standard normal draw from two uniforms (Box–Muller); 1 − u keeps the log away from 0. */
function sampleNormal(u: () => number): number {
  const u1 = 1 - u();
  const u2 = u();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * A Gamma(shape, 1) draw by Marsaglia and Tsang's squeeze method (about 1.03 normal draws per
 * sample for shape ≥ 1); shape < 1 is boosted to shape + 1 and scaled by U^(1/shape).
 */
export function sampleGamma(shape: number, u: () => number): number {
  prepareGamma(shape, gammaScratch, 0);
  return gammaPrepared(gammaScratch, 0, u);
}

/** `sampleGamma`'s prepared shape: read into locals before any draw, so one module-wide array serves every call. */
const gammaScratch = new Float64Array(3);

/**
 * Writes at `out[at..at+3)` what `sampleGamma(shape, u)` computes before its first uniform: Marsaglia
 * and Tsang's d and c (of shape + 1 for a shape below 1) and 1/shape for that boost (0 without).
 * A decision draws each candidate's Beta 16 times: preparing once saves a square root and a
 * division a draw, and `gammaPrepared` then draws the same numbers from the same uniforms.
 */
export function prepareGamma(shape: number, out: Float64Array, at: number): void {
  if (!(shape > 0)) throw new TwinloopError('BAD_INPUT', `gamma shape must be > 0; got ${shape}`);
  const s = shape < 1 ? shape + 1 : shape;
  const d = s - 1 / 3;
  out[at] = d;
  out[at + 1] = 1 / Math.sqrt(9 * d);
  out[at + 2] = shape < 1 ? 1 / shape : 0;
}

/** `sampleGamma` from a shape prepared by `prepareGamma` at `at`: the same draw from the same uniforms. */
function gammaPrepared(p: Float64Array, at: number, u: () => number): number {
  const d = p[at];
  const c = p[at + 1];
  const boost = p[at + 2];
  let g: number;
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = sampleNormal(u);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const w = 1 - u();
    if (w < 1 - 0.0331 * x * x * x * x) {
      g = d * v;
      break;
    }
    if (Math.log(w) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
      g = d * v;
      break;
    }
  }
  return boost > 0 ? g * Math.pow(1 - u(), boost) : g;
}

/** `sampleBeta(alpha, beta, u)` with both shapes prepared by `prepareGamma` at `at` and `at + 3`: the same draw. */
export function sampleBetaPrepared(alpha: number, beta: number, shapes: Float64Array, at: number, u: () => number): number {
  const x = gammaPrepared(shapes, at, u);
  const y = gammaPrepared(shapes, at + 3, u);
  return x + y > 0 ? x / (x + y) : alpha / (alpha + beta);
}

/** A Beta(α, β) draw as X / (X + Y) with X ~ Gamma(α), Y ~ Gamma(β). */
export function sampleBeta(alpha: number, beta: number, u: () => number): number {
  const x = sampleGamma(alpha, u);
  const y = sampleGamma(beta, u);
  // Both draws can underflow to 0 for tiny shapes; the mean is then the honest answer.
  return x + y > 0 ? x / (x + y) : alpha / (alpha + beta);
}
