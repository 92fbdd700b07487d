import { TwinloopError } from '../domain/errors.js';
import { fnv1a32 } from '../domain/string-hash.js';
import type { DecisionRecord } from './decision-record.js';
import type { RewardModel } from './off-policy-estimators.js';

/** Options of `crossFittedRewardModel`. */
export interface CrossFitOptions {
  /** Folds the log is split in; each row is predicted by the model fitted on the others. Default 5. */
  readonly folds?: number;
  /**
   * Pseudo-rows of its action's mean each (context, action) cell is shrunk towards. Default 5: a
   * cell of a handful of rows leans on its action, one of hundreds on itself. An action's own mean
   * is not shrunk (do-nothing's rewards are all 0, and a pull towards the offers' mean made its
   * value 0.06 on the sandbox check, outside its interval); an action the other folds never chose
   * is predicted by their mean.
   */
  readonly strength?: number;
}

/** Sums of rewards and counts, by key. */
type Sums = Map<string, { sum: number; n: number }>;

const add = (m: Sums, key: string, reward: number) => {
  const s = m.get(key) ?? { sum: 0, n: 0 };
  s.sum += reward;
  s.n += 1;
  m.set(key, s);
};

/** One fold's model: the mean reward of every (context, action), shrunk towards its action's (the log's for an action it never chose). */
interface FoldModel {
  readonly overall: number;
  readonly byAction: Sums;
  readonly byCell: Sums;
}

const cellKey = (contextKey: string, actionId: string) => `${contextKey}\u0000${actionId}`;

/**
 * The direct model of doubly robust estimation, fitted on the log's own rewards and cross-fitted.
 * The model must predict the reward the log records, in its units: the live log's reward is the
 * answer (1 accepted, 0 otherwise), while the expected value logged with each candidate is money
 * (Δ lifetime value less cost), so DR with that as its model added a money term to an acceptance
 * correction and estimated neither. And a model fitted on the very rows it corrects absorbs their
 * noise (its residuals shrink towards 0 where it overfits, and DR's correction with them), so each
 * row is predicted by the model fitted on the other folds alone: the fold of a row is fixed by a
 * hash of its decision id, whatever the log's order.
 */
export function crossFittedRewardModel(records: readonly DecisionRecord[], options: CrossFitOptions = {}): RewardModel {
  const folds = options.folds ?? 5;
  if (!(Number.isInteger(folds) && folds >= 2)) throw new TwinloopError('BAD_INPUT', `folds must be an integer ≥ 2; got ${folds}`);
  const strength = options.strength ?? 5;
  if (!(strength >= 0 && Number.isFinite(strength))) throw new TwinloopError('BAD_INPUT', `strength must be a finite number ≥ 0; got ${strength}`);
  const foldOf = (r: DecisionRecord) => fnv1a32(r.decisionId) % folds;
  const done = records.filter((r) => r.outcome !== undefined);
  const models: FoldModel[] = [];
  for (let k = 0; k < folds; k++) {
    const byAction: Sums = new Map();
    const byCell: Sums = new Map();
    let sum = 0;
    let n = 0;
    for (const r of done) {
      if (foldOf(r) === k) continue;
      const reward = r.outcome!.reward;
      add(byAction, r.chosen, reward);
      add(byCell, cellKey(r.contextKey, r.chosen), reward);
      sum += reward;
      n++;
    }
    models.push({ overall: n > 0 ? sum / n : 0, byAction, byCell });
  }
  const shrunk = (s: { sum: number; n: number } | undefined, parent: number) => (s ? (s.sum + strength * parent) / (s.n + strength) : parent);
  return (record, actionId) => {
    const m = models[foldOf(record)];
    const a = m.byAction.get(actionId);
    const action = a ? a.sum / a.n : m.overall;
    return shrunk(m.byCell.get(cellKey(record.contextKey, actionId)), action);
  };
}
