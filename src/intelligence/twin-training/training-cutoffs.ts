import { TwinloopError } from '../../domain/errors.js';
import { DAY_MS } from '../../domain/time.js';

/** A day in ms; cutoffs fall on whole UTC days so windows line up with the twin's daily rings. */
/** Default spacing of stacked cutoffs: monthly, as the issue asks. */
export const DEFAULT_CUTOFF_SPACING_MS = 30 * DAY_MS;
/** Default number of stacked cutoffs: a year of monthly snapshots is plenty of rows and of seasons. */
export const DEFAULT_MAX_CUTOFFS = 12;
/**
 * History a cutoff needs before it: the twin's longest feature window is 90 days, but 30 days
 * already give every monthly figure one value; earlier cutoffs would only teach the model about
 * empty windows.
 */
export const MIN_HISTORY_MS = 30 * DAY_MS;

/** What to plan cutoffs over. */
export interface CutoffPlan {
  /** Earliest event time in the log (ms). */
  readonly from: number;
  /** Latest event time in the log (ms): labels are known only up to here. */
  readonly to: number;
  readonly horizonMs: number;
  readonly spacingMs?: number;
  readonly maxCutoffs?: number;
}

/**
 * Cutoffs T with a fully observed label window: T + horizon ≤ `to`, T ≥ `from` + MIN_HISTORY_MS,
 * spaced `spacingMs` apart backwards from the latest possible one, oldest first, at most
 * `maxCutoffs`. Each falls on the last millisecond of a UTC day, so the day of T is complete in
 * the windows (at midnight the "last 7 days" would hold only 6 days of use, unlike live twins).
 * Empty when the history is too short.
 */
export function planCutoffs(plan: CutoffPlan): number[] {
  const spacing = plan.spacingMs ?? DEFAULT_CUTOFF_SPACING_MS;
  const max = plan.maxCutoffs ?? DEFAULT_MAX_CUTOFFS;
  if (!(plan.horizonMs > 0) || !(spacing > 0) || !(max >= 1)) {
    throw new TwinloopError('BAD_INPUT', 'cutoffs: horizon and spacing must be positive and maxCutoffs at least 1');
  }
  const last = Math.floor((plan.to - plan.horizonMs + 1) / DAY_MS) * DAY_MS - 1;
  const earliest = plan.from + MIN_HISTORY_MS;
  const out: number[] = [];
  for (let t = last; t >= earliest && out.length < max; t -= spacing) out.push(t);
  return out.reverse();
}
