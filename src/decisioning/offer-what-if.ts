import { TwinloopError } from '../domain/errors.js';
import { expectedValue, type CustomerScores } from './arbitration.js';
import type { DecisionAsker, DecisionContext, DecisionFunnel, FunnelStep, TwinSource } from './decision-funnel.js';
import { DO_NOTHING } from './decision-record.js';
import { scoresOrUnscored, type ScoreBasis } from './score-basis.js';

/**
 * A what-if for one customer: what each offering of the catalogue is expected to do to their churn
 * and to the operator's value if it were made now, in the numbers next-best-action ranks on, and
 * where the funnel stands on it (proposed, or the step that removes it and why). Nothing is logged
 * and nothing is carried out: it is the decision's arithmetic shown per offering.
 */

/** One offering in the what-if. */
export interface OfferWhatIf {
  readonly actionId: string;
  readonly name: string;
  readonly actionClass: string;
  /** Whether the customer qualifies at all (the offering is live, valid now, and its eligibility rule holds). */
  readonly eligible: boolean;
  /** `proposed` (ranked, with `rank` 1 = first after sorting), or the funnel step that removes it now. */
  readonly funnel: { readonly step: 'proposed'; readonly rank: number } | { readonly step: FunnelStep; readonly reason: string };
  /** P(accept) the funnel expects in this contact's context. */
  readonly acceptance: number;
  /** Churn probability (the model's horizon) now, if the customer accepts, and expected when the offer is made; null when the customer has no score (`basedOn`). */
  readonly churnNow: number | null;
  readonly churnIfAccepted: number | null;
  readonly expectedChurn: number | null;
  /** Δ lifetime value if accepted (churn reduction × CLV). */
  readonly deltaLifetimeValue: number;
  /** Paid if accepted (discount given away, fixed cost when on acceptance), and per presentation. */
  readonly costIfAccepted: number;
  readonly costPerContact: number;
  /** Revenue the offering brings if accepted (an add-on's price, say; 0 for a discount). */
  readonly revenueIfAccepted: number;
  /** Δ lifetime value + revenue − cost if accepted. */
  readonly valueIfAccepted: number;
  /** P(accept) × value if accepted − cost per contact: what next-best-action ranks on (before channel weights). */
  readonly expectedValue: number;
}

/** The what-if of one customer in one contact. */
export interface CustomerWhatIf {
  readonly customerId: string;
  /** Event time it was computed for (ms). */
  readonly at: number;
  readonly channel: DecisionContext['channel'];
  readonly contextKey: string;
  /** The churn risk and lifetime value now, null when the customer has no score (`basedOn` says why). */
  readonly churn: number | null;
  readonly clv: number | null;
  /** What the offers were valued on: the live scores, or why there were none. */
  readonly basedOn: ScoreBasis;
  /** Eligible offerings first, highest expected value first; then the rest. */
  readonly offers: readonly OfferWhatIf[];
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/** The what-if for a live twin (NOT_FOUND for an unknown customer). */
export function whatIfForTwin(funnel: DecisionFunnel, twins: TwinSource, scoresOf: (customerId: string) => CustomerScores | undefined, customerId: string, context: DecisionContext, whyUnscored?: string, asker?: DecisionAsker): CustomerWhatIf {
  const features = twins.features(customerId, context.now);
  if (!features) throw new TwinloopError('NOT_FOUND', `no twin for customer '${customerId}': check the id, or send its customer event first`);
  const scores = scoresOrUnscored(scoresOf(customerId), whyUnscored);
  // The funnel's own answer says which offerings it would propose now and why the others not.
  const decision = funnel.decide(customerId, features, scores, context, undefined, asker);
  const removed = new Map(decision.discarded.map((d) => [d.actionId, d]));
  const rankOf = new Map(decision.ranked.filter((r) => r.actionId !== DO_NOTHING).map((r, i) => [r.actionId, i + 1]));
  const basedOn = decision.basedOn;
  // Unscored, the offers are valued as the funnel values them (churn 0, value 0), and no churn figure is shown.
  const churn = basedOn.churn ?? 0;
  const clv = basedOn.clv ?? 0;
  const shown = (p: number) => (basedOn.scored ? p : null);
  const offers = funnel.catalogue.offers.map((o): OfferWhatIf => {
    const { acceptance, value } = funnel.valueOf(o, features, { churn, clv }, decision.contextKey);
    const out = removed.get(o.id);
    const rank = rankOf.get(o.id);
    return {
      actionId: o.id,
      name: o.offering.name,
      actionClass: o.actionClass,
      eligible: out?.step !== 'eligibility',
      funnel: rank !== undefined ? { step: 'proposed', rank } : { step: out?.step ?? 'arbitration', reason: out?.reason ?? 'not ranked' },
      acceptance,
      churnNow: shown(churn),
      churnIfAccepted: shown(clamp01(churn - value.deltaChurn)),
      expectedChurn: shown(clamp01(churn - acceptance * value.deltaChurn)),
      deltaLifetimeValue: value.deltaLtv,
      costIfAccepted: value.acceptCost,
      costPerContact: value.contactCost,
      revenueIfAccepted: o.revenue,
      valueIfAccepted: value.gainIfAccepted,
      expectedValue: expectedValue(acceptance, value.gainIfAccepted, value.contactCost),
    };
  });
  offers.sort((a, b) => Number(b.eligible) - Number(a.eligible) || b.expectedValue - a.expectedValue);
  return { customerId, at: context.now, channel: context.channel, contextKey: decision.contextKey, churn: basedOn.churn, clv: basedOn.clv, basedOn, offers };
}
