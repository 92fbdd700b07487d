import { DAY_MS } from '../../domain/time.js';
import type { LiveScoring } from '../../intelligence/live/live-scoring.js';
import { periodsSinceContact, profileEvidence } from '../../intelligence/profile/profile-evidence.js';
import {
  acceptanceOf,
  DEFAULT_RESPONSE_PRIORS,
  fitResponseModel,
  responseProfile,
  type ProfileEvidence,
  type ResponseModel,
  type ResponsePriors,
  type ResponseProfile,
} from '../../intelligence/profile/response-model.js';
import { FEATURE_INDEX } from '../../twin/twin-features.js';
import type { TwinEngine } from '../../twin/twin-engine.js';
import type { OfferKind } from '../../twin/twin-responses.js';
import { planLearningCampaign, type LearningPlan, type ProfiledCandidate } from './learning-planner.js';

/**
 * The retention agent that learns by acting: every month it fits the base's response model to
 * what the twins have seen (each customer's answers to offers, and churn after contacts against
 * what the churn model expected), reads each active customer's response profile, and plans the
 * month's contacts with `planLearningCampaign` (exploit where the expected value is positive,
 * explore where an answer is worth more than it costs, never where contact likely hurts, a holdout
 * to measure itself). Its memory between months is the contact ledger: when it contacted whom and
 * the hazard the churn model gave them then (the expected churn against which the outcome is read).
 */

const MONTH_MS = 30.4375 * DAY_MS;

/** The offer the campaign uses. */
export interface CampaignOffer {
  readonly id: string;
  readonly kind: OfferKind;
  /** Cost of the offer to the operator if accepted, given the customer's monthly price. */
  readonly costFor: (monthlyPrice: number) => number;
}

/** What the agent remembers of one contact it made (or held out). */
export interface LedgerEntry {
  readonly at: number;
  /** The churn model's monthly hazard for the customer when contacted. */
  readonly hazard: number;
  readonly heldOut: boolean;
}

/** Settings of the agent. */
export interface LearningAgentOptions {
  readonly offer: CampaignOffer;
  readonly contactCost: number;
  /** Months an offer's effect is assumed to last (the planning window; default 3). */
  readonly effectMonths?: number;
  readonly priors?: ResponsePriors;
  readonly explorationShare?: number;
  readonly holdoutShare?: number;
  readonly harmThreshold?: number;
}

/** One month's result: the plan, the fitted model and every active customer's profile. */
export interface AgentMonth {
  readonly plan: LearningPlan;
  readonly model: ResponseModel;
  readonly profiles: ReadonlyMap<string, ResponseProfile>;
}

/** The agent with its ledger. */
export class LearningRetentionAgent {
  readonly ledger = new Map<string, LedgerEntry>();
  private readonly effectMonths: number;

  constructor(private readonly options: LearningAgentOptions) {
    this.effectMonths = options.effectMonths ?? 3;
  }

  /** Records contacts made outside the agent's own plans (an earlier campaign) so it learns from them too. */
  remember(customerId: string, entry: LedgerEntry): void {
    this.ledger.set(customerId, entry);
  }

  /** Fits, profiles and plans the month at the twins' event clock; `budget` in contacts. */
  planMonth(engine: TwinEngine, live: LiveScoring, budget: number, monthsLeft: number, seed: number): AgentMonth {
    const now = engine.eventClock;
    const windowMs = this.effectMonths * MONTH_MS;
    const evidence: ProfileEvidence[] = [];
    const active: { id: string; evidence: ProfileEvidence; hazard: number; value: number; price: number }[] = [];
    for (const id of engine.customerIds()) {
      const f = engine.features(id);
      const record = engine.contactRecord(id);
      if (!f || !record) continue;
      const score = live.scoreOf(id);
      const entry = this.ledger.get(id);
      // Churn after a contact is read against the hazard the model gave when the agent contacted.
      const periods = entry && !entry.heldOut ? periodsSinceContact(record, entry.hazard, now, windowMs) : [];
      const e = profileEvidence(f, record, periods);
      if (record.presented > 0) evidence.push(e);
      if (!score?.active || f[FEATURE_INDEX.churned] !== 0) continue;
      // Someone still inside an offer's window is not contacted again: the effect is still running,
      // and a new acceptance would only prolong it (two days' slack past the window: a monthly
      // campaign's calendar drifts by a day or two, and three months of it fall a day short of the
      // window, when a contact still finds the last one's effect in force).
      if (entry && now - entry.at < windowMs + 2 * DAY_MS) continue;
      active.push({ id, evidence: e, hazard: score.churn, value: score.clv, price: f[FEATURE_INDEX.monthly_price] });
    }
    const model = fitResponseModel(evidence, this.options.priors ?? DEFAULT_RESPONSE_PRIORS);
    const profiles = new Map<string, ResponseProfile>();
    const candidates: ProfiledCandidate[] = active.map((a) => {
      // The profile reads the customer's answers but not the churn outcome of the window still open.
      const profile = responseProfile(model, a.evidence);
      profiles.set(a.id, profile);
      return { customerId: a.id, hazard: a.hazard, value: a.value, offerCost: this.options.offer.costFor(a.price), classes: profile.classes };
    });
    const plan = planLearningCampaign(
      candidates,
      {
        acceptance: acceptanceOf(model, this.options.offer.kind),
        hazardRatio: model.hazardRatio,
        // Planned on the cautious end of each effect's 90 % interval (the offer helping a
        // persuadable least, a contact provoking a sleeping dog most): with a few hundred answers
        // the means are barely more than the priors, and money spent on an effect that is not
        // there does not come back.
        acceptedMultiplier: model.acceptedMultiplier.high,
        contactMultiplier: model.contactMultiplier.high,
      },
      {
        budget,
        contactCost: this.options.contactCost,
        effectMonths: this.effectMonths,
        monthsLeft,
        seed,
        explorationShare: this.options.explorationShare,
        holdoutShare: this.options.holdoutShare,
        harmThreshold: this.options.harmThreshold,
      },
    );
    const hazardOf = new Map(active.map((a) => [a.id, a.hazard]));
    for (const c of plan.contact) this.ledger.set(c.customerId, { at: now, hazard: hazardOf.get(c.customerId) ?? 0, heldOut: false });
    for (const c of plan.holdout) this.ledger.set(c.customerId, { at: now, hazard: hazardOf.get(c.customerId) ?? 0, heldOut: true });
    return { plan, model, profiles };
  }
}
