import type { HazardDecay } from '../intelligence/evaluation/hazard-decay-fit.js';

export { DECAY_BANDS, type DecayBand, type HazardDecay } from '../intelligence/evaluation/hazard-decay-fit.js';

/**
 * How the lab applies the churn model's fall after a pick (`ChurnModelMetadata.hazardDecay`, read
 * from its training rows: what made a twin risky now partly wears off, and the frailest of a group
 * leave first). A scenario's group gets the level its fall gives over the horizon, a factor on
 * every hazard of its twins (`KernelParams.level`); `compileScenarios` applies it for every source
 * that carries the model's fall, so the server's lab, `twinloop simulate FILE` and `simulate
 * validate` predict alike.
 */

/**
 * A group's hazard level over a horizon of `months` under the fall: each twin's factor is the mean
 * over the months of its band's perMonth^m (m = 0 the first month), the twins weighed by their
 * monthly hazards (the churners they stand for). 1 for an empty group.
 */
export function decayLevel(decay: HazardDecay, probabilities: ArrayLike<number>, hazards: ArrayLike<number>, months: number): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const q = probabilities[i];
    const band = decay.bands.find((b) => b.below === null || q < b.below) ?? decay.bands[decay.bands.length - 1];
    let f = 0;
    for (let m = 0; m < months; m++) f += band.perMonth ** m;
    num += hazards[i] * (f / months);
    den += hazards[i];
  }
  return den > 0 ? num / den : 1;
}
