import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../intelligence/random.js';
import { syntheticDecisionLog, trueValueOf, type SyntheticBandit } from './decision-log-fixtures.js';
import { DO_NOTHING, type DecisionRecord } from './decision-record.js';
import { estimatePolicyValue, type RewardModel } from './off-policy-estimators.js';
import { doNothingPolicy, greedyPolicy, loggingPolicy, targetPolicyByName, thresholdPolicy, uniformPolicy } from './target-policies.js';

/**
 * A synthetic bandit with known rewards: 3 contexts, two offers and do-nothing. An offer's reward
 * is `value` when accepted, less a contact cost of 1; do-nothing earns 0.
 */
const ACCEPT: Record<string, Record<string, number>> = {
  c0: { a: 0.6, b: 0.1 },
  c1: { a: 0.2, b: 0.5 },
  c2: { a: 0.05, b: 0.02 },
};
const VALUE: Record<string, number> = { a: 10, b: 20 };
// What the logging system believed: right ordering in c0 and c1, wrong in c2 (so greedy loses there).
const BELIEVED: Record<string, Record<string, number>> = {
  c0: { a: 4, b: 0.5, [DO_NOTHING]: 0 },
  c1: { a: 1, b: 8, [DO_NOTHING]: 0 },
  c2: { a: 0.5, b: 0.2, [DO_NOTHING]: 0 },
};
// A softmax-ish logging policy over the beliefs, with every action above 10 %.
const LOGGING: Record<string, Record<string, number>> = {
  c0: { a: 0.6, b: 0.25, [DO_NOTHING]: 0.15 },
  c1: { a: 0.2, b: 0.65, [DO_NOTHING]: 0.15 },
  c2: { a: 0.4, b: 0.3, [DO_NOTHING]: 0.3 },
};

function candidatesOf(ctx: string) {
  return Object.entries(LOGGING[ctx]).map(([actionId, propensity]) => ({
    actionId,
    propensity,
    score: BELIEVED[ctx][actionId],
    expectedValue: BELIEVED[ctx][actionId],
  }));
}

const BANDIT: SyntheticBandit = {
  contexts: Object.keys(ACCEPT),
  channel: 'call',
  candidatesOf,
  acceptance: (ctx, action) => ACCEPT[ctx][action],
  reward: (_ctx, action, accepted) => (action === DO_NOTHING ? 0 : (accepted ? VALUE[action] : 0) - 1),
};
const logBandit = (n: number, rng: Rng) => syntheticDecisionLog(BANDIT, n, rng);
const truth = (policy: (r: DecisionRecord) => ReadonlyMap<string, number>) => trueValueOf(BANDIT, policy);

describe('off-policy estimators', () => {
  it('IPS, SNIPS and DR of the logging policy equal the logged mean reward', () => {
    const logs = logBandit(500, createRng(2));
    const model: RewardModel = (r, a) => r.candidates.find((c) => c.actionId === a)!.expectedValue;
    const est = estimatePolicyValue(logs, loggingPolicy, { rewardModel: model, bootstrap: 100 });
    const logged = logs.reduce((s, r) => s + r.outcome!.reward, 0) / logs.length;
    expect(est.loggedMean).toBeCloseTo(logged, 12);
    expect(est.ips.value).toBeCloseTo(logged, 12);
    expect(est.snips.value).toBeCloseTo(logged, 12);
    expect(est.effectiveSampleSize).toBeCloseTo(500, 6);
    expect(est.ips.lower).toBeLessThanOrEqual(logged);
    expect(est.ips.upper).toBeGreaterThanOrEqual(logged);
  });

  it('are unbiased on a synthetic bandit: averaged over seeds, each lands on the true value', () => {
    // A deliberately wrong direct model (half the belief) keeps DR honest: its IPS term must fix it.
    const model: RewardModel = (r, a) => 0.5 * r.candidates.find((c) => c.actionId === a)!.expectedValue;
    const policies = { greedy: greedyPolicy, uniform: uniformPolicy, 'do-nothing': doNothingPolicy, 'threshold:2': thresholdPolicy(2) };
    for (const [name, policy] of Object.entries(policies)) {
      const want = truth(policy);
      const sums = { ips: 0, snips: 0, dr: 0 };
      let covered = 0;
      const seeds = 40;
      for (let s = 0; s < seeds; s++) {
        const est = estimatePolicyValue(logBandit(400, createRng(100 + s)), policy, { rewardModel: model, bootstrap: 200, seed: s });
        sums.ips += est.ips.value / seeds;
        sums.snips += est.snips.value / seeds;
        sums.dr += est.dr!.value / seeds;
        if (est.ips.lower <= want && want <= est.ips.upper) covered++;
      }
      // 40 × 400 decisions: the seed-averaged estimate's standard error is ≈ 0.05 or less.
      for (const [k, v] of Object.entries(sums)) expect(Math.abs(v - want), `${name} ${k}`).toBeLessThan(0.2);
      // A 90 % interval should cover the truth in most runs (loose: 40 runs, bootstrap intervals).
      expect(covered / seeds, name).toBeGreaterThan(0.75);
    }
  });

  it('clips a zero logged propensity instead of dividing by it, and says so', () => {
    const logs = logBandit(50, createRng(3));
    const broken = logs.map((r, i) => (i === 0 ? { ...r, propensity: 0 } : r));
    const est = estimatePolicyValue(broken, loggingPolicy, { minPropensity: 0.01, bootstrap: 50 });
    expect(est.clipped).toBe(1);
    expect(Number.isFinite(est.ips.value)).toBe(true);
    expect(Number.isFinite(est.ips.upper)).toBe(true);
  });

  it('reports the target mass the logging policy never explores', () => {
    const logs = logBandit(50, createRng(4)).map((r) => ({
      ...r,
      candidates: r.candidates.map((c) => (c.actionId === 'b' ? { ...c, propensity: 0 } : c)),
    }));
    const est = estimatePolicyValue(logs, uniformPolicy, { bootstrap: 20 });
    expect(est.unsupportedMass).toBeCloseTo(1 / 3, 10);
  });

  it('leaves out decisions without an outcome, and refuses a log with none', () => {
    const logs = logBandit(20, createRng(5));
    const pending = logs.map((r, i) => (i < 5 ? { ...r, outcome: undefined } : r));
    expect(estimatePolicyValue(pending, greedyPolicy, { bootstrap: 10 }).withoutOutcome).toBe(5);
    expect(() => estimatePolicyValue(logs.slice(0, 2).map((r) => ({ ...r, outcome: undefined })), greedyPolicy)).toThrow(/none of the 2 decisions has an outcome/);
  });

  it('refuses a target policy that is not a distribution over the candidates', () => {
    const logs = logBandit(10, createRng(6));
    expect(() => estimatePolicyValue(logs, () => new Map([['a', 0.5]]))).toThrow(/sum to 0.5/);
    expect(() => estimatePolicyValue(logs, () => new Map([['zzz', 1]]))).toThrow(/not among its candidates/);
  });

  it('resolves policy names as typed at an interface', () => {
    const r = logBandit(1, createRng(7))[0];
    expect(targetPolicyByName('greedy')(r)).toEqual(greedyPolicy(r));
    expect([...targetPolicyByName('threshold:1000')(r)]).toEqual([[DO_NOTHING, 1]]);
    expect(() => targetPolicyByName('best')).toThrow(/unknown target policy "best"/);
  });
});
