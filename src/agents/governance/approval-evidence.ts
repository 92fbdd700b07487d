import { cents, isPlanChangeTerms, type PlanChangeTerms } from '../../decisioning/action-pricing.js';
import type { ActionRequest, BudgetStanding, PolicyVerdict } from '../../decisioning/policy/index.js';
import { onAcceptancePart, paidAtPresentation, presentsOffer } from './offer-settlement.js';

/**
 * What the person deciding an approval is shown besides the request: what the policy judged. The
 * requester's own evidence (`why.evidence`: a simulation, a decision) is kept, and the policy's
 * judgement is laid over it, so no requester can show the approver other facts than those judged.
 */

/** The money an approval would move, as the policy checked it. */
export interface ApprovalAmount {
  /** The whole cost the policy checked against caps and budgets. */
  readonly cost: number;
  /** An offer presented: what is paid when it is presented, and what only if the customer accepts (reserved until then). */
  readonly paidAtPresentation?: number;
  readonly onAcceptance?: number;
  readonly discountPct?: number;
  /** A plan change: the plan it moves from and to, each at its monthly price, and the difference to the customer's monthly bill (its cost is the revenue a move down gives up). */
  readonly planChange?: PlanChangeTerms;
}

/** A budget line the approval would book on, as it stood when the policy judged the request. */
export interface ApprovalBudgetLine {
  readonly scope: string;
  readonly periodKey: string;
  readonly limit: number;
  /** Reserved and committed on the line when the request was judged. */
  readonly spent: number;
  /** What the line had left then (its standing is judged again at the approval). */
  readonly left: number;
}

/** The policy's part of an approval's evidence. */
export interface ApprovalEvidence {
  /** The customer's facts the policy matched its segments on (the twin's features and live scores, AUDITED_FACTS and those the segments read). */
  readonly facts: Readonly<Record<string, number>>;
  /** When, on the operator's clock (the event clock), those facts were read and the request judged. */
  readonly factsAsOf: number;
  readonly amount: ApprovalAmount;
  readonly budgets: readonly ApprovalBudgetLine[];
  /** When the customer's last plan ended, if they had left when the request was judged (ms, event time): `monthly_price 0, clv 0` alone did not say so. */
  readonly left?: number;
}

/**
 * The evidence an approval of `request` shows: the requester's, with the policy's judgement
 * (`verdict`, `spending` as at `now`) over it, and when the customer left (`leftAt`, when they have).
 */
export function approvalEvidence(request: ActionRequest, verdict: Pick<PolicyVerdict, 'cost' | 'budget'>, spending: readonly BudgetStanding[], now: number, leftAt?: number): Record<string, unknown> & ApprovalEvidence {
  // The executor's own split (carryOut): what the presentation pays, the rest reserved until the answer.
  const later = presentsOffer(request) ? onAcceptancePart(request) : 0;
  const amount: ApprovalAmount = {
    cost: verdict.cost,
    ...(later > 0 ? { paidAtPresentation: paidAtPresentation(request, verdict.cost), onAcceptance: later } : {}),
    ...(request.discountPct !== undefined ? { discountPct: request.discountPct } : {}),
    ...(isPlanChangeTerms(request.params.planChange) ? { planChange: request.params.planChange } : {}),
  };
  const budgets = verdict.budget.map((c): ApprovalBudgetLine => {
    const s = spending.find((x) => x.scope === c.scope && x.periodKey === c.periodKey);
    const spent = cents((s?.reserved ?? 0) + (s?.committed ?? 0));
    return { scope: c.scope, periodKey: c.periodKey, limit: c.limit, spent, left: cents(Math.max(0, c.limit - spent)) };
  });
  const { left: _claimed, ...requester } = request.why.evidence ?? {};
  return { ...requester, facts: request.features, factsAsOf: now, amount, budgets, ...(leftAt ? { left: leftAt } : {}) };
}

