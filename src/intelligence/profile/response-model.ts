import { TwinloopError } from '../../domain/errors.js';
import { OFFER_KINDS, type OfferKind } from '../../twin/twin-responses.js';
import { betaInterval, gammaInterval, type PosteriorInterval } from '../evaluation/posterior-interval.js';

/**
 * How customers respond to contact: a latent-class model over the four classic response classes
 * of retention marketing, learned from the whole base and read per customer as a *response
 * profile* (the posterior over classes given the customer's own answers, pooled with similar
 * customers through a prior per observable cell).
 *
 * - sure-thing: stays whether contacted or not; accepts offers now and then.
 * - lost-cause: leaves whether contacted or not; rarely accepts.
 * - persuadable: an accepted offer lowers the churn hazard (× `acceptedMultiplier` < 1).
 * - sleeping-dog: any contact raises the churn hazard (× `contactMultiplier` > 1); rarely accepts.
 *
 * The classes are anchored by what defines them (which multipliers may move, and in which
 * direction) and by ordered acceptance priors, so the labels keep their meaning on any world.
 * Evidence per customer: offers presented, accepted, declined and ignored per offer kind (the
 * twin's contact record; an offer not answered yet counts only as not accepted) and, when known, the periods watched since their last contact (inside its effect window and
 * after it) with whether the customer churned, against the churn the model expected. Each class
 * also has its own untreated hazard ratio to the churn model (lost causes churn more than sure
 * things with the same observables), learnt from the periods outside any window. Fitting is EM
 * (MAP): acceptance's log-odds under a hierarchical normal prior whose spread between the classes
 * is learnt (only repeat answers measure it), Beta for ignoring, Gamma for the churn multipliers,
 * Dirichlet for the class shares per cell. Both rates' priors are centred on the base's own pooled
 * rates (acceptance and ignoring per offer kind), so that no class is favoured by a prior the data
 * are far from.
 */

/** The response classes, in a fixed order. */
export const RESPONSE_CLASSES = ['sure-thing', 'lost-cause', 'persuadable', 'sleeping-dog'] as const;
export type ResponseClass = (typeof RESPONSE_CLASSES)[number];
const K = RESPONSE_CLASSES.length;
const PERSUADABLE = 2;
const SLEEPING_DOG = 3;
const KINDS = OFFER_KINDS.length;

/**
 * Offer answers per kind, as counts (the twin's contact record or any subset of it). Offers
 * presented and neither accepted, declined nor ignored yet are pending: they say only that the
 * offer was not accepted (so far), which is all a source without `declined`/`ignored` says.
 */
export type AnswerCounts = Readonly<Record<OfferKind, { readonly presented: number; readonly accepted: number; readonly declined?: number; readonly ignored?: number }>>;

/** How a period of a customer's life was treated: inside an accepted offer's window, a contact's window, or neither. */
export type PeriodBranch = 'accepted' | 'contacted' | 'none';

/** A watched period of a customer's life, and whether they left in it, against the churn the model expected. */
export interface ChurnPeriod {
  /** Expected churns without any effect: the churn model's monthly hazard × months watched. */
  readonly expected: number;
  readonly churned: boolean;
  readonly branch: PeriodBranch;
}

/** One customer's evidence. */
export interface ProfileEvidence {
  /** Pooling cell: customers with the same observable traits share a class prior. */
  readonly cell: string;
  readonly answers: AnswerCounts;
  /** Periods watched since the customer's last contact (empty or absent: none). */
  readonly periods?: readonly ChurnPeriod[];
}

/** Prior beliefs, in pseudo-observations; defaults in DEFAULT_RESPONSE_PRIORS. */
export interface ResponsePriors {
  /**
   * The shape of the classes' acceptance: each class's shift of the log-odds (RESPONSE_CLASSES
   * order) from the base's own pooled acceptance of the offer kind (every answer of every
   * customer, one rate per kind: the data's, not a world's), in units of the *spread*. Only the
   * order and the relative spacing are stated; the level is the base's and the spread is learnt.
   */
  readonly acceptanceLogOdds: readonly number[];
  /**
   * The spread (a multiple of `acceptanceLogOdds`): its prior mean and standard deviation. How far
   * apart the classes accept is what tells them apart, and one answer per customer cannot measure
   * it (any spread fits a base where each customer answered once, with the shares to match); only
   * customers who answered more than once show it, by how much more often an acceptor accepts
   * again. So the prior is narrow and modest: a base of single answers gives modest profiles.
   */
  readonly acceptanceSpread: number;
  readonly acceptanceSpreadSd: number;
  /** Standard deviation (log-odds) of each class's acceptance of a kind around the shape × spread: how far the data may bend the shape. */
  readonly acceptanceSd: number;
  /**
   * Share of the offers a class does not accept that it leaves unanswered rather than declines
   * (RESPONSE_CLASSES order): the prior's mean only where the base has no known refusal (no
   * decline and no ignore) of any kind. Otherwise every class's ignore prior is centred on the
   * base's own pooled share of the kind (as acceptance is on the base's pooled rate): a fixed mean
   * the base is far from let the class that took most refusals move toward the base's share alone,
   * and every refusal then favoured it (with no one ignoring, every decline favoured it ~1.6 to 1 and
   * all profiles ran to lost-cause 98-99 %, 2026-12-05).
   * `ignoreStrength` is the prior's weight in pseudo-refusals. Strong, so that a class's ignoring
   * parts from the others' only on plenty of evidence: a few hundred refusals split over four
   * classes otherwise let one class take every ignorer and profiles grow sure of the wrong class.
   */
  readonly ignore: readonly number[];
  readonly ignoreStrength: number;
  /** Class shares and their strength (pseudo-customers) for the population and for each cell's pooling. */
  readonly shares: readonly number[];
  readonly sharesStrength: number;
  /** How strongly a cell's shares are pooled toward the population's (pseudo-customers). */
  readonly cellPooling: number;
  /** Prior mean multiplier of an accepted offer on a persuadable's hazard, and of a contact on a sleeping dog's. */
  readonly acceptedMultiplier: number;
  readonly contactMultiplier: number;
  /** Strength of those multiplier priors, in expected churns. */
  readonly multiplierStrength: number;
  /**
   * Strength (expected churns) of the prior that each class churns as the churn model expects
   * (hazard ratio 1). The classes' own hazard ratios are learnt from periods outside any contact's
   * window; until those accrue, a class's contact effect and its baseline are confounded.
   */
  readonly hazardRatioStrength: number;
}

/**
 * Weak, ordered priors that name no world's rates: the classes' acceptance is the base's own
 * pooled acceptance of each offer kind, spread evenly one unit of log-odds apart in the order that
 * defines the classes (persuadables accept most, then sure things, sleeping dogs, lost causes
 * least); the class shares start equal; an accepted offer cuts a persuadable's hazard by a third,
 * a contact raises a sleeping dog's by half (the direction defines the class, the size is weak).
 * Each prior is worth a handful of observations, so a few hundred contacts outweigh it. (Until
 * 2026-12-04 the acceptances were fixed at 0.25/0.04/0.5/0.08, close to the default sandbox
 * world's hidden 0.3/0.03/0.55/0.08: that flattered every evaluation on that world.)
 */
export const DEFAULT_RESPONSE_PRIORS: ResponsePriors = {
  acceptanceLogOdds: [0.5, -1.5, 1.5, -0.5],
  acceptanceSpread: 0.5,
  acceptanceSpreadSd: 0.5,
  acceptanceSd: 0.75,
  // The same for every class: whether a class ignores more is for the data to say.
  ignore: [0.4, 0.4, 0.4, 0.4],
  ignoreStrength: 50,
  shares: [0.25, 0.25, 0.25, 0.25],
  sharesStrength: 20,
  cellPooling: 50,
  acceptedMultiplier: 0.67,
  contactMultiplier: 1.5,
  multiplierStrength: 5,
  hazardRatioStrength: 10,
};

/** The fitted population-level model. */
export interface ResponseModel {
  readonly version: 1;
  /** Acceptance per class and offer kind: [class][kind], posterior means. */
  readonly acceptance: readonly (readonly number[])[];
  /** Share of the offers not accepted that are left unanswered, per class and offer kind: [class][kind], posterior means (the rest are declined). */
  readonly ignore: readonly (readonly number[])[];
  /**
   * What each of those rates rests on: the Beta posterior's a + b (prior pseudo-observations plus
   * the class's expected share of the answers), [class][kind]. With the mean it gives the rate's
   * own uncertainty: a class no answer has reached keeps its prior's spread, not a point.
   */
  readonly acceptanceWeight: readonly (readonly number[])[];
  readonly ignoreWeight: readonly (readonly number[])[];
  /** Class shares of the whole base and per pooling cell. */
  readonly shares: readonly number[];
  readonly cellShares: Readonly<Record<string, readonly number[]>>;
  /** Persuadables' hazard multiplier once they accept, with a 90 % interval and its Gamma posterior. */
  readonly acceptedMultiplier: MultiplierPosterior;
  /** Sleeping dogs' hazard multiplier once contacted, with a 90 % interval and its Gamma posterior. */
  readonly contactMultiplier: MultiplierPosterior;
  /** Each class's churn hazard relative to the churn model's, untreated (RESPONSE_CLASSES order). */
  readonly hazardRatio: readonly number[];
  /** Customers with any evidence (an answer, or a watched period: a held-out customer has only that), and EM iterations run. */
  readonly customers: number;
  readonly iterations: number;
}

/**
 * A churn multiplier's posterior: mean and 90 % interval (clamped to the side of 1 the class
 * allows), the Gamma's shape and rate, and how much of the rate is evidence rather than prior
 * (expected churns watched, weighted by the class's responsibility): the learning planner grids
 * the effects on the shape and rate (agents/retention/effect-draws.ts), so its guard and its value
 * of learning follow the evidence.
 */
export interface MultiplierPosterior {
  readonly mean: number;
  readonly low: number;
  readonly high: number;
  readonly shape: number;
  readonly rate: number;
  readonly evidence: number;
}

/** A customer's response profile: the posterior over classes, and what it implies for one offer kind. */
export interface ResponseProfile {
  readonly classes: Readonly<Record<ResponseClass, number>>;
  /** Offers presented so far (how much of the profile is the customer's own evidence). */
  readonly contacts: number;
}

const classRecord = (p: readonly number[]) => Object.fromEntries(RESPONSE_CLASSES.map((c, k) => [c, p[k]])) as Record<ResponseClass, number>;

/** Hazard multiplier of a period's treatment for class k. */
const multiplierOf = (k: number, branch: PeriodBranch, accMult: number, dogMult: number) =>
  branch === 'none' ? 1 : k === SLEEPING_DOG ? dogMult : k === PERSUADABLE && branch === 'accepted' ? accMult : 1;

/** Answers of one kind split into the likelihood's counts: accepted, declined, ignored and still pending. */
function split(a: AnswerCounts[OfferKind]): { acc: number; dec: number; ign: number; pending: number } {
  const dec = a.declined ?? 0;
  const ign = a.ignored ?? 0;
  return { acc: a.accepted, dec, ign, pending: Math.max(0, a.presented - a.accepted - dec - ign) };
}

/** Log-likelihood of a customer's evidence under each class (into `out`). */
function logLikelihood(e: ProfileEvidence, acceptance: readonly (readonly number[])[], ignore: readonly (readonly number[])[], ratio: readonly number[], accMult: number, dogMult: number, out: Float64Array): void {
  for (let k = 0; k < K; k++) {
    let ll = 0;
    for (let j = 0; j < KINDS; j++) {
      const a = e.answers[OFFER_KINDS[j]];
      if (!a || a.presented === 0) continue;
      const pa = acceptance[k][j];
      const q = ignore[k][j];
      const n = split(a);
      ll += n.acc * Math.log(pa) + (n.dec + n.ign + n.pending) * Math.log(1 - pa) + n.dec * Math.log(1 - q) + n.ign * Math.log(q);
    }
    for (const x of e.periods ?? []) {
      if (!(x.expected > 0)) continue;
      const mu = ratio[k] * multiplierOf(k, x.branch, accMult, dogMult) * x.expected;
      ll += (x.churned ? Math.log(mu) : 0) - mu;
    }
    out[k] = ll;
  }
}

/**
 * The evidence of `data` once each, with how many customers gave it: the E-step's sums are sums
 * over customers, so those with the same cell, answers and watched periods (many, where the
 * evidence is counts) are read once and weighted, with the same fit. The first of each in order.
 */
function distinctEvidence(data: readonly ProfileEvidence[]): { e: ProfileEvidence; w: number }[] {
  const byKey = new Map<string, { e: ProfileEvidence; w: number }>();
  for (const e of data) {
    let key = JSON.stringify(e.cell);
    for (const kind of OFFER_KINDS) {
      const a = e.answers[kind];
      key += a ? `|${a.presented},${a.accepted},${a.declined ?? 0},${a.ignored ?? 0}` : '|';
    }
    for (const x of e.periods ?? []) key += `|${x.expected},${x.churned ? 1 : 0},${x.branch}`;
    const group = byKey.get(key);
    if (group) group.w++;
    else byKey.set(key, { e, w: 1 });
  }
  return [...byKey.values()];
}

/** Normalises exp(log prior + log likelihood) into `out`. */
function posterior(prior: readonly number[], ll: Float64Array, out: Float64Array): void {
  let max = -Infinity;
  for (let k = 0; k < K; k++) {
    out[k] = Math.log(prior[k]) + ll[k];
    if (out[k] > max) max = out[k];
  }
  let sum = 0;
  for (let k = 0; k < K; k++) sum += out[k] = Math.exp(out[k] - max);
  for (let k = 0; k < K; k++) out[k] /= sum;
}

/**
 * The base's pooled share of ignores among the known refusals (ignored / (ignored + declined))
 * of each offer kind, with half an ignore and half a decline added so that it stays off 0 and 1:
 * where every class's ignore prior is centred. A kind with no known refusal takes the pooled
 * share of all kinds; a base with none at all, each class's stated prior (`fallback`).
 */
function pooledIgnoreShares(data: readonly ProfileEvidence[], fallback: readonly number[]): number[][] {
  const ignored = new Float64Array(KINDS);
  const known = new Float64Array(KINDS);
  for (const e of data) {
    for (let j = 0; j < KINDS; j++) {
      const a = e.answers[OFFER_KINDS[j]];
      if (!a) continue;
      const n = split(a);
      ignored[j] += n.ign;
      known[j] += n.ign + n.dec;
    }
  }
  const sum = (xs: Float64Array) => xs.reduce((s, x) => s + x, 0);
  if (sum(known) === 0) return fallback.map((q) => OFFER_KINDS.map(() => q));
  const all = (sum(ignored) + 0.5) / (sum(known) + 1);
  const perKind = OFFER_KINDS.map((_, j) => (known[j] > 0 ? (ignored[j] + 0.5) / (known[j] + 1) : all));
  return fallback.map(() => [...perKind]);
}

/**
 * The base's pooled acceptance of each offer kind, as log-odds (accepted / presented over every
 * customer, with half an acceptance and half a refusal added so that a kind with a few offers
 * stays off 0 and 1; a kind never offered takes the pooled rate of all kinds, and a base never
 * offered anything 0.5): where the classes' acceptance is centred.
 */
function pooledAcceptanceLogits(data: readonly ProfileEvidence[]): number[] {
  const accepted = new Float64Array(KINDS);
  const presented = new Float64Array(KINDS);
  for (const e of data) {
    for (let j = 0; j < KINDS; j++) {
      const a = e.answers[OFFER_KINDS[j]];
      if (!a) continue;
      accepted[j] += a.accepted;
      presented[j] += a.presented;
    }
  }
  const sum = (xs: Float64Array) => xs.reduce((s, x) => s + x, 0);
  const all = (sum(accepted) + 0.5) / (sum(presented) + 1);
  return OFFER_KINDS.map((_, j) => {
    const c = presented[j] > 0 ? (accepted[j] + 0.5) / (presented[j] + 1) : all;
    return Math.log(c / (1 - c));
  });
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * MAP log-odds of a Bernoulli rate with `yes` and `no` (expected) counts under a normal prior
 * N(mean, sd²) on the log-odds: a few Newton steps from `start` (the objective is concave).
 */
function mapLogit(yes: number, no: number, mean: number, sd: number, start: number): number {
  const w = 1 / (sd * sd);
  let z = start;
  for (let it = 0; it < 20; it++) {
    const p = sigmoid(z);
    const grad = yes - (yes + no) * p - w * (z - mean);
    const hess = -(yes + no) * p * (1 - p) - w;
    const step = grad / hess;
    z -= Math.max(-2, Math.min(2, step));
    if (Math.abs(step) < 1e-9) break;
  }
  return Math.min(8, Math.max(-8, z));
}

/**
 * Fits the response model to the base's evidence by EM. Customers with neither an answer nor a
 * watched period carry no evidence and are left out (their profile is their cell's prior); a
 * customer held out of a campaign, never offered anything, is in with the churn watched since
 * (the randomised comparison's other arm: their untreated churn against the contacted's).
 */
export function fitResponseModel(evidence: readonly ProfileEvidence[], priors: ResponsePriors = DEFAULT_RESPONSE_PRIORS, options: { iterations?: number; tolerance?: number } = {}): ResponseModel {
  if (priors.acceptanceLogOdds.length !== K || priors.ignore.length !== K || priors.shares.length !== K) throw new TwinloopError('BAD_INPUT', `priors need ${K} acceptance log-odds, ignore and share values, one per class (${RESPONSE_CLASSES.join(', ')})`);
  const inside = (x: number) => x > 0 && x < 1;
  const badClass = RESPONSE_CLASSES.findIndex((_, k) => !(Number.isFinite(priors.acceptanceLogOdds[k]) && inside(priors.ignore[k])));
  if (badClass >= 0) throw new TwinloopError('BAD_INPUT', `priors for ${RESPONSE_CLASSES[badClass]}: the acceptance log-odds must be a finite number and ignore between 0 and 1`);
  const maxIter = options.iterations ?? 200;
  const tol = options.tolerance ?? 1e-6;
  const data = evidence.filter((e) => OFFER_KINDS.some((k) => (e.answers[k]?.presented ?? 0) > 0) || (e.periods?.length ?? 0) > 0);
  const distinct = distinctEvidence(data);
  const centre = pooledAcceptanceLogits(data);
  const shape = priors.acceptanceLogOdds;
  const offered = OFFER_KINDS.map((kind) => data.some((e) => (e.answers[kind]?.presented ?? 0) > 0));
  const ignoreCentre = pooledIgnoreShares(data, priors.ignore);
  let spread = priors.acceptanceSpread;
  let logit = RESPONSE_CLASSES.map((_, k) => centre.map((c) => c + spread * shape[k]));
  let acceptance = logit.map((row) => row.map(sigmoid));
  let ignore = ignoreCentre.map((row) => [...row]);
  let shares = [...priors.shares];
  let cellShares: Record<string, number[]> = {};
  let accA = priors.acceptedMultiplier * priors.multiplierStrength;
  let accB = priors.multiplierStrength;
  let dogA = priors.contactMultiplier * priors.multiplierStrength;
  let dogB = priors.multiplierStrength;
  let ratio = RESPONSE_CLASSES.map(() => 1);
  // A normal prior of sd τ on the log-odds is worth about 1 / (τ² p (1 − p)) answers at rate p.
  const priorAnswers = (p: number) => 1 / (priors.acceptanceSd ** 2 * Math.max(1e-3, p * (1 - p)));
  let acceptanceWeight: number[][] = acceptance.map((row) => row.map(priorAnswers));
  let ignoreWeight: number[][] = RESPONSE_CLASSES.map(() => OFFER_KINDS.map(() => priors.ignoreStrength));
  const ll = new Float64Array(K);
  const r = new Float64Array(K);
  let iterations = 0;
  let last = -Infinity;
  for (; iterations < maxIter; iterations++) {
    const accMult = Math.min(1, accA / accB);
    const dogMult = Math.max(1, dogA / dogB);
    // E-step with sufficient statistics for the M-step.
    const accYes = acceptance.map((row) => row.map(() => 0));
    const accNo = acceptance.map((row) => row.map(() => 0));
    const ignNum = ignoreCentre.map((row) => row.map((q) => q * priors.ignoreStrength));
    const ignDen = ignore.map((row) => row.map(() => priors.ignoreStrength));
    const total = new Float64Array(K);
    const byCell = new Map<string, Float64Array>();
    let a1 = priors.acceptedMultiplier * priors.multiplierStrength;
    let b1 = priors.multiplierStrength;
    let a2 = priors.contactMultiplier * priors.multiplierStrength;
    let b2 = priors.multiplierStrength;
    const ratioA = RESPONSE_CLASSES.map(() => priors.hazardRatioStrength);
    const ratioB = RESPONSE_CLASSES.map(() => priors.hazardRatioStrength);
    let logLik = 0;
    for (const { e, w } of distinct) {
      logLikelihood(e, acceptance, ignore, ratio, accMult, dogMult, ll);
      const prior = cellShares[e.cell] ?? shares;
      posterior(prior, ll, r);
      let lik = 0;
      for (let k = 0; k < K; k++) lik += prior[k] * Math.exp(ll[k]);
      logLik += w * Math.log(Math.max(lik, 1e-300));
      // The customers who share this evidence share its posterior: their statistics are w times one's.
      for (let k = 0; k < K; k++) r[k] *= w;
      let cell = byCell.get(e.cell);
      if (!cell) byCell.set(e.cell, (cell = new Float64Array(K)));
      for (let k = 0; k < K; k++) {
        total[k] += r[k];
        cell[k] += r[k];
        for (let j = 0; j < KINDS; j++) {
          const a = e.answers[OFFER_KINDS[j]];
          if (!a || a.presented === 0) continue;
          // A pending answer says nothing of declining or ignoring: only the known ones count there.
          const n = split(a);
          accYes[k][j] += r[k] * n.acc;
          accNo[k][j] += r[k] * (a.presented - n.acc);
          ignNum[k][j] += r[k] * n.ign;
          ignDen[k][j] += r[k] * (n.ign + n.dec);
        }
      }
      for (const x of e.periods ?? []) {
        if (!(x.expected > 0)) continue;
        const y = x.churned ? 1 : 0;
        for (let k = 0; k < K; k++) {
          ratioA[k] += r[k] * y;
          ratioB[k] += r[k] * multiplierOf(k, x.branch, accMult, dogMult) * x.expected;
        }
        if (x.branch === 'accepted') {
          a1 += r[PERSUADABLE] * y;
          b1 += r[PERSUADABLE] * ratio[PERSUADABLE] * x.expected;
        }
        if (x.branch !== 'none') {
          a2 += r[SLEEPING_DOG] * y;
          b2 += r[SLEEPING_DOG] * ratio[SLEEPING_DOG] * x.expected;
        }
      }
    }
    ratio = ratioA.map((a, k) => a / ratioB[k]);
    // M-step.
    // Each class's acceptance: MAP under its normal prior around the shape × spread; then the
    // spread: MAP given those log-odds (a normal-normal update over the kinds offered).
    const tau2 = priors.acceptanceSd ** 2;
    logit = logit.map((row, k) => row.map((z, j) => mapLogit(accYes[k][j], accNo[k][j], centre[j] + spread * shape[k], priors.acceptanceSd, z)));
    let num = priors.acceptanceSpread / priors.acceptanceSpreadSd ** 2;
    let den = 1 / priors.acceptanceSpreadSd ** 2;
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < KINDS; j++) {
        if (!offered[j]) continue;
        num += (shape[k] * (logit[k][j] - centre[j])) / tau2;
        den += (shape[k] * shape[k]) / tau2;
      }
    }
    spread = Math.max(0, num / den);
    acceptance = logit.map((row) => row.map((z) => Math.min(0.99, Math.max(0.001, sigmoid(z)))));
    ignore = ignNum.map((row, k) => row.map((num, j) => Math.min(0.999, Math.max(0.001, num / ignDen[k][j]))));
    acceptanceWeight = acceptance.map((row, k) => row.map((p, j) => accYes[k][j] + accNo[k][j] + priorAnswers(p)));
    ignoreWeight = ignDen;
    const n = data.length;
    shares = RESPONSE_CLASSES.map((_, k) => (priors.shares[k] * priors.sharesStrength + total[k]) / (priors.sharesStrength + n));
    cellShares = {};
    for (const [cell, sums] of byCell) {
      const m = sums.reduce((s, v) => s + v, 0);
      cellShares[cell] = RESPONSE_CLASSES.map((_, k) => (shares[k] * priors.cellPooling + sums[k]) / (priors.cellPooling + m));
    }
    [accA, accB, dogA, dogB] = [a1, b1, a2, b2];
    if (Math.abs(logLik - last) < tol * Math.max(1, Math.abs(logLik))) {
      iterations++;
      break;
    }
    last = logLik;
  }
  const acc = gammaInterval(accA, accB);
  const dog = gammaInterval(dogA, dogB);
  return {
    version: 1,
    acceptance,
    ignore,
    acceptanceWeight,
    ignoreWeight,
    shares,
    cellShares,
    acceptedMultiplier: { mean: Math.min(1, acc.mean), low: Math.min(1, acc.low), high: Math.min(1, acc.high), shape: accA, rate: accB, evidence: accB - priors.multiplierStrength },
    contactMultiplier: { mean: Math.max(1, dog.mean), low: Math.max(1, dog.low), high: Math.max(1, dog.high), shape: dogA, rate: dogB, evidence: dogB - priors.multiplierStrength },
    hazardRatio: ratio,
    customers: data.length,
    iterations,
  };
}

/** A customer's response profile under a fitted model: their cell's prior updated by their own evidence. */
export function responseProfile(model: ResponseModel, e: ProfileEvidence): ResponseProfile {
  const ll = new Float64Array(K);
  const r = new Float64Array(K);
  logLikelihood(e, model.acceptance, model.ignore, model.hazardRatio, model.acceptedMultiplier.mean, model.contactMultiplier.mean, ll);
  posterior(model.cellShares[e.cell] ?? model.shares, ll, r);
  let contacts = 0;
  for (const k of OFFER_KINDS) contacts += e.answers[k]?.presented ?? 0;
  return { classes: classRecord(Array.from(r)), contacts };
}

/** Share of the offers of a kind not accepted that are left unanswered, per class, RESPONSE_CLASSES order. */
export function ignoreOf(model: ResponseModel, kind: OfferKind): readonly number[] {
  const j = OFFER_KINDS.indexOf(kind);
  return model.ignore.map((row) => row[j]);
}

/** Acceptance of an offer kind per class, RESPONSE_CLASSES order. */
export function acceptanceOf(model: ResponseModel, kind: OfferKind): readonly number[] {
  const j = OFFER_KINDS.indexOf(kind);
  return model.acceptance.map((row) => row[j]);
}

/** 90 % intervals of each class's acceptance and ignore share per offer kind ([class][kind]): the rates' own uncertainty under the fitted model. */
export interface RateIntervals {
  readonly acceptance: readonly (readonly PosteriorInterval[])[];
  readonly ignore: readonly (readonly PosteriorInterval[])[];
}

/** The Beta posterior interval of every class's rates (see `ResponseModel.acceptanceWeight`). */
export function rateIntervals(model: ResponseModel): RateIntervals {
  const band = (means: readonly (readonly number[])[], weights: readonly (readonly number[])[]) =>
    means.map((row, k) => row.map((m, j) => {
      const w = weights[k][j];
      const i = betaInterval(m * w, (1 - m) * w);
      // The interval of the posterior whose mean the model reports (means are clamped away from 0 and 1).
      return { mean: m, low: Math.min(m, i.low), high: Math.max(m, i.high) };
    }));
  return { acceptance: band(model.acceptance, model.acceptanceWeight), ignore: band(model.ignore, model.ignoreWeight) };
}
