import type { Decision, DecisionContext, DiscardedAction, RankedAction } from './decision-funnel.js';

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
    ranked: d.ranked,
    discarded: explain ? d.discarded : d.discarded.map((x) => ({ actionId: x.actionId, step: x.step })),
  };
}
