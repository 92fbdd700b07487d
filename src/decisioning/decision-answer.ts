import { choiceReason, type AcceptanceBelief, type ChoiceMode } from './decision-choice.js';
import type { Decision, DecisionContext, DiscardedAction, RankedAction } from './decision-funnel.js';

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
  readonly ranked: readonly RankedAction[];
  readonly discarded: readonly AnsweredDiscard[];
}

/**
 * The answer of a decision: what was ranked and why, and for each discarded offer the step that
 * removed it (with the reason in words when `explain`: with a large catalogue the reasons are most
 * of the answer's bytes, and a desktop rarely needs them).
 */
export function decisionAnswer(d: Decision, explain = true): DecisionAnswer {
  const { now: _now, ...context } = d.context;
  return {
    decisionId: d.decisionId,
    customerId: d.customerId,
    at: new Date(d.at).toISOString(),
    context,
    contextKey: d.contextKey,
    chosen: d.chosen.actionId,
    choice: answeredChoice(d),
    ranked: d.ranked,
    discarded: explain ? d.discarded : d.discarded.map((x) => ({ actionId: x.actionId, step: x.step })),
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
