import { TwinloopError } from '../../domain/errors.js';

/**
 * A retention plan sized by the evidence (docs/decisions/0038): the run of candidates, best first,
 * whose **certainty equivalent** under exponential utility is largest,
 *
 *     CE(k) = −τ · log E[exp(−V_k / τ)],   V_k = the first k candidates' net value, summed per draw,
 *
 * over the joint posterior of the effects every candidate shares. Why not a quantile of V_k (the
 * plan-level guard, plan-guard.ts): the candidates' values rise and fall together with the shared
 * effects, so the sign of V_k in a draw hardly depends on k, and a quantile rule is all or nothing
 * (on the harness's dumps, the guarded plan was nobody or the whole worth list in 96 cases of 100):
 * a pilot that shows an effect a little too weakly contacts nobody, and one a little lucky the whole
 * budget. Under a concave utility the risk premium grows as the plan's spread squared, about
 * Var(V_k) / 2τ, while its expected value grows as k: the plan stops where one more contact adds
 * more risk than value, which is the whole worth list when the posterior is narrow and the few best
 * candidates when it is wide. τ (the risk tolerance, in money) is what the operator can stand to
 * lose on the decision; the single decision states it as a multiple of the budget's spend.
 */

/**
 * The length of the prefix of `net` (each candidate's net value per draw, best candidate first)
 * whose certainty equivalent at risk tolerance `tolerance` (> 0) is largest; 0 when no prefix's is
 * above 0. `weights` are the draws' posterior weights (summing to 1).
 */
export function bestCertaintyEquivalentPrefix(net: readonly ArrayLike<number>[], weights: ArrayLike<number>, tolerance: number): number {
  if (!(tolerance > 0)) throw new TwinloopError('BAD_INPUT', `the risk tolerance must be above 0; got ${tolerance}`);
  const plan = new Float64Array(weights.length);
  let best = 0;
  let length = 0;
  net.forEach((values, n) => {
    if (values.length !== plan.length) throw new TwinloopError('BAD_INPUT', `every candidate needs one net value per draw (${plan.length}); got ${values.length}`);
    // log E[exp(−V/τ)] by log-sum-exp: V/τ reaches hundreds on a plan of hundreds of contacts.
    let top = -Infinity;
    for (let i = 0; i < plan.length; i++) {
      plan[i] += values[i];
      if (-plan[i] / tolerance > top) top = -plan[i] / tolerance;
    }
    let sum = 0;
    for (let i = 0; i < plan.length; i++) sum += weights[i] * Math.exp(-plan[i] / tolerance - top);
    const ce = -tolerance * (top + Math.log(sum));
    if (ce > best) {
      best = ce;
      length = n + 1;
    }
  });
  return length;
}
