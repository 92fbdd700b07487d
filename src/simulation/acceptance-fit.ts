import { logisticCovariance, newtonLogistic } from '../intelligence/learners/logistic-regression.js';
import { ACCEPTANCE_COVARIATES, ACCEPTANCE_RIDGE, acceptanceCovariates } from '../intelligence/uplift/acceptance-covariates.js';
import type { TwinEngine } from '../twin/twin-engine.js';
import type { OfferKind } from '../twin/twin-responses.js';
import type { TwinSource } from './twin-population.js';

export { ACCEPTANCE_COVARIATES, acceptanceCovariates } from '../intelligence/uplift/acceptance-covariates.js';

/**
 * Who accepts an offer, from answers the operator has seen: a logistic regression on each
 * twin's churn risk and traits. `simulate validate` fits it to a randomised pilot; the server's
 * lab to the answers its twins have given (docs/simulation.md). A scenario's twins then accept at
 * the offer's rate shifted by their own covariates (`TwinSource.acceptanceShift`).
 */

/**
 * Who accepts: a logistic regression of each answer on the twin's covariates when the offer was
 * made (`acceptanceCovariates`, centred on the answers' mean), one intercept per offer, the slopes shared by the offers, with a weak normal prior on
 * the slopes (ridge `ACCEPTANCE_RIDGE`). A random pilot (or a varied contact history) meets every kind of customer; a scenario
 * that targets some (the riskiest, those with most to gain) reaches customers who accept more or
 * less often than the answers' average, and pays the discounts of as many as really accept. The
 * fit's covariance says how sure that is for any group a scenario picks.
 */
export interface AcceptanceModel {
  /** Log-odds of accepting each offer (in the rows' offer order) at the answers' mean covariates. */
  readonly logOdds: readonly number[];
  /** One slope per covariate (ACCEPTANCE_COVARIATES order). */
  readonly slopes: readonly number[];
  /** The answers' mean covariates (the point `logOdds` are read at). */
  readonly centre: readonly number[];
  /** Answers the model was fitted on. */
  readonly rows: number;
  /** A twin's shift of the log-odds from the offers' `logOdds`. */
  shift(x: readonly number[]): number;
  /** The sd of the log-odds of accepting offer `j` for a group whose mean covariates are `mean`: the fit's own uncertainty. */
  logOddsSd(j: number, mean: readonly number[]): number;
}

/** One answer to an offer: the offer's index, the twin's covariates when it was made, 1 = accepted. */
export interface AnswerRow {
  readonly offer: number;
  readonly x: readonly number[];
  readonly y: number;
}

/** Fits the acceptance model (see `AcceptanceModel`) to answers to `offers` offers; with no answer, every offer at log-odds 0 and no slope. */
export function fitAcceptanceModel(rows: readonly AnswerRow[], offers: number): AcceptanceModel {
  const c = ACCEPTANCE_COVARIATES.length;
  const centre = Array.from({ length: c }, (_, k) => rows.reduce((t, r) => t + r.x[k], 0) / Math.max(1, rows.length));
  // Columns: one indicator per offer after the first, then the centred covariates; beta[0] is the first offer's log-odds at the centre.
  const o = offers - 1;
  const d = o + c;
  const X = new Float64Array(rows.length * d);
  rows.forEach((r, i) => {
    if (r.offer > 0) X[i * d + r.offer - 1] = 1;
    for (let k = 0; k < c; k++) X[i * d + o + k] = r.x[k] - centre[k];
  });
  const y = rows.map((r) => r.y);
  const beta = newtonLogistic(X, rows.length, d, y, ACCEPTANCE_RIDGE, 50);
  const cov = logisticCovariance(X, rows.length, d, beta, ACCEPTANCE_RIDGE);
  const m = d + 1;
  const slopes = Array.from({ length: c }, (_, k) => beta[1 + o + k]);
  return {
    logOdds: Array.from({ length: offers }, (_, j) => beta[0] + (j > 0 ? beta[j] : 0)),
    slopes,
    centre,
    rows: rows.length,
    shift: (x) => slopes.reduce((t, b, k) => t + b * (x[k] - centre[k]), 0),
    logOddsSd(j, mean) {
      const g = new Float64Array(m);
      g[0] = 1;
      if (j > 0) g[j] = 1;
      for (let k = 0; k < c; k++) g[1 + o + k] = mean[k] - centre[k];
      let v = 0;
      for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) v += g[a] * cov[a * m + b] * g[b];
      return Math.sqrt(Math.max(0, v));
    },
  };
}

/** The probability of accepting offer `j` for a twin whose covariates shift the log-odds by `shift` (0: at the answers' mean). */
export function acceptProbability(model: AcceptanceModel, j: number, shift = 0): number {
  return 1 / (1 + Math.exp(-(model.logOdds[j] + shift)));
}

/** Fewest answers the twins must have given before the server's lab reads who accepts from them: below it, every twin alike. */
export const MIN_TWIN_ANSWERS = 50;

/**
 * The acceptance model from the answers the twins have given to offers of `kind` (their contact
 * records: each acceptance a 1, each decline or ignored offer a 0), at each active twin's
 * covariates now: what the server's lab knows of who accepts, without a randomised pilot. An
 * operator's offers went to whom its policies chose, so the rate itself is not the base's; the
 * slopes, read within the twins offered, are what a scenario's group is shifted by. Null with
 * fewer than MIN_TWIN_ANSWERS answers.
 */
export function twinAnswersModel(source: TwinSource, engine: TwinEngine, kind: OfferKind = 'discount'): AcceptanceModel | null {
  const rows: AnswerRow[] = [];
  source.forEach((id, f, p) => rows.push(...answerRowsOf(engine, id, f, p, kind)));
  return rows.length >= MIN_TWIN_ANSWERS ? fitAcceptanceModel(rows, 1) : null;
}

/** A twin's answers to offers of `kind` as rows of the acceptance model, at its covariates now (none when it gave none). */
export function answerRowsOf(engine: TwinEngine, id: string, f: Float64Array, p: number, kind: OfferKind = 'discount'): AnswerRow[] {
  const a = engine.contactRecord(id)?.byKind[kind];
  if (!a || a.accepted + a.declined + a.ignored === 0) return [];
  const x = acceptanceCovariates(f, p);
  const rows: AnswerRow[] = [];
  for (let k = 0; k < a.accepted; k++) rows.push({ offer: 0, x, y: 1 });
  for (let k = 0; k < a.declined + a.ignored; k++) rows.push({ offer: 0, x, y: 0 });
  return rows;
}

/**
 * The source with each twin's acceptance shifted by its covariates under `model` (its churn risk
 * as the source scores it, its traits): the one way both `simulate validate` and the server's lab
 * hand an acceptance model to the scenarios.
 */
export function withAcceptanceModel(source: TwinSource, model: AcceptanceModel): TwinSource {
  const shifts = new Map<string, number>();
  source.forEach((id, f, p) => shifts.set(id, model.shift(acceptanceCovariates(f, p))));
  return { ...source, forEach: source.forEach.bind(source), acceptanceShift: (id) => shifts.get(id) ?? 0 };
}
