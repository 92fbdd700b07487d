import type { Rng } from '../intelligence/random.js';
import { DO_NOTHING, type DecisionRecord, type LoggedCandidate } from './decision-record.js';

/**
 * A synthetic bandit whose truth is known, for the off-policy estimators' tests: contexts drawn
 * uniformly, each with its logged candidates (their propensities are the logging policy), the
 * chance each action is accepted in each context, and the reward an answer earns.
 */
export interface SyntheticBandit {
  /** The contexts' keys (`contextKey` of the logged decisions), drawn uniformly. */
  readonly contexts: readonly string[];
  readonly channel: DecisionRecord['channel'];
  candidatesOf(context: string): LoggedCandidate[];
  /** The true chance `action` is accepted in `context` (never asked for do-nothing). */
  acceptance(context: string, action: string): number;
  /** The reward logged for `action` answered so (do-nothing is never accepted). */
  reward(context: string, action: string, accepted: boolean): number;
}

/**
 * `n` decisions logged by the bandit's logging policy, each with its outcome: for each, the context
 * is drawn, then the choice by the candidates' propensities, then the answer when something was
 * offered (a seed gives one log).
 */
export function syntheticDecisionLog(bandit: SyntheticBandit, n: number, rng: Rng): DecisionRecord[] {
  const out: DecisionRecord[] = [];
  for (let i = 0; i < n; i++) {
    const context = bandit.contexts[rng.int(bandit.contexts.length)];
    const candidates = bandit.candidatesOf(context);
    let u = rng.next();
    let chosen = candidates[candidates.length - 1];
    for (const c of candidates) {
      if (u < c.propensity) {
        chosen = c;
        break;
      }
      u -= c.propensity;
    }
    const acted = chosen.actionId !== DO_NOTHING;
    const accepted = acted && rng.next() < bandit.acceptance(context, chosen.actionId);
    out.push({
      decisionId: `d${i}`,
      customerId: `C${i}`,
      at: i,
      channel: bandit.channel,
      contextKey: context,
      candidates,
      chosen: chosen.actionId,
      propensity: chosen.propensity,
      outcome: { accepted, reward: bandit.reward(context, chosen.actionId, accepted), at: i, result: !acted ? 'not-acted' : accepted ? 'accepted' : 'declined' },
    });
  }
  return out;
}

/** The true value per decision of `policy` on the bandit (what the estimators must find). */
export function trueValueOf(bandit: SyntheticBandit, policy: (r: DecisionRecord) => ReadonlyMap<string, number>): number {
  let v = 0;
  for (const context of bandit.contexts) {
    const r: DecisionRecord = { decisionId: context, customerId: context, at: 0, channel: bandit.channel, contextKey: context, candidates: bandit.candidatesOf(context), chosen: DO_NOTHING, propensity: 1 };
    for (const [a, p] of policy(r)) {
      const accept = a === DO_NOTHING ? 0 : bandit.acceptance(context, a);
      v += (p * (accept * bandit.reward(context, a, true) + (1 - accept) * bandit.reward(context, a, false))) / bandit.contexts.length;
    }
  }
  return v;
}
