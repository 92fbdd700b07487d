import { choiceReason, type AcceptanceBelief, type ChoiceMode } from './decision-choice.js';
import type { Decision, DecisionContext, DiscardedAction, RankedAction } from './decision-funnel.js';
import type { ScoreBasis } from './score-basis.js';

/** Why the chosen action was chosen, as answered (decision-choice.ts). */
export interface AnsweredChoice {
  readonly mode: ChoiceMode;
  /** The chosen action (the same as `chosen`). */
  readonly actionId: string;
  /** The action the expected scores favour. */
  readonly bestActionId: string;
  readonly reason: string;
  /** Expected score given up now (0 when exploiting). */
  readonly cost: number;
  readonly probabilityBest?: number;
  readonly valueOfInformation?: number;
  readonly belief?: AcceptanceBelief;
}

/** A discarded offer as answered: the step that removed it, and the reason in words when asked for. */
export type AnsweredDiscard = Pick<DiscardedAction, 'actionId' | 'step'> & { readonly reason?: string };

/** A ranked action as answered: its reasons in words only when asked for; score and expected value to 1/10,000 of a currency unit. */
export type AnsweredAction = Omit<RankedAction, 'reasons'> & { readonly reasons?: readonly string[] };

/**
 * Ranked actions a compact answer lists: the best three by expected score (and the chosen one
 * when exploring picked one below them), what a desktop or a bot shows beside the choice.
 */
export const COMPACT_RANKED = 3;

/** A decision as every edge answers it (HTTP `POST /decisions`, MCP, `twinloop decide --json`). */
export interface DecisionAnswer {
  readonly decisionId: string;
  readonly customerId: string;
  /** Event time of the decision (ISO). */
  readonly at: string;
  readonly context: Omit<DecisionContext, 'now'>;
  readonly contextKey: string;
  readonly chosen: string;
  /** How `chosen` was chosen and why: exploit, explore (its cost, the value of information) or guarded. */
  readonly choice: AnsweredChoice;
  /** The churn risk and lifetime value the offers were valued on (rounded), or why there were none. */
  readonly basedOn: ScoreBasis;
  /** Best expected score first: every ranked action with its reasons when explained, else the best `COMPACT_RANKED` and the chosen one. */
  readonly ranked: readonly AnsweredAction[];
  /** How many actions were ranked (`ranked` may list fewer); propensities sum to 1 over all of them. */
  readonly rankedCount: number;
  /** With `explain`: every offer removed, with the step that removed it and why. */
  readonly discarded?: readonly AnsweredDiscard[];
  /** How many offers the funnel removed. */
  readonly discardedCount: number;
}

/** A currency figure to 1/10,000 of a unit: the digits past it are floating-point noise to a reader. */
const currency = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * The answer of a decision. Explained (`explain`, the default of the in-process callers: MCP, the
 * CLI): every ranked action with its reasons in words, and every discarded offer with the step
 * that removed it and why. Compact: the choice and why, the best few ranked actions without their
 * sentences, and how many were ranked and removed. Over HTTP compact is the default: the reasons
 * were most of the bytes and of the server's work per decision (BENCHMARKS.md), and a caller
 * acting on the choice does not read them.
 */
export function decisionAnswer(d: Decision, explain = true): DecisionAnswer {
  // Built field by field in the order of the types (no rest and spread copies: this is on every decision's answer).
  const c = d.context;
  const context: DecisionAnswer['context'] = { channel: c.channel, reason: c.reason, direction: c.direction };
  const answered = (r: RankedAction): AnsweredAction => {
    const figures = { actionId: r.actionId, name: r.name, treatment: r.treatment, score: currency(r.score), expectedValue: currency(r.expectedValue), propensity: r.propensity };
    return explain ? { ...figures, reasons: d.explained ? r.reasons : d.reasonsOf(r.actionId) } : figures;
  };
  const ranked: AnsweredAction[] = [];
  for (let i = 0; i < d.ranked.length; i++) {
    const r = d.ranked[i];
    if (explain || i < COMPACT_RANKED || r === d.chosen) ranked.push(answered(r));
  }
  return {
    decisionId: d.decisionId,
    customerId: d.customerId,
    at: new Date(d.at).toISOString(),
    context,
    contextKey: d.contextKey,
    chosen: d.chosen.actionId,
    choice: answeredChoice(d),
    basedOn: d.basedOn.scored ? { scored: true, churn: Math.round(d.basedOn.churn * 1e4) / 1e4, clv: currency(d.basedOn.clv) } : d.basedOn,
    ranked,
    rankedCount: d.ranked.length,
    ...(explain ? { discarded: d.discarded } : {}),
    discardedCount: d.discarded.length,
  };
}

/** The decision's choice with its reason in words (rounded figures; the reason says the rest). */
export function answeredChoice(d: Decision): AnsweredChoice {
  const c = d.choice;
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return {
    mode: c.mode,
    actionId: d.chosen.actionId,
    bestActionId: c.bestActionId,
    reason: choiceReason(c, d.chosen.actionId, d.contextKey),
    cost: r(c.cost),
    ...(c.probabilityBest === undefined ? {} : { probabilityBest: r(c.probabilityBest) }),
    ...(c.valueOfInformation === undefined ? {} : { valueOfInformation: r(c.valueOfInformation) }),
    ...(c.belief ? { belief: { ...c.belief, mean: r(c.belief.mean), sd: r(c.belief.sd), weight: r(c.belief.weight) } } : {}),
  };
}
