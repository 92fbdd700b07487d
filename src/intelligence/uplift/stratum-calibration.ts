import { TwinloopError } from '../../domain/errors.js';
import { DAYS_PER_MONTH, DAYS_PER_YEAR } from '../../domain/time.js';
import { contractEndsWithin } from '../contract-end.js';
import { FEATURE_INDEX } from '../../twin/twin-features.js';

/**
 * The churn model's calibration over a decision's horizon, read per stratum of the customers a
 * campaign left alone at random (its held-out arm and those its sample did not take).
 *
 * Why: the single decision compounds the model's 30-day score over the offer's window, and that
 * reading is off by contract phase, not as a whole: on the harness's dumps a renewal within 30 days
 * is read near twice its true churn over three months and one in 31–91 days at a fifth of it, a
 * customer locked in beyond a year at 1.5–2.6 times (docs/learning.md, "The churn model at a
 * renewal"). One calibration factor for all (the pilot's `calibration`) cannot move a stratum
 * against another, so the ranking puts the wrong customers first. The controls are most of the
 * base (85 % in `agent evaluate`), so each stratum's churners against what the model expected of
 * them read its own factor on hundreds of customers, without the offered arm the effects need.
 *
 * Strata: the contract's phase at the reading (month to month; ending within 30 days; ending
 * within the horizon; locked in for up to a year; locked in beyond) × the churn score's tercile
 * among the controls. Each stratum's factor is shrunk to the pooled one by a Gamma prior worth
 * `strength` expected churns, so a stratum of a handful of customers stays near the whole.
 */

/** The contract's phase over a horizon, from a twin's feature row. */
export type ContractPhase = 'month-to-month' | 'ends-within-30-days' | 'ends-within-horizon' | 'locked-within-year' | 'locked-beyond-year';

/** The phase of a feature row's contract over `horizonMonths`. */
export function contractPhase(features: Float64Array, horizonMonths: number): ContractPhase {
  if (features[FEATURE_INDEX.contract_months] === 0) return 'month-to-month';
  const left = features[FEATURE_INDEX.contract_days_left];
  if (contractEndsWithin(left, 30)) return 'ends-within-30-days';
  if (contractEndsWithin(left, horizonMonths * DAYS_PER_MONTH)) return 'ends-within-horizon';
  return contractEndsWithin(left, DAYS_PER_YEAR) ? 'locked-within-year' : 'locked-beyond-year';
}

/** One randomly untouched customer: their row when the campaign started, the model's churn over the horizon then, and whether they left. */
export interface CalibrationControl {
  readonly features: Float64Array;
  /** The model's monthly hazard (its 30-day score) at the campaign's start: what the terciles cut. */
  readonly hazard: number;
  /** The model's probability of leaving within the horizon, as the decision reads it. */
  readonly expectedChurn: number;
  readonly churned: boolean;
}

/** The calibration per stratum: how many times the model's churn over the horizon a stratum's customers churn. */
export interface StratumCalibration {
  /** The stratum of a row with its monthly hazard. */
  stratumOf(features: Float64Array, hazard: number): string;
  /** The factor of a stratum (the pooled one for a stratum no control fell in). */
  ratio(stratum: string): number;
  /** The pooled factor: all controls' churners ÷ expected. */
  readonly pooled: number;
  /** Per stratum: controls, churners, expected churns and the shrunk factor (for reports). */
  readonly strata: ReadonlyMap<string, { readonly controls: number; readonly churned: number; readonly expected: number; readonly ratio: number }>;
}

/** Prior strength of a stratum's factor, in expected churns: a stratum with 5 expected churns meets its prior halfway. */
export const STRATUM_CALIBRATION_STRENGTH = 5;

/** Reads the calibration per stratum on the controls (see the module's comment). */
export function fitStratumCalibration(controls: readonly CalibrationControl[], horizonMonths: number, strength: number = STRATUM_CALIBRATION_STRENGTH): StratumCalibration {
  if (!(strength > 0)) throw new TwinloopError('BAD_INPUT', `the calibration's prior strength must be above 0; got ${strength}`);
  let churned = 0, expected = 0;
  for (const c of controls) {
    if (!(c.expectedChurn >= 0 && c.expectedChurn <= 1) || !(c.hazard >= 0 && c.hazard <= 1)) throw new TwinloopError('BAD_INPUT', `every control needs a hazard and an expected churn in [0, 1]; got ${c.hazard} and ${c.expectedChurn}`);
    churned += c.churned ? 1 : 0;
    expected += c.expectedChurn;
  }
  const pooled = expected > 0 && churned > 0 ? churned / expected : 1;
  const sorted = controls.map((c) => c.hazard).sort((a, b) => a - b);
  const cuts = sorted.length >= 3 ? [sorted[Math.floor(sorted.length / 3)], sorted[Math.floor((2 * sorted.length) / 3)]] : [Infinity, Infinity];
  const stratumOf = (features: Float64Array, hazard: number) => `${contractPhase(features, horizonMonths)}/${hazard < cuts[0] ? 'low' : hazard < cuts[1] ? 'mid' : 'high'}`;
  const counts = new Map<string, { controls: number; churned: number; expected: number }>();
  for (const c of controls) {
    const s = stratumOf(c.features, c.hazard);
    const x = counts.get(s) ?? { controls: 0, churned: 0, expected: 0 };
    x.controls++;
    x.churned += c.churned ? 1 : 0;
    x.expected += c.expectedChurn;
    counts.set(s, x);
  }
  // Gamma(strength, strength / pooled) prior: mean the pooled factor, worth `strength` expected churns.
  const strata = new Map([...counts].map(([s, x]) => [s, { ...x, ratio: (strength + x.churned) / (strength / pooled + x.expected) }]));
  return { stratumOf, ratio: (s) => strata.get(s)?.ratio ?? pooled, pooled, strata };
}

/** The largest churn over the horizon a recalibrated reading may give: certainty of leaving is not a reading. */
const MAX_RECALIBRATED_CHURN = 0.99;

/** A probability of leaving over the horizon times the stratum's factor, relative to the pooled one (which the pilot's own calibration reads). */
export function recalibratedChurn(calibration: StratumCalibration, stratum: string, churn: number): number {
  return Math.min(MAX_RECALIBRATED_CHURN, (churn * calibration.ratio(stratum)) / calibration.pooled);
}

/** A monthly hazard whose churn over `months` is the recalibrated one. */
export function recalibratedHazard(calibration: StratumCalibration, stratum: string, hazard: number, months: number): number {
  const churn = 1 - (1 - Math.min(1, Math.max(0, hazard))) ** months;
  return 1 - (1 - recalibratedChurn(calibration, stratum, churn)) ** (1 / months);
}
