import { TwinloopError } from '../domain/errors.js';
import { createRng } from '../intelligence/random.js';
import { loadWorldDocument, namedWorld, type WorldConfig } from '../sandbox/index.js';
import { crossFittedTruthOnFeatures, crossFittedUplift, OFFER_UPLIFT_METHODS } from './cross-fitted-uplift.js';
import { MODEL_FEATURES, runOfferExperiment, type OfferExperiment, type ResponseType } from './offer-experiment.js';
import { pearsonOrZero, retentionQini, spearmanOrZero, typeShareInTop, type TailFinding } from './uplift-truth-metrics.js';

/** Options of `runOfferUpliftEvaluation`. */
export interface OfferUpliftEvaluationOptions {
  /** Built-in world name (default `default`). */
  world?: string;
  customers: number;
  historyMonths: number;
  horizonMonths: number;
  offerId: string;
  seed: number;
  log?: (s: string) => void;
}

/**
 * The methods reported: the fitted ones, plus references that are not methods: a random score
 * (the floor), the true effect regressed on the features (`truth-on-features`: the most any
 * model of these features could roughly get, since it is fitted to the truth rather than to noisy
 * outcomes) and the true effect itself (`oracle`: the ceiling).
 */
export const REPORTED_METHODS = [...OFFER_UPLIFT_METHODS, 'random', 'truth-on-features', 'oracle'] as const;
export type ReportedMethod = (typeof REPORTED_METHODS)[number];

/** How one method's estimates compare with the truth. */
export interface MethodReport {
  /** Correlation of estimated and true change in churn (the oracle's monthly effect). */
  pearson: number;
  spearman: number;
  /** Normalised Qini with "stayed" as the good outcome (see `retentionQini`). */
  qini: number;
  /** Sleeping dogs among the 10 % the method says the offer harms most. */
  sleepingDogsTop10: TailFinding;
  /** Persuadables among the 10 % the method says the offer helps most. */
  persuadablesTop10: TailFinding;
}

/** Observed acceptance among delivered offers of one response type. */
export interface AcceptanceByType {
  delivered: number;
  accepted: number;
  rate: number;
}

/** What `runOfferUpliftEvaluation` reports. */
export interface OfferUpliftEvaluationResult {
  world: string;
  offerId: string;
  seed: number;
  customers: number;
  historyMonths: number;
  horizonMonths: number;
  folds: number;
  features: number;
  counts: { activeAtCutoff: number; treated: number; control: number; delivered: number; deliveryRefused: number; churned: number; churnedTreated: number; churnedControl: number; intakeRejected: number };
  churn: {
    rateTreated: number;
    rateControl: number;
    /** Treated minus control churn over the horizon, and its standard error. */
    observedEffect: number;
    observedEffectSe: number;
    /** Mean of the oracle's monthly effect over everyone at the cutoff. */
    meanTrueMonthlyEffect: number;
  };
  acceptance: { rate: number; expectedRate: number; byType: Record<ResponseType, AcceptanceByType> };
  populationShares: Record<ResponseType, number>;
  methods: Record<ReportedMethod, MethodReport>;
  seconds: number;
}

/** Folds of the cross-fitting: two keep each fit on half the customers, like the experiment's own split. */
export const CROSS_FIT_FOLDS = 2;
/** The tail the sleeping-dog and persuadable figures look at. */
export const TAIL_FRACTION = 0.1;
const RESPONSE_TYPES: readonly ResponseType[] = ['sureThing', 'lostCause', 'persuadable', 'sleepingDog'];

/**
 * Runs a randomised offer experiment on a sandbox world and judges uplift models by the
 * oracle's true per-customer effects: correlation, Qini, and which hidden types they find.
 */
export async function runOfferUpliftEvaluation(options: OfferUpliftEvaluationOptions): Promise<OfferUpliftEvaluationResult> {
  const log = options.log ?? (() => {});
  for (const [name, v, min] of [['customers', options.customers, 1], ['historyMonths', options.historyMonths, 1], ['horizonMonths', options.horizonMonths, 1]] as const) {
    if (!Number.isSafeInteger(v) || v < min) throw new TwinloopError('BAD_INPUT', `${name} must be an integer ≥ ${min}; got ${v}`);
  }
  const worldName = options.world ?? 'default';
  const base = namedWorld(worldName);
  const config: WorldConfig = loadWorldDocument({ ...base, population: { ...base.population, customers: options.customers } });
  const t0 = performance.now();
  const x = await runOfferExperiment({ config, seed: options.seed, historyMonths: options.historyMonths, horizonMonths: options.horizonMonths, offerId: options.offerId, log });
  const judged = evaluateOfferExperiment(x, { seed: options.seed, log });
  return {
    world: worldName,
    offerId: options.offerId,
    seed: options.seed,
    customers: options.customers,
    historyMonths: options.historyMonths,
    horizonMonths: options.horizonMonths,
    folds: CROSS_FIT_FOLDS,
    features: MODEL_FEATURES.length,
    ...judged,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}

/** The figures of an experiment already run: its counts and rates, and each method judged by the truth. */
export function evaluateOfferExperiment(
  x: OfferExperiment,
  options: { seed: number; log?: (s: string) => void },
): Pick<OfferUpliftEvaluationResult, 'counts' | 'churn' | 'acceptance' | 'populationShares' | 'methods'> {
  const t1 = performance.now();
  const matrix = { rows: x.rows, cols: MODEL_FEATURES.length, data: x.features };
  const estimates = crossFittedUplift(matrix, x.churned, x.treated, { folds: CROSS_FIT_FOLDS, seed: options.seed });
  options.log?.(`uplift models: ${OFFER_UPLIFT_METHODS.length} methods × ${CROSS_FIT_FOLDS} folds in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  const rng = createRng(options.seed * 7919 + 29);
  const scores: Record<ReportedMethod, ArrayLike<number>> = {
    ...estimates,
    random: Float64Array.from({ length: x.rows }, () => rng.next()),
    'truth-on-features': crossFittedTruthOnFeatures(matrix, x.trueEffect, x.churned, x.treated, { folds: CROSS_FIT_FOLDS, seed: options.seed }),
    oracle: x.trueEffect,
  };
  const methods = Object.fromEntries(REPORTED_METHODS.map((m) => [m, judge(scores[m], x)])) as Record<ReportedMethod, MethodReport>;
  return { ...experimentFigures(x), methods };
}

/** Compares one method's estimated churn changes (positive = harms) with the truth. */
export function judge(estimate: ArrayLike<number>, x: OfferExperiment): MethodReport {
  const harm = Array.from(estimate);
  const help = harm.map((u) => -u);
  return {
    pearson: pearsonOrZero(estimate, x.trueEffect),
    spearman: spearmanOrZero(estimate, x.trueEffect),
    qini: retentionQini(estimate, x.churned, x.treated),
    sleepingDogsTop10: typeShareInTop(harm, x.responseType.map((t) => t === 'sleepingDog'), TAIL_FRACTION),
    persuadablesTop10: typeShareInTop(help, x.responseType.map((t) => t === 'persuadable'), TAIL_FRACTION),
  };
}

/** Counts, churn rates and acceptance of the experiment itself. */
export function experimentFigures(x: OfferExperiment): Pick<OfferUpliftEvaluationResult, 'counts' | 'churn' | 'acceptance' | 'populationShares'> {
  let treated = 0;
  let churnedT = 0;
  let churnedC = 0;
  let delivered = 0;
  let acceptedAll = 0;
  let expected = 0;
  let effectSum = 0;
  const byType = Object.fromEntries(RESPONSE_TYPES.map((t) => [t, { delivered: 0, accepted: 0, rate: 0 }])) as Record<ResponseType, AcceptanceByType>;
  const typeCount = Object.fromEntries(RESPONSE_TYPES.map((t) => [t, 0])) as Record<ResponseType, number>;
  for (let i = 0; i < x.rows; i++) {
    typeCount[x.responseType[i]]++;
    effectSum += x.trueEffect[i];
    if (x.treated[i]) {
      treated++;
      churnedT += x.churned[i];
    } else churnedC += x.churned[i];
    if (x.accepted[i] < 0) continue;
    delivered++;
    acceptedAll += x.accepted[i];
    expected += x.acceptProbability[i];
    byType[x.responseType[i]].delivered++;
    byType[x.responseType[i]].accepted += x.accepted[i];
  }
  for (const t of RESPONSE_TYPES) byType[t].rate = byType[t].delivered ? byType[t].accepted / byType[t].delivered : 0;
  const control = x.rows - treated;
  const rT = treated ? churnedT / treated : 0;
  const rC = control ? churnedC / control : 0;
  const se = Math.sqrt((treated ? (rT * (1 - rT)) / treated : 0) + (control ? (rC * (1 - rC)) / control : 0));
  return {
    counts: {
      activeAtCutoff: x.rows,
      treated,
      control,
      delivered,
      deliveryRefused: x.deliveryRejected,
      churned: churnedT + churnedC,
      churnedTreated: churnedT,
      churnedControl: churnedC,
      intakeRejected: x.intakeRejected,
    },
    churn: { rateTreated: rT, rateControl: rC, observedEffect: rT - rC, observedEffectSe: se, meanTrueMonthlyEffect: effectSum / x.rows },
    acceptance: { rate: delivered ? acceptedAll / delivered : 0, expectedRate: delivered ? expected / delivered : 0, byType },
    populationShares: Object.fromEntries(RESPONSE_TYPES.map((t) => [t, typeCount[t] / x.rows])) as Record<ResponseType, number>,
  };
}
