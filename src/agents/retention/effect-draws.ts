import { TwinloopError } from '../../domain/errors.js';
import { gammaQuantile } from '../../intelligence/evaluation/posterior-interval.js';

/**
 * The shared effects of a retention contact as the learning agent knows them: the persuadables'
 * hazard multiplier once they accept (at most 1) and the sleeping dogs' once contacted (at least
 * 1), each a Gamma posterior from the response model, put on a grid of weighted points so a
 * planner can value a plan under every one of them at once (the plan-level guard, and the value
 * of learning them).
 */

/** A Gamma posterior: shape and rate, the rate in expected churns (the prior's plus those watched). */
export interface GammaPosterior {
  readonly shape: number;
  readonly rate: number;
}

/** One point of the two effects. */
export interface EffectPoint {
  readonly acceptedMultiplier: number;
  readonly contactMultiplier: number;
}

/** A point of the grid with the posterior weight it stands for (a grid's weights sum to 1). */
export interface EffectDraw extends EffectPoint {
  readonly weight: number;
}

/**
 * The slices of probability each multiplier's posterior is cut into, and z of the standard normal
 * at each slice's conditional mean (E[Z | Z in the slice]): each node stands for its slice's
 * weight. A contact's kept value falls as either multiplier grows (a weaker accepted offer, a more
 * harmful contact), so the guard reads only the upper tail of each, where its 10 % lies: the slices
 * are 0.02 wide above the 80 % quantile and 0.2 wide below. A grid of equal ninths (the first
 * version) made every row weigh 1/9 ≥ 0.1, so a plan whose sign hung on one effect passed only when
 * it was negative at the extreme node alone (5.6 %, not 10 %); 0.02 slices put the guard within 0.02
 * of its level, at 14 × 14 = 196 points, where 20 equal slices per effect would still be off by
 * 0.025 at twice the points.
 */
const SLICES = [0.2, 0.2, 0.2, 0.2, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02] as const;
const Z_NODES = [-1.3998, -0.5319, 0, 0.5319, 0.8781, 0.9544, 1.0368, 1.1268, 1.2271, 1.3416, 1.4772, 1.6475, 1.8878, 2.4209] as const;

function checkPosterior(name: string, g: GammaPosterior): void {
  if (!(g.shape > 0 && g.rate > 0 && Number.isFinite(g.shape) && Number.isFinite(g.rate))) throw new TwinloopError('BAD_INPUT', `${name} needs a Gamma posterior with a positive, finite shape and rate; got ${g.shape} and ${g.rate}`);
}

/** The grid of the two effects' posteriors (independent), weighted: the accepted multiplier read at most 1, the contact multiplier at least 1. */
export function effectDraws(accepted: GammaPosterior, contact: GammaPosterior): EffectDraw[] {
  checkPosterior('acceptedMultiplier', accepted);
  checkPosterior('contactMultiplier', contact);
  const a = Z_NODES.map((z) => Math.min(1, gammaQuantile(accepted.shape, accepted.rate, z)));
  const d = Z_NODES.map((z) => Math.max(1, gammaQuantile(contact.shape, contact.rate, z)));
  return a.flatMap((acceptedMultiplier, i) => d.map((contactMultiplier, j) => ({ acceptedMultiplier, contactMultiplier, weight: SLICES[i] * SLICES[j] })));
}

/** The draws' weighted mean point. */
export function meanEffect(draws: readonly EffectDraw[]): EffectPoint {
  let a = 0, d = 0, w = 0;
  for (const x of draws) {
    a += x.weight * x.acceptedMultiplier;
    d += x.weight * x.contactMultiplier;
    w += x.weight;
  }
  return { acceptedMultiplier: a / w, contactMultiplier: d / w };
}
