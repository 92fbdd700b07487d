/**
 * Who gets a retention offer under a budget. Pure: the caller brings each candidate's estimates
 * (from the twins, the churn model, the acceptance model) and gets back the chosen customers with
 * the reason each was taken or left.
 */

/** One customer as the planner sees it. */
export interface RetentionCandidate {
  readonly customerId: string;
  /** Probability of churning over the plan's horizon if nobody contacts the customer. */
  readonly churn: number;
  /** Lifetime value at stake if the customer stays. */
  readonly value: number;
  /** Probability the customer accepts the offer when presented. */
  readonly acceptance: number;
  /** Expected cost of treating: the contact, plus the offer's cost × acceptance. */
  readonly expectedCost: number;
  /**
   * Estimated change in churn probability from being contacted at all (positive = contact
   * harms: a "sleeping dog"), when an uplift model is available.
   */
  readonly contactHarm?: number;
}

/** How the planner ranks candidates. */
export type TargetingRule =
  /** Expected retained value: acceptance × churn × retention effect × value, less cost (the agent). */
  | { readonly kind: 'expected-value'; readonly retentionEffect: number }
  /** Highest churn risk first (the usual baseline). */
  | { readonly kind: 'highest-risk' }
  /** Highest churn × value first. */
  | { readonly kind: 'risk-value' };

export interface RetentionPlan {
  readonly chosen: readonly { customerId: string; score: number; expectedCost: number }[];
  readonly expectedCost: number;
  /** Candidates left out, counted by reason. */
  readonly left: Readonly<Record<'not-worth-it' | 'contact-harms' | 'budget', number>>;
}

/** Score of a candidate under a rule (higher first); for 'expected-value' it is the expected net value. */
export function targetingScore(c: RetentionCandidate, rule: TargetingRule): number {
  switch (rule.kind) {
    case 'expected-value':
      return c.acceptance * c.churn * rule.retentionEffect * c.value - (c.contactHarm ?? 0) * c.value - c.expectedCost;
    case 'highest-risk':
      return c.churn;
    case 'risk-value':
      return c.churn * c.value;
  }
}

/**
 * Chooses candidates best-first until the budget (in expected cost) is spent. Under the
 * expected-value rule a candidate whose expected net value is not positive is left out ("do
 * nothing" beats it), and so is one whose estimated contact harm is positive: sleeping dogs are
 * left alone.
 */
export function planRetention(candidates: readonly RetentionCandidate[], budget: number, rule: TargetingRule): RetentionPlan {
  const scored = candidates.map((c) => ({ c, score: targetingScore(c, rule) }));
  scored.sort((a, b) => b.score - a.score || (a.c.customerId < b.c.customerId ? -1 : 1));
  const chosen: { customerId: string; score: number; expectedCost: number }[] = [];
  const left = { 'not-worth-it': 0, 'contact-harms': 0, budget: 0 };
  let spent = 0;
  for (const { c, score } of scored) {
    if (rule.kind === 'expected-value' && (c.contactHarm ?? 0) > 0) {
      left['contact-harms']++;
      continue;
    }
    if (rule.kind === 'expected-value' && score <= 0) {
      left['not-worth-it']++;
      continue;
    }
    if (spent + c.expectedCost > budget) {
      left.budget++;
      continue;
    }
    spent += c.expectedCost;
    chosen.push({ customerId: c.customerId, score, expectedCost: c.expectedCost });
  }
  return { chosen, expectedCost: spent, left };
}
