import type { LiveScoring } from '../../intelligence/live/live-scoring.js';
import { acceptanceCovariates } from '../../intelligence/uplift/acceptance-covariates.js';
import { DEFAULT_CONTACT_EFFECT_PRIORS, fitPilotUplift, planSingleDecision, type PilotUplift, type SingleDecisionPlan } from '../../intelligence/uplift/pilot-uplift.js';
import { endMovedRow, type ContractEndModel } from '../../intelligence/twin-training/contract-end-model.js';
import { fitStratumCalibration, recalibratedChurn, recalibratedHazard } from '../../intelligence/uplift/stratum-calibration.js';
import { DAY_MS, MONTH_MS } from '../../domain/time.js';
import { FEATURE_INDEX } from '../../twin/twin-features.js';
import type { TwinEngine } from '../../twin/twin-engine.js';

/**
 * The single-decision retention agent: what an operator can do with one decision on today's
 * twins and last quarter's randomised campaign (half of a random sample offered, half held out).
 * It reads from the campaign who accepts and, from the churn of the offered arm's acceptors and
 * others against the customers the campaign left alone at random (its held-out arm and those its
 * random sample did not take), what a contact does to the churn of those who accept and of those
 * who do not, the selection factor of who accepts integrated over (`fitPilotUplift`), values a contact for every candidate with both terms under that posterior,
 * each customer's churn over the window read with the churn model's calibration for their stratum of contract phase and
 * risk, measured on the campaign's controls (`fitStratumCalibration`: the score compounded over the window is off by
 * contract phase, a renewal inside it read at a fifth of its churn, since 2026-12-07),
 * and contacts the best in a plan sized by that evidence: the run with the largest certainty
 * equivalent (`planSingleDecision`, plan-size.ts), the whole worth list when the posterior is narrow,
 * its best few when it is wide. It sees only the twins and the churn model, never the world's truth.
 */

/**
 * One customer of last quarter's randomised campaign: offered, or left alone at random (its
 * held-out arm, and any active customer its random sample did not take: as untouched by it, at
 * random, so controls as good as the held out; `treated` false for both).
 */
export interface PilotCustomer {
  readonly id: string;
  /** The twin's features when the campaign started. */
  readonly features: Float64Array;
  readonly treated: boolean;
  readonly accepted: boolean;
}

/** The offer as it costs the operator. */
export interface SingleDecisionOffer {
  /** Cost of the offer if accepted, for a customer paying `monthlyPrice`. */
  costFor(monthlyPrice: number): number;
  /** The catalogue's stated share of an acceptor's churn the offer removes: the prior the campaign updates (default 0.25). */
  readonly retentionEffect?: number;
}

/** The agent's picks (customer ids, best first), its plan and what it learnt from the campaign. */
export interface SingleDecision {
  readonly picks: readonly string[];
  readonly plan: SingleDecisionPlan;
  /** What the campaign showed; null when it had no offered or no held-out customer (nothing to learn from: nobody is contacted). */
  readonly pilot: PilotUplift | null;
}

/** Survival over `months` at monthly hazard h. */
const survive = (h: number, months: number) => (1 - h) ** months;

/** A customer's churn risk over the horizon: the monthly hazard, and the decision at a contract's end inside it (0 without one). */
export interface HorizonRisk {
  readonly hazard: number;
  readonly endHazard: number;
}

/**
 * Reads a feature row's risk over the horizon. Without the contract-end model, or when no end
 * falls inside the horizon, the churn model's 30-day score held every month (as the single decision
 * read every customer until 2026-12-07). With an end inside it, the lock-in's hazard (the score of
 * the row with the end moved past the horizon) for the months, and the end's decision from the
 * contract-end model: the 30-day score compounded counted a renewal in the next 30 days three times
 * and one in 31–91 days not at all (docs/learning.md).
 */
export function horizonRisk(f: Float64Array, score: number, churnOf: (row: Float64Array) => number, ends: ContractEndModel | undefined, horizonMonths: number, endChurnOf: (row: Float64Array) => number): HorizonRisk {
  const horizonDays = (horizonMonths * MONTH_MS) / DAY_MS;
  if (!ends || !(f[FEATURE_INDEX.contract_days_left] < horizonDays)) return { hazard: score, endHazard: 0 };
  return { hazard: churnOf(endMovedRow(f, horizonDays)), endHazard: ends.probability(f, endChurnOf) };
}

/**
 * Plans the single decision over `candidates` (active customer ids) with `contacts` at most.
 * `hazardAt` is the churn model's monthly hazard of a feature row (the campaign's customers are
 * read as they were when it started, not after the churn it is judged by); `horizonMonths` is the
 * offer's effect window, over which the campaign's churn was watched.
 */
export function decideOnce(
  engine: TwinEngine,
  live: LiveScoring,
  hazardAt: (features: Float64Array) => number,
  pilot: readonly PilotCustomer[],
  candidates: readonly string[],
  options: {
    readonly contacts: number;
    readonly offer: SingleDecisionOffer;
    readonly contactCost: number;
    readonly horizonMonths: number;
    /** The decision at a contract's end, fitted on the log's ends with `live.assess`'s churn (`fitContractEndModel`): read for every customer whose contract ends inside the horizon. */
    readonly contractEnds?: ContractEndModel;
  },
): SingleDecision {
  if (!pilot.some((p) => p.treated) || !pilot.some((p) => !p.treated)) {
    // Without both arms no effect can be measured, and a contact's harm could be anything.
    return { picks: [], plan: { contact: [], left: { 'not-worth-it': candidates.length, 'contact-harms': 0, 'plan-risk': 0, budget: 0 } }, pilot: null };
  }
  const ends = options.contractEnds;
  const served = (row: Float64Array) => live.assess(row).churn;
  const campaign = pilot.map((p) => {
    const h = hazardAt(p.features);
    const risk = horizonRisk(p.features, h, hazardAt, ends, options.horizonMonths, served);
    return { p, h, expectedChurn: 1 - survive(risk.hazard, options.horizonMonths) * (1 - risk.endHazard), churned: engine.features(p.id)?.[FEATURE_INDEX.churned] === 1 };
  });
  // The model's churn over the horizon is off by contract phase and risk, not as a whole: each stratum's factor,
  // read on the campaign's controls, moves its customers against the others' (stratum-calibration.ts).
  const calibration = fitStratumCalibration(campaign.filter((x) => !x.p.treated).map((x) => ({ features: x.p.features, hazard: x.h, expectedChurn: x.expectedChurn, churned: x.churned })), options.horizonMonths);
  const model = fitPilotUplift(
    campaign.map((x) => ({
      covariates: acceptanceCovariates(x.p.features, x.h),
      treated: x.p.treated,
      accepted: x.p.accepted,
      churned: x.churned,
      expectedChurn: recalibratedChurn(calibration, calibration.stratumOf(x.p.features, x.h), x.expectedChurn),
    })),
    { ...DEFAULT_CONTACT_EFFECT_PRIORS, acceptedMultiplier: 1 - (options.offer.retentionEffect ?? 1 - DEFAULT_CONTACT_EFFECT_PRIORS.acceptedMultiplier) },
  );
  const upliftCandidates = [];
  for (const id of candidates) {
    const f = engine.features(id);
    const s = live.scoreOf(id);
    if (!f || !s?.active) continue;
    const risk = horizonRisk(f, s.churn, served, ends, options.horizonMonths, served);
    const stratum = calibration.stratumOf(f, s.churn);
    upliftCandidates.push({
      customerId: id,
      covariates: acceptanceCovariates(f, s.churn),
      hazard: recalibratedHazard(calibration, stratum, risk.hazard, options.horizonMonths),
      endHazard: risk.endHazard > 0 ? recalibratedChurn(calibration, stratum, risk.endHazard) : 0,
      value: s.clv,
      offerCost: options.offer.costFor(f[FEATURE_INDEX.monthly_price]),
    });
  }
  const plan = planSingleDecision(model, upliftCandidates, { contacts: options.contacts, contactCost: options.contactCost, horizonMonths: options.horizonMonths });
  return { picks: plan.contact.map((c) => c.customerId), plan, pilot: model };
}
