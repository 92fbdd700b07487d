import { TwinloopError } from '../../domain/errors.js';
import { gammaQuantile } from '../../intelligence/evaluation/posterior-interval.js';

/**
 * The shared effects of a retention contact as the learning agent knows them: the persuadables'
 * hazard multiplier once they accept (at most 1) and the sleeping dogs' once contacted (at least
 * 1), each a Gamma posterior from the response model, put on a grid of equally likely points so a
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

/**
 * z of the standard normal at the midpoints of nine equal slices of probability, (i + ½) / 9:
 * each node stands for a ninth of a multiplier's posterior. Nine per effect (81 points) put the
 * 10 % quantile the guard reads between the first and second node, fine enough for a guard whose
 * level is itself a choice, and cheap: a thousand candidates × 81 points a month.
 */
const Z_NODES = [-1.5932, -0.9674, -0.5895, -0.2822, 0, 0.2822, 0.5895, 0.9674, 1.5932] as const;

function checkPosterior(name: string, g: GammaPosterior): void {
  if (!(g.shape > 0 && g.rate > 0 && Number.isFinite(g.shape) && Number.isFinite(g.rate))) throw new TwinloopError('BAD_INPUT', `${name} needs a Gamma posterior with a positive, finite shape and rate; got ${g.shape} and ${g.rate}`);
}

/** The grid of the two effects' posteriors (independent), equally weighted: the accepted multiplier read at most 1, the contact multiplier at least 1. */
export function effectDraws(accepted: GammaPosterior, contact: GammaPosterior): EffectPoint[] {
  checkPosterior('acceptedMultiplier', accepted);
  checkPosterior('contactMultiplier', contact);
  const a = Z_NODES.map((z) => Math.min(1, gammaQuantile(accepted.shape, accepted.rate, z)));
  const d = Z_NODES.map((z) => Math.max(1, gammaQuantile(contact.shape, contact.rate, z)));
  return a.flatMap((acceptedMultiplier) => d.map((contactMultiplier) => ({ acceptedMultiplier, contactMultiplier })));
}

/** The draws' mean point. */
export function meanEffect(draws: readonly EffectPoint[]): EffectPoint {
  let a = 0, d = 0;
  for (const x of draws) {
    a += x.acceptedMultiplier;
    d += x.contactMultiplier;
  }
  return { acceptedMultiplier: a / draws.length, contactMultiplier: d / draws.length };
}
