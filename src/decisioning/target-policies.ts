import { TwinloopError } from '../domain/errors.js';
import { DO_NOTHING, type DecisionRecord } from './decision-record.js';
import type { TargetPolicy } from './off-policy-estimators.js';

/** Puts all the probability on the candidate with the highest expected value (the first, on ties). */
export const greedyPolicy: TargetPolicy = (r) => new Map([[best(r).actionId, 1]]);

/** Never contacts anyone: all the probability on DO_NOTHING (which must be a candidate). */
export const doNothingPolicy: TargetPolicy = (r) => {
  if (!r.candidates.some((c) => c.actionId === DO_NOTHING)) {
    throw new TwinloopError('BAD_INPUT', `decision ${r.decisionId} has no ${DO_NOTHING} candidate; log ${DO_NOTHING} as a candidate to evaluate it`);
  }
  return new Map([[DO_NOTHING, 1]]);
};

/** Chooses uniformly among the record's candidates. */
export const uniformPolicy: TargetPolicy = (r) => new Map(r.candidates.map((c) => [c.actionId, 1 / r.candidates.length]));

/** The logging policy itself, from the record's propensities (its estimate is the logged average reward). */
export const loggingPolicy: TargetPolicy = (r) => new Map(r.candidates.map((c) => [c.actionId, c.propensity]));

/** Greedy, but only when the best expected value reaches `minValue`; otherwise do nothing. */
export function thresholdPolicy(minValue: number): TargetPolicy {
  if (!Number.isFinite(minValue)) throw new TwinloopError('BAD_INPUT', `threshold must be a finite number; got ${minValue}`);
  return (r) => {
    const top = best(r);
    return top.expectedValue >= minValue ? new Map([[top.actionId, 1]]) : doNothingPolicy(r);
  };
}

/** Names accepted by `targetPolicyByName` (`threshold:<value>` takes a value). */
export const TARGET_POLICY_NAMES: readonly string[] = ['greedy', 'do-nothing', 'uniform', 'logging', 'threshold:<minValue>'];

/** Resolves a policy name as typed at an interface (`greedy`, `do-nothing`, `uniform`, `logging`, `threshold:25`). */
export function targetPolicyByName(name: string): TargetPolicy {
  switch (name) {
    case 'greedy':
      return greedyPolicy;
    case 'do-nothing':
      return doNothingPolicy;
    case 'uniform':
      return uniformPolicy;
    case 'logging':
      return loggingPolicy;
  }
  const m = /^threshold:(-?\d+(?:\.\d+)?)$/.exec(name);
  if (m) return thresholdPolicy(Number(m[1]));
  throw new TwinloopError('BAD_INPUT', `unknown target policy "${name}"; use one of ${TARGET_POLICY_NAMES.join(', ')}`);
}

function best(r: DecisionRecord) {
  if (r.candidates.length === 0) throw new TwinloopError('BAD_INPUT', `decision ${r.decisionId} has no candidates; log at least ${DO_NOTHING}`);
  let top = r.candidates[0];
  for (const c of r.candidates) if (c.expectedValue > top.expectedValue) top = c;
  return top;
}
