import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../intelligence/random.js';
import { syntheticDecisionLog, trueValueOf, type SyntheticBandit } from './decision-log-fixtures.js';
import { DO_NOTHING } from './decision-record.js';
import { estimatePolicyValue, type PolicyEstimate, type RewardModel } from './off-policy-estimators.js';
import { crossFittedRewardModel } from './reward-model.js';
import { greedyPolicy, loggingPolicy, uniformPolicy } from './target-policies.js';

/**
 * A log shaped like a running server's: the reward is the customer's answer (1 accepted, 0
 * otherwise: declined, ignored, do-nothing), while the expected value logged with each candidate
 * is money (Δ lifetime value less the offer's cost), several times larger. Eight contexts, two
 * offers and do-nothing; the logging policy puts most of its weight on what it believes best.
 */
const CONTEXTS = 8;
const OFFERS = ['data-bonus', 'retain-10'] as const;
/** True acceptance of each offer in each context (what the estimators must find). */
const acceptance = (ctx: number, offer: string) => (offer === 'data-bonus' ? 0.05 + 0.05 * ctx : 0.4 - 0.04 * ctx);
/**
 * What the server believed, in money: acceptance times a value of 30 less a cost of 2 (a running
 * small world logs expected values of 2 to 7 against answers of 0 or 1), with the ordering right in
 * half the contexts.
 */
const believed = (ctx: number, offer: string) => (ctx % 2 === 0 ? acceptance(ctx, offer) : acceptance(ctx, offer === 'data-bonus' ? 'retain-10' : 'data-bonus')) * 30 - 2;

const contextKey = (ctx: number) => `app|c${ctx}`;
const contextOf = (key: string) => Number(key.slice('app|c'.length));

function candidatesOf(ctx: number) {
  const values = [...OFFERS.map((o) => ({ actionId: o as string, v: believed(ctx, o) })), { actionId: DO_NOTHING, v: 0 }];
  // ε-greedy-ish: 0.7 on the believed best, the rest spread (every action logged with some chance).
  const top = values.reduce((a, b) => (b.v > a.v ? b : a));
  return values.map(({ actionId, v }) => ({ actionId, score: v, expectedValue: v, propensity: actionId === top.actionId ? 0.7 + 0.1 : 0.1 }));
}

/** The server's log: the reward is the answer, 1 accepted and 0 otherwise. */
const BANDIT: SyntheticBandit = {
  contexts: Array.from({ length: CONTEXTS }, (_, ctx) => contextKey(ctx)),
  channel: 'app',
  candidatesOf: (key) => candidatesOf(contextOf(key)),
  acceptance: (key, offer) => acceptance(contextOf(key), offer),
  reward: (_key, _action, accepted) => (accepted ? 1 : 0),
};
const serverLog = (n: number, rng: Rng) => syntheticDecisionLog(BANDIT, n, rng);
const truth = (policy: typeof greedyPolicy) => trueValueOf(BANDIT, policy);

const holds = (e: PolicyEstimate, x: number) => e.lower <= x && x <= e.upper;
const overlap = (a: PolicyEstimate, b: PolicyEstimate) => a.lower <= b.upper && b.lower <= a.upper;
const loggedExpectedValue: RewardModel = (r, a) => r.candidates.find((c) => c.actionId === a)?.expectedValue ?? 0;

describe('the cross-fitted reward model of doubly robust estimation', () => {
  it('on a log whose reward is the answer and whose expected values are money, DR agrees with IPS and SNIPS within their intervals, each holding the true value', () => {
    const log = serverLog(3000, createRng(11));
    for (const [name, policy] of Object.entries({ greedy: greedyPolicy, uniform: uniformPolicy, logging: loggingPolicy })) {
      const want = truth(policy);
      const est = estimatePolicyValue(log, policy, { rewardModel: crossFittedRewardModel(log), bootstrap: 300, seed: 3 });
      for (const k of ['ips', 'snips', 'dr'] as const) expect(holds(est[k]!, want), `${name} ${k} ${JSON.stringify(est[k])} holds ${want}`).toBe(true);
      expect(overlap(est.dr!, est.ips) && overlap(est.dr!, est.snips), `${name}: DR ${JSON.stringify(est.dr)} against IPS ${JSON.stringify(est.ips)}`).toBe(true);
    }
  });

  it('is why: with the logged expected values (money) as its model, DR on the same log lands outside IPS and the truth', () => {
    const log = serverLog(3000, createRng(11));
    const want = truth(greedyPolicy);
    const est = estimatePolicyValue(log, greedyPolicy, { rewardModel: loggedExpectedValue, bootstrap: 300, seed: 3 });
    expect(holds(est.ips, want)).toBe(true);
    expect(holds(est.dr!, want)).toBe(false);
    expect(overlap(est.dr!, est.ips)).toBe(false);
  });

  it('predicts a row from the other folds only: its own reward does not move its prediction', () => {
    const log = serverLog(400, createRng(5));
    const model = crossFittedRewardModel(log, { folds: 4 });
    const row = log.find((r) => r.chosen !== DO_NOTHING)!;
    const flipped = log.map((r) => (r === row ? { ...r, outcome: { ...r.outcome!, reward: 1 - r.outcome!.reward } } : r));
    expect(crossFittedRewardModel(flipped, { folds: 4 })(row, row.chosen)).toBe(model(row, row.chosen));
    // Another row of another fold does see it.
    const other = log.find((r) => r !== row && r.contextKey === row.contextKey && crossFittedRewardModel(flipped, { folds: 4 })(r, row.chosen) !== model(r, row.chosen));
    expect(other).toBeDefined();
  });

  it('refuses folds or a strength it cannot use, naming them', () => {
    expect(() => crossFittedRewardModel([], { folds: 1 })).toThrow(/folds must be an integer ≥ 2; got 1/);
    expect(() => crossFittedRewardModel([], { strength: -1 })).toThrow(/strength must be a finite number ≥ 0; got -1/);
  });
});
