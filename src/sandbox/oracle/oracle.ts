import { TwinloopError } from '../../domain/errors.js';
import type { ApplicantTruth } from '../applicant-pool.js';
import { STATUS_ACTIVE, RESPONSE_TYPE_ORDER } from '../population.js';
import type { ResponseType } from '../world-config.js';
import { acceptedMultiplier, acceptProbability } from '../world-effects.js';
import { internalsOf } from '../world-internals.js';
import { alarmIdOf } from '../network-incidents.js';
import { DAY_MS, DAYS_PER_MONTH } from '../../domain/time.js';
import { renewalDecisionWithin, staysAtContractEnd } from '../contract-renewals.js';
import { monthToMonthIdx } from '../customer-factory.js';
import type { WorldEngine } from '../world-engine.js';

/** The true effect of one offer on one customer's churn over the next month. */
export interface OfferTruth {
  offerId: string;
  responseType: ResponseType;
  /** Probability the customer accepts the offer when presented. */
  acceptProbability: number;
  /** Monthly churn probability if nobody contacts the customer. */
  hazardUntreated: number;
  /** … if the offer is presented and declined (contact alone; worse for sleeping dogs). */
  hazardIfDeclined: number;
  /** … if the offer is presented and accepted. */
  hazardIfAccepted: number;
  /** Expected change in monthly churn probability from presenting the offer (negative = helps). */
  effect: number;
  /** The customer's plan price now (before any discount). */
  monthlyPrice: number;
  /** The day the customer's fixed-term contract ends and what they weigh then (absent without one, or in a world without `renewals`). */
  contractEnd?: ContractEndTruth;
}

/**
 * A contract's end as the world decides it (`runContractEnds`): that day the customer leaves with
 * probability 1 − (1 − h)^hazardMonths, h the monthly hazard they have as a month-to-month customer
 * with the multipliers in force on that day. An offer accepted now, or a sleeping dog's contact,
 * is in force on it when it falls inside the effect's window: a retention contact acts on the
 * renewal too.
 */
export interface ContractEndTruth {
  /** Days from now to the contract's end (0: today). */
  inDays: number;
  /** Months of month-to-month hazard the decision weighs (`renewals.churnHazardMonths`). */
  hazardMonths: number;
  /** The month-to-month hazard that day if nobody contacts the customer (drivers as of now) … */
  hazardUntreated: number;
  /** … if the offer is presented now and declined … */
  hazardIfDeclined: number;
  /** … and if it is presented now and accepted. */
  hazardIfAccepted: number;
}

/** What really happened to a customer. */
export interface CustomerOutcome {
  customerId: string;
  joinedAt: string;
  /** When the customer left, if they did. */
  terminatedAt?: string;
  contacts: number;
  offersAccepted: string[];
}

/**
 * The ground truth of a sandbox world, for evaluation only (the layering check keeps it out of
 * reach of everything but the sandbox and the evaluation code). Answers are as of the world's
 * simulated now.
 */
export interface SandboxOracle {
  /** True probability that the customer churns within the next month (0 once they have left). */
  churnProbability(customerId: string): number;
  /**
   * True probability that the customer churns within the next `days` days (0 once they have left):
   * the monthly hazard over the window and, when the contract ends in it, the decision taken then
   * (over several months' hazard as a month-to-month customer: `renewals`). Drivers as of now.
   */
  churnProbabilityWithin(customerId: string, days: number): number;
  /** Sure thing, lost cause, persuadable or sleeping dog. */
  responseType(customerId: string): ResponseType;
  /** The true effect of presenting `offerId` to the customer. */
  offerEffect(customerId: string, offerId: string): OfferTruth;
  /** What happened to the customer so far. */
  outcome(customerId: string): CustomerOutcome;
  /** Every customer id the world has had (active or not). */
  customerIds(): string[];
  /** The hidden truth of an onboarding applicant. */
  applicant(applicantId: string): ApplicantTruth | undefined;
  /** Monthly churn rate the world's intercept was solved for, and the intercept. */
  churnCalibration(): { targetMonthlyRate: number; intercept: number };
  /** The network incidents started so far, each with the customers it really touched. */
  incidents(): IncidentTruth[];
}

/** What an incident really was: its alarm's id in the world's feed, its cell, its time, whom it touched. */
export interface IncidentTruth {
  alarmId: string;
  cellId: string;
  siteId: string;
  impact: 'outage' | 'degradation' | 'congestion';
  severity: 'low' | 'medium' | 'high' | 'critical';
  /** When it began to hurt customers. */
  startMs: number;
  /** When its alarm was raised (at the start, or after its precursor), null if it never was. */
  alarmMs: number | null;
  endMs: number;
  touched: string[];
}

/** The oracle of a world made by `createSandboxWorld`. */
export function createOracle(world: object): SandboxOracle {
  const { engine: w, pool } = internalsOf(world);
  const slot = (customerId: string): number => {
    const c = w.pop.indexOf(customerId);
    if (c < 0) throw new TwinloopError('NOT_FOUND', `unknown customer ${customerId}; use an id from customerIds()`);
    return c;
  };
  const dateOf = (day: number) => new Date(w.startMs + day * DAY_MS).toISOString();
  return {
    churnProbability(customerId) {
      const c = slot(customerId);
      return w.pop.u.status[c] === STATUS_ACTIVE ? w.hazardOf(c, w.currentDay()) : 0;
    },
    churnProbabilityWithin(customerId, days) {
      const c = slot(customerId);
      if (w.pop.u.status[c] !== STATUS_ACTIVE) return 0;
      const day = w.currentDay();
      let stay = Math.pow(1 - w.hazardOf(c, day), days / DAYS_PER_MONTH);
      if (renewalDecisionWithin(w, c, day, days)) stay *= staysAtContractEnd(w, w.hazardOf(c, day, { contractLogit: w.cfg.population.contracts[monthToMonthIdx(w.cfg)].churnLogit }));
      return 1 - stay;
    },
    responseType: (customerId) => RESPONSE_TYPE_ORDER[w.pop.u.responseType[slot(customerId)]],
    offerEffect(customerId, offerId) {
      const c = slot(customerId);
      const offerIdx = w.cfg.offers.catalogue.findIndex((o) => o.id === offerId);
      if (offerIdx < 0) throw new TwinloopError('NOT_FOUND', `unknown offer ${offerId}; use an id of the world's offer catalogue`);
      const day = w.currentDay();
      const type = RESPONSE_TYPE_ORDER[w.pop.u.responseType[c]];
      const offerPart = w.pop.i.offerUntil[c] >= day ? w.pop.f.offerMultiplier[c] : 1;
      const contactPart = type === 'sleepingDog' ? w.cfg.offers.sleepingDogHazardMultiplier : w.pop.i.contactUntil[c] >= day ? w.pop.f.contactMultiplier[c] : 1;
      const untreated = w.hazardOf(c, day);
      const declined = w.hazardOf(c, day, { multiplier: offerPart * contactPart });
      const accepted = w.hazardOf(c, day, { multiplier: acceptedMultiplier(w, c, offerIdx) * contactPart });
      const pAccept = acceptProbability(w, c, offerIdx);
      const contractEnd = contractEndTruth(w, c, day, acceptedMultiplier(w, c, offerIdx));
      return {
        offerId,
        responseType: type,
        acceptProbability: pAccept,
        hazardUntreated: untreated,
        hazardIfDeclined: declined,
        hazardIfAccepted: accepted,
        effect: pAccept * accepted + (1 - pAccept) * declined - untreated,
        monthlyPrice: w.planPrices[w.pop.plan[c]],
        ...(contractEnd ? { contractEnd } : {}),
      };
    },
    outcome(customerId) {
      const c = slot(customerId);
      const out: CustomerOutcome = {
        customerId,
        joinedAt: new Date(w.pop.f.sinceMs[c]).toISOString(),
        contacts: w.pop.i.contacts[c],
        offersAccepted: w.contactLog.filter((r) => r.customer === c && r.kind === 'offer' && r.accepted).map((r) => r.what),
      };
      if (w.pop.i.terminatedDay[c] >= 0 && w.pop.u.status[c] !== STATUS_ACTIVE) out.terminatedAt = dateOf(w.pop.i.terminatedDay[c]);
      return out;
    },
    customerIds: () => w.pop.customerIds.slice(0, w.pop.size),
    applicant: (applicantId) => pool.truth(applicantId),
    churnCalibration: () => ({ targetMonthlyRate: w.cfg.churn.monthlyRate.target, intercept: w.intercept }),
    incidents: () =>
      w.incidents
        .filter((inc) => inc.startMs <= w.clock.now())
        .map((inc) => ({ alarmId: alarmIdOf(inc.id), cellId: inc.cellId, siteId: inc.siteId, impact: inc.impact, severity: inc.severity, startMs: inc.startMs, alarmMs: inc.alarmMs, endMs: inc.endMs, touched: inc.touched.map((c) => w.pop.customerIds[c]) })),
  };
}

/** Customer `c`'s contract end seen on `day`, with an offer now whose accepted multiplier is `accepted` (undefined without a coming end). */
function contractEndTruth(w: WorldEngine, c: number, day: number, accepted: number): ContractEndTruth | undefined {
  const end = w.pop.i.contractEndDay[c];
  if (!w.cfg.renewals || end < day) return undefined;
  const { f, i } = w.pop;
  const dog = RESPONSE_TYPE_ORDER[w.pop.u.responseType[c]] === 'sleepingDog';
  // The effects in force on the day of the end: those of earlier contacts, and a contact's now while its window lasts (recordContact, deliverOffer).
  const offerThen = i.offerUntil[c] >= end ? f.offerMultiplier[c] : 1;
  const contactThen = i.contactUntil[c] >= end ? f.contactMultiplier[c] : 1;
  const nowInForce = end <= day + Math.ceil(w.cfg.offers.effectMonths * DAYS_PER_MONTH);
  const contacted = dog && nowInForce ? w.cfg.offers.sleepingDogHazardMultiplier : contactThen;
  const monthToMonth = (multiplier: number) => w.hazardOf(c, day, { contractLogit: w.cfg.population.contracts[monthToMonthIdx(w.cfg)].churnLogit, multiplier });
  return {
    inDays: end - day,
    hazardMonths: w.cfg.renewals.churnHazardMonths,
    hazardUntreated: monthToMonth(offerThen * contactThen),
    hazardIfDeclined: monthToMonth(offerThen * contacted),
    hazardIfAccepted: monthToMonth((nowInForce ? accepted : offerThen) * contacted),
  };
}
