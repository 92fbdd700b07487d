import { beforeAll, describe, expect, it } from 'vitest';
import { loadWorldDocument, namedWorld } from '../sandbox/index.js';
import { runOfferExperiment, type OfferExperiment } from './offer-experiment.js';
import { evaluateOfferExperiment, REPORTED_METHODS, runOfferUpliftEvaluation } from './offer-uplift-evaluation.js';
import { pearsonOrZero, retentionQini, typeShareInTop } from './uplift-truth-metrics.js';

/** Every number in a nested result, with its path. */
function numbersIn(value: unknown, path = ''): [string, number][] {
  if (typeof value === 'number') return [[path, value]];
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => numbersIn(v, `${path}.${k}`));
  return [];
}

describe('offer uplift evaluation on a small sandbox world', () => {
  // Small enough for a test (about 1,450 active customers, 2 + 2 months); far too small for uplift
  // models to find a signal, so the figures are checked for sanity, not for quality.
  const base = namedWorld('small');
  const config = loadWorldDocument({ ...base, population: { ...base.population, customers: 1500 } });
  let x: OfferExperiment;
  beforeAll(async () => {
    x = await runOfferExperiment({ config, seed: 3, historyMonths: 2, horizonMonths: 2, offerId: 'retain-25', log: () => {} });
  });

  it('assigns about half of the active customers to treatment', () => {
    const treated = x.treated.reduce((a, b) => a + b, 0);
    expect(x.rows).toBeGreaterThan(1000);
    // Four standard deviations of a fair coin: fails only if the assignment is not random halves.
    expect(Math.abs(treated / x.rows - 0.5)).toBeLessThan(4 * (0.5 / Math.sqrt(x.rows)));
  });

  it('reads the true effects before treating anyone', () => {
    // After an offer, a sleeping dog's hazard already carries the contact multiplier and the
    // oracle's effect for it drops to 0; read before, every sleeping dog's effect is positive.
    const dogs = x.responseType.flatMap((t, i) => (t === 'sleepingDog' ? [i] : []));
    expect(dogs.length).toBeGreaterThan(50);
    for (const i of dogs) expect(x.trueEffect[i]).toBeGreaterThan(0);
    const persuadables = x.responseType.flatMap((t, i) => (t === 'persuadable' ? [i] : []));
    for (const i of persuadables) expect(x.trueEffect[i]).toBeLessThan(0);
  });

  it('delivers the offer to treated customers only, and their offer events reach the intake', () => {
    for (let i = 0; i < x.rows; i++) {
      if (!x.treated[i]) {
        expect(x.accepted[i]).toBe(-1);
        expect(x.offerEvents[i]).toBe(0);
      } else if (x.accepted[i] >= 0) {
        // presented, then accepted or declined; an ignored offer has no answer event
        expect(x.offerEvents[i]).toBe(x.answered[i] ? 2 : 1);
      }
    }
    expect(x.intakeRejected).toBe(0);
  });

  it('reports finite figures, acceptance near the truth and the oracle finding every sleeping dog', () => {
    const r = evaluateOfferExperiment(x, { seed: 3 });
    for (const [path, v] of numbersIn(r)) expect(Number.isFinite(v), path).toBe(true);
    expect(Object.keys(r.methods)).toEqual([...REPORTED_METHODS]);
    expect(r.counts.treated + r.counts.control).toBe(x.rows);
    expect(r.counts.churned).toBeGreaterThan(0);
    // Acceptance is drawn from the oracle's probabilities: the observed rate sits near their mean.
    const sd = Math.sqrt((r.acceptance.expectedRate * (1 - r.acceptance.expectedRate)) / r.counts.delivered);
    expect(Math.abs(r.acceptance.rate - r.acceptance.expectedRate)).toBeLessThan(4 * sd);
    expect(r.acceptance.byType.persuadable.rate).toBeGreaterThan(r.acceptance.byType.lostCause.rate);
    // Only sleeping dogs are harmed by the offer and they are more than 10 % of customers, so
    // ranking by the true effect fills the top 10 % with them; the same for persuadables.
    expect(r.populationShares.sleepingDog).toBeGreaterThan(0.1);
    expect(r.methods.oracle.sleepingDogsTop10.share).toBe(1);
    expect(r.methods.oracle.persuadablesTop10.share).toBe(1);
    expect(r.methods.oracle.spearman).toBeCloseTo(1, 12);
  });

  it('refuses an offer the world does not have', async () => {
    await expect(runOfferUpliftEvaluation({ world: 'small', customers: 200, historyMonths: 1, horizonMonths: 1, offerId: 'nope', seed: 1 })).rejects.toThrow(/unknown offer/);
  });
});

describe('uplift truth metrics', () => {
  it('finds a type in the top tail and measures its lift', () => {
    const scores = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0];
    const isType = scores.map((s) => s >= 8 || s === 0);
    const f = typeShareInTop(scores, isType, 0.2);
    expect(f).toEqual({ customers: 2, share: 1, populationShare: 0.3, lift: 1 / 0.3 });
  });

  it('flips signs for the Qini: a model that ranks retained-by-offer customers first scores above 0', () => {
    // Treated rows stay, control rows churn: the offer helps everyone in rows 0..3, nobody after.
    const churned = [0, 1, 0, 1, 0, 0, 0, 0];
    const treated = [1, 0, 1, 0, 1, 0, 1, 0];
    const helpsFirst = [-0.4, -0.4, -0.3, -0.3, 0.1, 0.1, 0.2, 0.2];
    expect(retentionQini(helpsFirst, churned, treated)).toBeGreaterThan(0);
    expect(retentionQini(helpsFirst.map((u) => -u), churned, treated)).toBeLessThan(0);
  });

  it('gives 0 correlation, not NaN, against a constant', () => {
    expect(pearsonOrZero([1, 2, 3], [5, 5, 5])).toBe(0);
    expect(pearsonOrZero([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
  });
});
