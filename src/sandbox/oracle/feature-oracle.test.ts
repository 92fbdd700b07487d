import { describe, expect, it } from 'vitest';
import { createSandboxWorld, loadWorldDocument, namedWorld } from '../index.js';
import { RESPONSE_TYPES } from '../world-config.js';
import { createFeatureOracle } from './feature-oracle.js';
import { createOracle } from './oracle.js';

describe('feature oracle', () => {
  const world = createSandboxWorld(namedWorld('small'), 4, { latencyScale: 0 });
  world.generate({ usage() {}, event() {} }, { months: 4 });
  const oracle = createOracle(world);
  const features = createFeatureOracle(world);
  const active = oracle.customerIds().filter((id) => oracle.churnProbability(id) > 0);

  it('integrates the latent parts out into calibrated churn and type probabilities', () => {
    let trueChurn = 0;
    let viewChurn = 0;
    let brier = 0;
    let brierShares = 0;
    const shares = RESPONSE_TYPES.map((t) => active.filter((id) => oracle.responseType(id) === t).length / active.length);
    const expected = [0, 0, 0, 0];
    for (const id of active) {
      const v = features.view(id, 'retain-10');
      const t = RESPONSE_TYPES.indexOf(oracle.responseType(id));
      trueChurn += oracle.churnProbability(id);
      viewChurn += v.churnProbability;
      v.typeProbabilities.forEach((p, k) => {
        expected[k] += p;
        brier += (p - (k === t ? 1 : 0)) ** 2;
        brierShares += (shares[k] - (k === t ? 1 : 0)) ** 2;
      });
      expect(v.states.weight.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    }
    // Calibrated in the mean: the expected churn and type counts match the hidden truth's.
    expect(viewChurn / trueChurn).toBeGreaterThan(0.85);
    expect(viewChurn / trueChurn).toBeLessThan(1.15);
    expected.forEach((e, k) => expect(Math.abs(e / active.length - shares[k])).toBeLessThan(0.05));
    // Sharper than the population's shares: observables tell something about the type.
    expect(brier).toBeLessThan(brierShares);
  });

  it('as the answer oracle, reads each customer\'s answers: who took an offer is likelier persuadable, and it knows no more than the feature oracle of the never-contacted', async () => {
    const copy = createSandboxWorld(namedWorld('small'), 4, { latencyScale: 0 });
    copy.generate({ usage() {}, event() {} }, { months: 4 });
    const answered: { id: string; accepted: boolean }[] = [];
    for (const id of active.slice(0, 300)) {
      const r = await copy.backends.campaignDelivery.deliver({ idempotencyKey: `t-${id}`, campaignId: 't', customerId: id, offerId: 'retain-10', channel: 'app' });
      if (r.status === 'ok') answered.push({ id, accepted: r.value.response === 'accepted' });
    }
    const blind = createFeatureOracle(copy);
    const knowing = createFeatureOracle(copy, { answers: true });
    const P = RESPONSE_TYPES.indexOf('persuadable');
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const lift = (accepted: boolean) => mean(answered.filter((a) => a.accepted === accepted).map((a) => knowing.view(a.id, 'retain-10').typeProbabilities[P] - blind.view(a.id, 'retain-10').typeProbabilities[P]));
    expect(answered.some((a) => a.accepted)).toBe(true);
    expect(lift(true)).toBeGreaterThan(0.05);
    expect(lift(false)).toBeLessThan(0);
    const never = active.find((id) => !answered.some((a) => a.id === id))!;
    expect(knowing.view(never, 'retain-10').typeProbabilities).toEqual(blind.view(never, 'retain-10').typeProbabilities);
  });

  it('gives each latent state the effects of the offer in the world', () => {
    const v = features.view(active[0], 'retain-25');
    for (let j = 0; j < v.states.weight.length; j++) {
      const type = RESPONSE_TYPES[v.states.type[j]];
      if (type === 'persuadable') expect(v.states.hazardIfAccepted[j]).toBeLessThan(v.states.hazardUntreated[j]);
      if (type === 'sleepingDog') expect(v.states.hazardIfDeclined[j]).toBeGreaterThan(v.states.hazardUntreated[j]);
      if (type === 'sureThing') expect(v.states.hazardIfAccepted[j]).toBe(v.states.hazardUntreated[j]);
    }
    expect(() => features.view(active[0], 'nope')).toThrow(/unknown offer/);
  });

  it('over a horizon counts the decision of a contract ending in it: the truth and the feature oracle foresee as many leavers as then leave', () => {
    // A year-old world of 8,000: about 200 contracts end in the next 30 days, and their holders decide
    // over six months' hazard; without that decision the monthly hazard foresees a fraction of the leavers.
    const big = createSandboxWorld(loadWorldDocument({ extends: 'default', population: { customers: 8000 } }), 5, { latencyScale: 0 });
    big.generate({ usage() {}, event() {} }, { months: 11 });
    const truth = createOracle(big);
    const seen = createFeatureOracle(big, { horizonDays: 30 });
    const ids = truth.customerIds().filter((id) => truth.churnProbability(id) > 0);
    const within = new Map(ids.map((id) => [id, truth.churnProbabilityWithin(id, 30)]));
    const monthly = new Map(ids.map((id) => [id, truth.churnProbability(id)]));
    const ending = ids.filter((id) => within.get(id)! > 1 - (1 - monthly.get(id)!) ** (30 / 30.4375) + 1e-12);
    expect(ending.length, 'contracts end in the window').toBeGreaterThan(100);
    const foreseen = ending.reduce((a, id) => a + within.get(id)!, 0);
    const monthlyOnly = ending.reduce((a, id) => a + monthly.get(id)!, 0);
    const seenWithin = ending.reduce((a, id) => a + seen.view(id, 'retain-10').churnWithinHorizon, 0);
    big.generate({ usage() {}, event() {} }, { days: 30 });
    const left = ending.filter((id) => truth.churnProbability(id) === 0).length;
    // Poisson-sized tolerance: within four standard deviations of what the truth foresaw.
    expect(Math.abs(left - foreseen)).toBeLessThan(4 * Math.sqrt(foreseen));
    expect(Math.abs(left - seenWithin)).toBeLessThan(4 * Math.sqrt(foreseen) + 0.15 * foreseen);
    expect(monthlyOnly).toBeLessThan(left / 2);
    // Customers whose contract does not end in the window: the hazard over 30 days, as the monthly figure says.
    const other = ids.find((id) => !ending.includes(id))!;
    expect(within.get(other)).toBeCloseTo(1 - (1 - monthly.get(other)!) ** (30 / 30.4375), 12);
  });
});
