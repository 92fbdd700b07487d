import { TwinloopError } from '../../domain/errors.js';
import { DAYS_PER_MONTH, YEAR_MS } from '../../domain/time.js';
import { driverLogit, MAX_MONTHLY_HAZARD } from '../churn-hazard.js';
import { renewalDecisionWithin, staysAtContractEnd } from '../contract-renewals.js';
import { monthToMonthIdx, responseTypeWeights } from '../customer-factory.js';
import { STATUS_ACTIVE } from '../population.js';
import { RESPONSE_TYPES } from '../world-config.js';
import type { WorldEngine } from '../world-engine.js';
import { internalsOf } from '../world-internals.js';

/**
 * The *feature oracle*'s view of a customer: the world's hidden model with the latent parts
 * (response type, financial strain, frailty) integrated out given only what an operator can
 * observe — contract, tenure, plan, usage against allowance, payment history (late and failed
 * payments, which the latent strain drives) and the fact that the customer is still here after
 * their months in the world. It ignores the customer's own answers to past offers: those are what a
 * learning agent may use and the feature oracle may not.
 *
 * The posterior over latents is a grid: strain and frailty on `GRID` standard-normal nodes each
 * (weights ∝ the normal density, renormalised), times the four response types with the world's
 * trait-tilted type shares at that strain. Evidence is the payment record (each postpaid payment
 * failed / late / on time, with the world's logits in strain) and survival in the world
 * (current base hazard held over the months since the customer joined, a slight approximation:
 * drivers such as tenure and complaints moved over those months).
 */

/**
 * A customer's latent states (struct of arrays, one entry per state) with their posterior
 * weights (summing to 1) and what the offer would do in each.
 */
export interface LatentStates {
  readonly weight: Float64Array;
  /** Index into RESPONSE_TYPES. */
  readonly type: Uint8Array;
  readonly acceptProbability: Float64Array;
  /** Monthly churn probability if nobody contacts the customer … */
  readonly hazardUntreated: Float64Array;
  /** … if the offer is presented and declined (contact alone; worse for sleeping dogs) … */
  readonly hazardIfDeclined: Float64Array;
  /** … and if it is presented and accepted. */
  readonly hazardIfAccepted: Float64Array;
  /**
   * The month-to-month hazard each state weighs on the day its contract ends (`FeatureView.contractEnd`;
   * zeros without one): untreated, if the offer is presented now and declined, and if accepted.
   */
  readonly contractEndUntreated: Float64Array;
  readonly contractEndIfDeclined: Float64Array;
  readonly contractEndIfAccepted: Float64Array;
}

/** A customer's posterior over latent states given observables, for one offer. */
export interface FeatureView {
  readonly customerId: string;
  readonly states: LatentStates;
  /** Posterior probability of each response type, RESPONSE_TYPES order. */
  readonly typeProbabilities: readonly number[];
  /** Expected monthly churn probability if nobody contacts the customer. */
  readonly churnProbability: number;
  /**
   * Expected probability of churning within the view's `horizonDays` if nobody contacts the
   * customer: the hazard over the window and, when the contract ends in it (observable: the twin
   * knows its end), the decision taken then. Equal to `churnProbability` without a horizon.
   */
  readonly churnWithinHorizon: number;
  /** The customer's plan price now (before any discount). */
  readonly monthlyPrice: number;
  /** When the fixed-term contract ends (observable: the twin knows its end) and the months of hazard weighed then; absent without one. */
  readonly contractEnd?: { readonly inDays: number; readonly hazardMonths: number };
}

/** Nodes per latent dimension: 11 × 11 × 4 types. */
const GRID = 11;
const NODES = Array.from({ length: GRID }, (_, k) => -3.6 + (7.2 * k) / (GRID - 1));
const NODE_WEIGHTS = (() => {
  const w = NODES.map((z) => Math.exp(-0.5 * z * z));
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / s);
})();
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** A customer's answers to the offers presented so far, as the twin saw them. */
interface OfferAnswer {
  readonly offerIdx: number;
  readonly answer: 'accepted' | 'declined' | 'ignored';
}

/**
 * The feature oracle of a world made by `createSandboxWorld` (evaluation only). With `answers`,
 * the *answer oracle*: the posterior also conditions on the customer's own answers to every offer
 * presented so far (accepted, declined, left unanswered), each with the world's true acceptance and
 * ignore probability in every latent state: the most any learner that reads the twins' answers
 * (and not the churn that followed) could know. The answers are those logged when it is created.
 */
export function createFeatureOracle(world: object, options: { readonly answers?: boolean; readonly horizonDays?: number } = {}): { view(customerId: string, offerId: string): FeatureView } {
  const w = internalsOf(world).engine;
  const answers = new Map<number, OfferAnswer[]>();
  if (options.answers) {
    for (const r of w.contactLog) {
      if (r.kind !== 'offer') continue;
      const offerIdx = w.cfg.offers.catalogue.findIndex((o) => o.id === r.what);
      if (offerIdx < 0) continue;
      const list = answers.get(r.customer) ?? [];
      list.push({ offerIdx, answer: r.accepted ? 'accepted' : r.ignored ? 'ignored' : 'declined' });
      answers.set(r.customer, list);
    }
  }
  return { view: (customerId, offerId) => featureView(w, customerId, offerId, answers, options.horizonDays) };
}

/** Likelihood of a customer's answers for each response type (RESPONSE_TYPES order). */
function answerLikelihood(w: WorldEngine, answers: readonly OfferAnswer[] | undefined): number[] {
  return RESPONSE_TYPES.map((type) => {
    let lik = 1;
    for (const a of answers ?? []) {
      const p = w.cfg.offers.acceptance[type] * (0.5 + 0.5 * w.cfg.offers.catalogue[a.offerIdx].strength);
      const q = w.cfg.offers.ignore?.[type] ?? 0;
      lik *= a.answer === 'accepted' ? p : a.answer === 'ignored' ? (1 - p) * q : (1 - p) * (1 - q);
    }
    return lik;
  });
}

function featureView(w: WorldEngine, customerId: string, offerId: string, answers: ReadonlyMap<number, readonly OfferAnswer[]>, horizonDays?: number): FeatureView {
  const { pop, cfg } = w;
  const c = pop.indexOf(customerId);
  if (c < 0) throw new TwinloopError('NOT_FOUND', `unknown customer ${customerId}; use an id from customerIds()`);
  if (pop.u.status[c] !== STATUS_ACTIVE) throw new TwinloopError('BAD_INPUT', `customer ${customerId} has left; the feature oracle views active customers`);
  const offer = cfg.offers.catalogue.find((o) => o.id === offerId);
  if (!offer) throw new TwinloopError('NOT_FOUND', `unknown offer ${offerId}; use an id of the world's offer catalogue`);
  const day = w.currentDay();
  const x = w.drivers(c, day);
  const coef = cfg.churn.coefficients;
  // The logit without the latent parts; each grid point adds strain, frailty and type back.
  const observed = driverLogit(coef, { ...x, strain: 0, frailty: 0, typeShift: 0 });
  const strainSd = cfg.payments.strain.sd;
  const strainMean = cfg.payments.strain.mean;
  const frailtySd = cfg.churn.frailtySd;
  const p = cfg.payments;
  const failed = pop.i.paymentsFailed[c];
  const paid = pop.i.paymentsPaid[c];
  const late = Math.max(0, pop.i.paymentsLate[c] - failed);
  const onTime = Math.max(0, paid - pop.i.paymentsLate[c]);
  const monthsInWorld = Math.max(0, (day - Math.max(0, pop.i.joinedDay[c])) / DAYS_PER_MONTH);
  const joinedMs = w.startMs + Math.max(0, pop.i.joinedDay[c]) * 86_400_000;
  const traitsBase = {
    monthToMonth: cfg.population.contracts[pop.u.contractIdx[c]].months === 0 ? 1 : 0,
    tenureYears: Math.max(0, (joinedMs - pop.f.sinceMs[c]) / YEAR_MS),
    dataOverAllowance: pop.f.typeDataTrait[c],
  };
  // Effects in force, as they would be for each hypothetical type.
  const offerInForce = pop.i.offerUntil[c] >= day;
  const contactInForce = pop.i.lastContactDay[c] >= 0 && day <= pop.i.lastContactDay[c] + Math.ceil(cfg.offers.effectMonths * DAYS_PER_MONTH);
  const persuadedMult = (strength: number) => 1 - (1 - cfg.offers.persuadableHazardMultiplier) * strength;
  const dogMult = cfg.offers.sleepingDogHazardMultiplier;
  const priceFactor = 0.5 + 0.5 * offer.strength;

  const n = GRID * GRID * RESPONSE_TYPES.length;
  const states: LatentStates = {
    weight: new Float64Array(n),
    type: new Uint8Array(n),
    acceptProbability: new Float64Array(n),
    hazardUntreated: new Float64Array(n),
    hazardIfDeclined: new Float64Array(n),
    hazardIfAccepted: new Float64Array(n),
    contractEndUntreated: new Float64Array(n),
    contractEndIfDeclined: new Float64Array(n),
    contractEndIfAccepted: new Float64Array(n),
  };
  // Per type: the multipliers in force untreated, if declined and if accepted, and the acceptance.
  const mult = RESPONSE_TYPES.map((type) => {
    const offerPart = offerInForce && type === 'persuadable' ? persuadedMult(pop.f.lastOfferStrength[c]) : 1;
    const contactPart = type === 'sleepingDog' && contactInForce ? dogMult : 1;
    const contacted = type === 'sleepingDog' ? dogMult : contactPart;
    return {
      untreated: offerPart * contactPart,
      declined: offerPart * contacted,
      accepted: (type === 'persuadable' ? persuadedMult(offer.strength) : 1) * contacted,
      accept: cfg.offers.acceptance[type] * priceFactor,
      shift: cfg.offers.typeLogitShift[type],
    };
  });
  // The contract's end (SandboxOracle.offerEffect's `contractEnd`): the multipliers in force that day, for each hypothetical type.
  const endDay = pop.i.contractEndDay[c];
  const hasEnd = Boolean(cfg.renewals) && endDay >= day;
  const nowInForce = endDay <= day + Math.ceil(cfg.offers.effectMonths * DAYS_PER_MONTH);
  const multAtEnd = RESPONSE_TYPES.map((type) => {
    const offerPart = pop.i.offerUntil[c] >= endDay && type === 'persuadable' ? persuadedMult(pop.f.lastOfferStrength[c]) : 1;
    const contactPart = type === 'sleepingDog' && pop.i.lastContactDay[c] >= 0 && endDay <= pop.i.lastContactDay[c] + Math.ceil(cfg.offers.effectMonths * DAYS_PER_MONTH) ? dogMult : 1;
    const contacted = type === 'sleepingDog' && nowInForce ? dogMult : contactPart;
    return { untreated: offerPart * contactPart, declined: offerPart * contacted, accepted: (nowInForce ? (type === 'persuadable' ? persuadedMult(offer.strength) : 1) : offerPart) * contacted };
  });
  const cap = (h: number) => Math.min(MAX_MONTHLY_HAZARD, h);
  // Over a horizon: the hazard for its length and, if the contract ends in it, the decision then (as month to month).
  const horizonMonths = horizonDays === undefined ? 1 : horizonDays / DAYS_PER_MONTH;
  const endsInHorizon = horizonDays !== undefined && renewalDecisionWithin(w, c, day, horizonDays);
  const toMonthToMonth = cfg.population.contracts[monthToMonthIdx(cfg)].churnLogit - x.contractLogit;
  let churnWithin = 0;
  const answered = answerLikelihood(w, answers.get(c));
  let total = 0;
  let k = 0;
  for (let a = 0; a < GRID; a++) {
    const strain = strainMean + strainSd * NODES[a];
    let logPay = 0;
    if (!pop.u.prepaid[c]) {
      const pf = sigmoid(p.failed.intercept + p.failed.strain * strain);
      const pl = sigmoid(p.late.intercept + p.late.strain * strain);
      logPay = failed * Math.log(pf) + late * Math.log((1 - pf) * pl) + onTime * Math.log((1 - pf) * (1 - pl));
    }
    const typeW = responseTypeWeights(cfg, w.tables, { ...traitsBase, financialStrain: strain });
    let typeSum = 0;
    for (const v of typeW) typeSum += v;
    for (let b = 0; b < GRID; b++) {
      const frailty = frailtySd * NODES[b];
      const latentLogit = observed + coef.financialStrain * strain + frailty;
      for (let t = 0; t < RESPONSE_TYPES.length; t++, k++) {
        const m = mult[t];
        const base = cap(sigmoid(w.intercept + latentLogit + m.shift));
        const weight = NODE_WEIGHTS[a] * NODE_WEIGHTS[b] * (typeW[t] / typeSum) * answered[t] * Math.exp(logPay + monthsInWorld * Math.log(1 - base));
        states.weight[k] = weight;
        states.type[k] = t;
        states.acceptProbability[k] = m.accept;
        states.hazardUntreated[k] = cap(base * m.untreated);
        if (horizonDays !== undefined) {
          const stays = endsInHorizon ? staysAtContractEnd(w, cap(cap(sigmoid(w.intercept + latentLogit + m.shift + toMonthToMonth)) * m.untreated)) : 1;
          churnWithin += weight * (1 - Math.pow(1 - states.hazardUntreated[k], horizonMonths) * stays);
        }
        states.hazardIfDeclined[k] = cap(base * m.declined);
        states.hazardIfAccepted[k] = cap(base * m.accepted);
        if (hasEnd) {
          const atEnd = multAtEnd[t];
          const monthToMonth = sigmoid(w.intercept + latentLogit + m.shift + toMonthToMonth);
          states.contractEndUntreated[k] = cap(monthToMonth * atEnd.untreated);
          states.contractEndIfDeclined[k] = cap(monthToMonth * atEnd.declined);
          states.contractEndIfAccepted[k] = cap(monthToMonth * atEnd.accepted);
        }
        total += weight;
      }
    }
  }
  if (!(total > 0)) throw new TwinloopError('INTERNAL', `the feature oracle found no weight for ${customerId}`);
  const typeProbabilities = [0, 0, 0, 0];
  let churn = 0;
  for (let j = 0; j < n; j++) {
    const weight = (states.weight[j] /= total);
    typeProbabilities[states.type[j]] += weight;
    churn += weight * states.hazardUntreated[j];
  }
  return {
    customerId,
    states,
    typeProbabilities,
    churnProbability: churn,
    churnWithinHorizon: horizonDays === undefined ? churn : churnWithin / total,
    monthlyPrice: w.planPrices[pop.plan[c]],
    ...(hasEnd && cfg.renewals ? { contractEnd: { inDays: endDay - day, hazardMonths: cfg.renewals.churnHazardMonths } } : {}),
  };
}
