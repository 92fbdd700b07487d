import type { Exploration } from './arbitration.js';
import { DO_NOTHING } from './decision-record.js';

/**
 * Why a decision chose what it chose, in the terms of the choice itself:
 * - `exploit`: the action with the highest expected score (or doing nothing when no offering is
 *   expected to beat it);
 * - `explore`: another ranked action, drawn because the posterior still gives it a chance of being
 *   the best (Thompson sampling), or by the uniform floor that keeps every action loggable; with
 *   what exploring costs now and what the uncertainty is worth (the value of information);
 * - `guarded`: nothing passed the funnel's guards (eligibility, applicability, suitability,
 *   contact policy), so nothing else could be chosen.
 */

/** How a choice was made. */
export const CHOICE_MODES = ['exploit', 'explore', 'guarded'] as const;
export type ChoiceMode = (typeof CHOICE_MODES)[number];

/** An offer's acceptance as the learner believes it in the decision's context. */
export interface AcceptanceBelief {
  readonly offerId: string;
  readonly mean: number;
  readonly sd: number;
  /** Prior and evidence together, in pseudo-observations (α + β). */
  readonly weight: number;
}

/** The facts of a choice; `choiceReason` puts them in words. */
export interface Choice {
  readonly mode: ChoiceMode;
  /** The action the expected scores favour (the top of the ranking). */
  readonly bestActionId: string;
  /** Expected score given up now by not taking the best (0 when exploiting). */
  readonly cost: number;
  /** Share of the posterior draws the chosen action won (Thompson sampling; absent otherwise). */
  readonly probabilityBest?: number;
  /**
   * Expected value of perfect information for this decision, E[max over actions of a posterior
   * draw − the draw of the best-expected action]: what knowing the acceptances exactly would add
   * to it (averaged over the decision's own posterior draws; absent without them).
   */
  readonly valueOfInformation?: number;
  /** The uncertain offer of an exploring choice: the chosen one, or the best when doing nothing is explored. */
  readonly belief?: AcceptanceBelief;
  /** Offerings removed by each guard (for `guarded`), or for their value (for an `exploit` of doing nothing). */
  readonly removed?: Readonly<Record<string, number>>;
  /** How the funnel explores (Thompson sampling, ε-greedy or greedy). */
  readonly exploration: Exploration;
}

const pct = (x: number) => `${Math.round(100 * x)} %`;
const num = (x: number) => x.toFixed(2);
const counts = (removed: Readonly<Record<string, number>> | undefined) =>
  Object.entries(removed ?? {})
    .map(([step, n]) => `${step} ${n}`)
    .join(', ');

/** The choice in one sentence, starting with its mode. */
export function choiceReason(c: Choice, chosen: string, contextKey: string): string {
  const exploration = c.exploration;
  const name = (id: string) => (id === DO_NOTHING ? 'doing nothing' : id);
  if (c.mode === 'guarded') return `guarded: nothing passed the funnel's guards (${counts(c.removed)}), so the choice is to do nothing`;
  if (c.mode === 'exploit') {
    if (chosen === DO_NOTHING) {
      const n = Object.values(c.removed ?? {}).reduce((a, b) => a + b, 0);
      return `exploit: no offering is expected to beat doing nothing${n ? ` (${n} removed for an expected value ≤ 0)` : ''}`;
    }
    return `exploit: ${chosen} has the highest expected score`;
  }
  const parts: string[] = [];
  if (exploration.kind === 'epsilon-greedy') parts.push(`explore: ε-greedy's uniform draw (ε = ${exploration.epsilon}) chose ${name(chosen)} over ${name(c.bestActionId)}`);
  else if (c.probabilityBest !== undefined && c.probabilityBest > 0) parts.push(`explore: the posterior gives ${name(chosen)} a ${pct(c.probabilityBest)} chance of being the best, so it is tried instead of ${name(c.bestActionId)}`);
  else parts.push(`explore: ${name(chosen)} won no posterior draw; the exploration floor${exploration.kind === 'thompson' ? ` (${pct(exploration.floor)})` : ''} keeps every action possible, so the log can value any policy`);
  parts.push(`it costs ${num(c.cost)} in expected score now`);
  if (c.valueOfInformation !== undefined) parts.push(`knowing the acceptances exactly would be worth ${num(c.valueOfInformation)} to this decision (value of information)`);
  if (c.belief) parts.push(`${c.belief.offerId}'s acceptance in ${contextKey} is ${num(c.belief.mean)} ± ${num(c.belief.sd)} (weight ${c.belief.weight.toFixed(0)})`);
  return parts.join('; ');
}

/** The belief behind a Beta(α, β) posterior. */
export function betaBelief(offerId: string, alpha: number, beta: number): AcceptanceBelief {
  const w = alpha + beta;
  return { offerId, mean: alpha / w, sd: Math.sqrt((alpha * beta) / (w * w * (w + 1))), weight: w };
}
