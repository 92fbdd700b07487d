import type { Scenario, ScenarioResult } from '../../simulation/index.js';
import type { FeatureFilter } from '../../twin/feature-filter.js';
import { parseScenarios } from '../../simulation/index.js';
import type { Segment } from './intent-schema.js';
import { segmentFilters } from './segment-resolution.js';
import type { PlanOutcome } from './expectation-math.js';
import { PLAN_DRAWS, type Plan, type PlannedAction } from './intent-planner.js';

/**
 * The bridge from the planner to the simulation lab: a plan becomes one retention-campaign
 * scenario per action over the intent's segment, and the lab's outcome becomes the planner's
 * PlanOutcome. Without it the planner would score plans with guesses; with it every plan is a
 * Monte Carlo over the twins and the live churn model.
 */

/** Offer assumptions the lab needs that the plan does not carry (from the catalogue). */
export interface OfferAssumption {
  readonly discountPct: number;
  readonly months: number;
  readonly acceptance: number;
  readonly costPerAcceptance?: number;
  /** Share of churn avoided when it is accepted (a message's: when it is received), the catalogue's. */
  readonly retentionEffect?: number;
}

/**
 * A message's effect on a receiver's hazard when the catalogue states none: the hazard × 0.9 every
 * message got before (a check-in's catalogue entry states 0.05, half of it).
 */
const MESSAGE_EFFECT_PRIOR = 0.1;

/** Whether an action's "acceptances" are a customer's answer to an offer, not a message received or a credit paid. */
export const answeredAction = (a: PlannedAction): boolean => a.offerId !== undefined;

/** Per-contact cost of the channel mixes: a digital message is cheap, a person's call is not. */
export const CONTACT_COST = { digital: 0.5, assisted: 8 } as const;
/** Draws per plan (the planner's, which screens on fewer of them). */
export { PLAN_DRAWS };
/**
 * The intent's segment as the simulation lab's target conditions (segment-resolution.ts spells the
 * named segments out). The lab's population is the active twins, and lifetime value is not a
 * scenario field (the lab knows churn and revenue; the ranking carries it).
 */
export function segmentConditions(segment: Segment): FeatureFilter[] {
  return segmentFilters(segment).filter((f) => f.field !== 'clv' && f.field !== 'churned');
}

const assisted = (a: PlannedAction) => a.templateId === 'retention-offer-assisted' || a.channels.includes('human_task');

/**
 * The scenarios of a plan (one per action); `horizonMonths` from the intent's horizon. `draws`
 * (default PLAN_DRAWS) fewer for the planner's screening pass: the lab seeds each draw by its
 * number, so they are the full run's first draws. `target` (default the segment's conditions) is
 * empty when the lab's population holds the segment's customers alone (a planning's one read).
 */
export function planScenarios(plan: Plan, horizonMonths: number, offers: (offerId: string) => OfferAssumption | undefined, draws: number = PLAN_DRAWS, target: readonly FeatureFilter[] = segmentConditions(plan.segment)): Scenario[] {
  const raw = plan.actions.map((a, i) => {
    const offer = a.offerId ? offers(a.offerId) : undefined;
    // A message template is sent as the catalogue offering of its id (a check-in): its effect is the catalogue's.
    const message = a.offerId ? undefined : offers(a.templateId);
    const credit = a.creditAmount ?? 0;
    return {
      kind: 'retention_campaign',
      name: `${plan.id}#${i + 1} ${a.templateId}${a.offerId ? ` ${a.offerId}` : ''}`,
      horizonMonths,
      draws,
      seed: i + 1,
      target,
      targeting: {
        rank: a.targeting.rank === 'uplift' ? 'uplift' : 'churn_value',
        ...(a.targeting.limit.kind === 'top_k' ? { k: a.targeting.limit.k } : { budget: a.targeting.limit.amount }),
      },
      offer: {
        id: a.offerId ?? a.templateId,
        discountPct: offer?.discountPct ?? 0,
        months: offer?.months ?? 0,
        costPerAcceptance: (offer?.costPerAcceptance ?? 0) + credit,
        // A message or a credit is "accepted" by being received; an offer by the customer's yes.
        acceptance: offer ? { mean: offer.acceptance, sd: offer.acceptance / 3 } : { mean: credit > 0 ? 0.95 : 0.6, sd: 0.05 },
        acceptedHazardMultiplier: offer ? { mean: 0.7, sd: 0.15 } : { mean: 1 - (message?.retentionEffect ?? MESSAGE_EFFECT_PRIOR), sd: 0.05 },
      },
      costPerContact: assisted(a) ? CONTACT_COST.assisted : CONTACT_COST.digital,
      contactPolicy: { maxContacts: Math.max(1, a.maxContactsPerCustomer) },
      controlShare: a.controlGroupShare,
    };
  });
  return [...parseScenarios({ scenarios: raw }).scenarios];
}

const add = (a: { mean: number; low: number; high: number }, e: { mean: number; p05: number; p95: number }) => ({ mean: a.mean + e.mean, low: a.low + e.p05, high: a.high + e.p95 });
const zero = () => ({ mean: 0, low: 0, high: 0 });

/**
 * Sums the scenarios' outcomes into the plan's. Intervals are added end to end: conservative
 * (the actions' errors are not independent: they share the churn model). `answered[i]` says
 * whether scenario i's acceptances are answers to an offer (`answeredAction`); only those count as
 * the plan's acceptances, since a message or a credit has no answer the campaign could count (a
 * check-in plan expected hundreds of "acceptances" and its campaign counted none). Absent: all count.
 */
export function planOutcome(results: readonly ScenarioResult[], answered?: readonly boolean[]): PlanOutcome {
  let netValue = zero();
  let churnersAvoided = zero();
  let cost = zero();
  let acceptances = zero();
  let baseline = zero();
  let targeted = 0;
  let segmentSize = 0;
  for (const [i, r] of results.entries()) {
    netValue = add(netValue, r.overall.netValue);
    churnersAvoided = add(churnersAvoided, r.overall.churnersAvoided);
    cost = add(cost, r.overall.cost);
    if (answered?.[i] !== false) acceptances = add(acceptances, r.overall.accepted);
    baseline = r.overall.churnersBaseline.mean > baseline.mean ? add(zero(), r.overall.churnersBaseline) : baseline;
    targeted += r.overall.treated;
    segmentSize = Math.max(segmentSize, r.overall.twins);
  }
  return { netValue, churnersAvoided, cost, acceptances, baselineChurners: baseline, targeted, segmentSize };
}
