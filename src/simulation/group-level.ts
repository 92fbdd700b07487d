import { DAY_MS } from '../domain/time.js';
import type { ChurnScorer } from '../intelligence/live/churn-scorer.js';
import { buildTwinTrainingSet } from '../intelligence/twin-training/twin-training-set.js';
import { FEATURE_COUNT, FEATURE_NAMES } from '../twin/twin-features.js';
import type { Scenario } from './scenario.js';
import { compileScenarios } from './scenario-plan.js';
import { arraySource, type TwinSource } from './twin-population.js';

/**
 * A scenario's group checked against its own churn lately. The out-of-time recalibration
 * (docs/models.md) moves the whole base's level and spread; a group a scenario picks (a plan's
 * customers, the riskiest by a rule) can churn at a level of its own that neither reaches: a plan
 * whose price rose in the training months was taught to churn more, and churns less now (seed 1's
 * s19: the lab's 2.86 % a month against 1.9 % realised). The check applies the scenario's rule at
 * the model's latest cutoff (its out-of-time window, which it was not fitted to) to the twins as
 * they were then, churned since or not (today's members are that window's survivors, whose churn
 * in it is nil by construction), and compares the churners of that group in the window with the
 * (recalibrated) model's expectation for it. The ratio is shrunk toward 1 by a gamma prior
 * (`GROUP_LEVEL_PRIOR_SD`): a window holds a few dozen churners, a group's share of them a handful.
 */

/**
 * The stated prior of a group's churn level against the recalibrated model's: a mean-one factor
 * of relative sd 0.3 (a group churning 1.35× or 0.74× the model's is one sd away), a gamma
 * distribution of shape 1 / 0.3² ≈ 11, as many churners' worth of evidence as the prior carries.
 * Chosen once, like the recalibration's own prior, not fitted to any world.
 */
export const GROUP_LEVEL_PRIOR_SD = 0.3;

/** The twins of a churn model's latest out-of-time window: as they were at its cutoff, and who churned in it. */
export interface LatestWindow {
  /** The twins active at the cutoff, with their features then and the scorer's probability then. */
  readonly source: TwinSource;
  /** Those of them who churned in the window (cutoff, cutoff + horizon]. */
  readonly churned: ReadonlySet<string>;
  readonly cutoffMs: number;
}

/**
 * The model's latest out-of-time window rebuilt from the event log (`buildTwinTrainingSet` at the
 * last of its training cutoffs, the same leakage-free rows it was validated on), scored by
 * `scorer` (the lab's: the model recalibrated); `twins` is how many customers the store has
 * ever held (the engine's size). Null when the model has a single cutoff (its
 * validation then was within its training months, not after them).
 */
export async function latestWindow(store: Parameters<typeof buildTwinTrainingSet>[0], model: { readonly horizonDays: number; readonly trainingWindow: { readonly cutoffs: readonly string[] } }, scorer: ChurnScorer, twins: number): Promise<LatestWindow | null> {
  const cutoffs = model.trainingWindow.cutoffs;
  if (cutoffs.length < 2) return null;
  const cutoffMs = Date.parse(cutoffs[cutoffs.length - 1]);
  // Every twin of the window (`twins` bounds them: the population then was no larger than all it has held); a group's rule picks from all of them.
  const set = await buildTwinTrainingSet(store, { cutoffs: [cutoffMs], horizonMs: model.horizonDays * DAY_MS, maxRows: Math.max(1, twins) });
  // The set's columns are the model's features (every twin feature but `churned`, 0 on every row).
  const to = set.featureNames.map((n) => FEATURE_NAMES.indexOf(n as (typeof FEATURE_NAMES)[number]));
  const rows: { id: string; features: Float64Array; probability: number }[] = [];
  const churned = new Set<string>();
  for (let r = 0; r < set.matrix.rows; r++) {
    const features = new Float64Array(FEATURE_COUNT);
    for (let k = 0; k < to.length; k++) if (to[k] >= 0) features[to[k]] = set.matrix.data[r * set.matrix.cols + k];
    const id = set.customerIds[r];
    rows.push({ id, features, probability: scorer.probability(features) });
    if (set.labels[r] === 1) churned.add(id);
  }
  return { source: arraySource(rows, model.horizonDays, scorer), churned, cutoffMs };
}

/** A group's churn level against the model's, from its window (see the module comment). */
export interface GroupLevel {
  /** Twins of the group at the window's cutoff. */
  readonly rows: number;
  /** Churners the model expected of them in the window, and those there were. */
  readonly expected: number;
  readonly churners: number;
  /** The posterior mean of the group's level (a factor on its hazards) and its relative sd. */
  readonly factor: number;
  readonly sd: number;
}

/**
 * The posterior of a group's level: churners ~ Poisson(level × expected), level ~ Gamma(α, α)
 * with α = 1 / GROUP_LEVEL_PRIOR_SD², so the level is (α + churners) / (α + expected) with
 * relative sd 1 / √(α + churners): a group with few expected churners keeps the model's level.
 */
export function groupLevel(rows: number, expected: number, churners: number, priorSd = GROUP_LEVEL_PRIOR_SD): GroupLevel {
  const alpha = 1 / (priorSd * priorSd);
  return { rows, expected, churners, factor: (alpha + churners) / (alpha + expected), sd: 1 / Math.sqrt(alpha + churners) };
}

/**
 * The scenarios with each group's level checked (`hazardLevel`, and its sd as the scenario's
 * `hazardCalibrationSd`). `then` gives a scenario as it would have been applied at the window's
 * cutoff (a list of customers must be the one of that time: today's members are its survivors),
 * null to leave it unchecked; by default a scenario without a `customers` list is its own rule then
 * (targets, rankings and thresholds are rules over the twins' features and scores) and one with a
 * list is left unchecked.
 */
export function withGroupLevels(window: LatestWindow, scenarios: readonly Scenario[], then: (s: Scenario) => Scenario | null = defaultThen): { scenarios: Scenario[]; levels: (GroupLevel | null)[] } {
  const back = scenarios.map(then);
  const checked = back.flatMap((s, j) => (s ? [{ s, j }] : []));
  const levels: (GroupLevel | null)[] = scenarios.map(() => null);
  if (checked.length > 0) {
    const probability = new Map<string, number>();
    window.source.forEach((id, _, p) => probability.set(id, p));
    const plans = compileScenarios(window.source, checked.map((c) => c.s));
    plans.forEach((plan, k) => {
      const ids = plan.treatedIds;
      const expected = ids.reduce((t, id) => t + (probability.get(id) ?? 0), 0);
      const churners = ids.reduce((t, id) => t + (window.churned.has(id) ? 1 : 0), 0);
      levels[checked[k].j] = groupLevel(ids.length, expected, churners);
    });
  }
  return { scenarios: scenarios.map((s, j) => (levels[j] ? { ...s, hazardLevel: levels[j]!.factor, hazardCalibrationSd: levels[j]!.sd } : s)), levels };
}

function defaultThen(s: Scenario): Scenario | null {
  return 'customers' in s && s.customers ? null : s;
}
