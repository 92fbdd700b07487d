import { METRIC_COUNT, runDraws, type KernelParams, type KernelPopulation } from './monte-carlo-kernel.js';
import type { ScenarioPlan } from './scenario-plan.js';
import { viewOf } from './shared-population.js';

/**
 * Where a prediction's error comes from, by sequential substitution: the lab's prediction is made
 * again with one assumption after the other replaced by what was realised (the treated group's
 * untreated churn in the first month, then over the horizon, then its acceptances, then the
 * churn of the treated), each on the same dice as the prediction. Each part is how much the
 * prediction moved when that assumption was set right; what is left once all are right is the
 * rest (revenue per customer, discounts, costs, and the realisation's own noise). The parts add up
 * to the error exactly (they telescope), in the order given: a later part is read with the
 * earlier ones already right.
 */

/** What was realised, over the scenario's treated twins (the mean over the futures). */
export interface RealisedOutcome {
  /** Realised net value. */
  readonly netValue: number;
  /** Treated twins who left within the first month in the untreated copy. */
  readonly untreatedChurnersFirstMonth: number;
  /** Treated twins who left within the horizon in the untreated copy. */
  readonly untreatedChurners: number;
  /** Treated twins who left within the horizon in the treated copy. */
  readonly treatedChurners: number;
  /** Acceptances (0 for a structural scenario). */
  readonly accepted: number;
}

/** The parts of one scenario's error (predicted − realised net value), in the order they are substituted. */
export interface ErrorParts {
  /** The hazard level set so that the untreated first month's churners are the realised ones. */
  readonly firstMonthChurn: number;
  /** The level then set so that the untreated horizon's churners are the realised ones (the hazard's course after the first month). */
  readonly horizonChurn: number;
  /** The acceptance then set so that the acceptances are the realised ones (0 for a structural scenario). */
  readonly acceptance: number;
  /** The treatment's effect then set so that the treated copy's churners are the realised ones. */
  readonly effect: number;
  /** What is left with all of them right: revenue per customer, discounts, costs, one future's noise. */
  readonly rest: number;
}

/** Names of the parts, in substitution order. */
export const ERROR_PARTS = ['firstMonthChurn', 'horizonChurn', 'acceptance', 'effect', 'rest'] as const satisfies readonly (keyof ErrorParts)[];

/** One scenario's error broken down. */
export interface ErrorBreakdown {
  /** Predicted mean net value − realised net value: the sum of the parts. */
  readonly error: number;
  readonly parts: ErrorParts;
  /** The treated twins' untreated churners over the horizon: the lab's expectation and the realised. */
  readonly untreatedChurners: { readonly predicted: number; readonly realised: number };
  /** The same within the first month. */
  readonly untreatedChurnersFirstMonth: { readonly predicted: number; readonly realised: number };
  /** The treated copy's churners among the treated: the lab's expectation (with the realised untreated churn and acceptance) and the realised. */
  readonly treatedChurners: { readonly predicted: number; readonly realised: number };
  /**
   * The substituted values, for the reader: the hazard level factors that match the first month
   * and the horizon (against the lab's), the acceptance rate at the pilot's mean that matches,
   * and the effect's shift (offers: added to an acceptor's multiplier, and × the group's hazard to
   * a decliner's increase; structural: the effect's θ). null where a part does not apply.
   */
  readonly substituted: { readonly firstMonthLevel: number; readonly horizonLevel: number; readonly acceptance: number | null; readonly effectShift: number };
}

/** Mean figures over `draws` draws (all segments together). */
function meansOf(pop: KernelPopulation, p: KernelParams, draws: number): { base: number; scenario: number; accepted: number; net: number } {
  const out = new Float64Array(draws * p.segments * METRIC_COUNT);
  runDraws(pop, p, 0, draws, out);
  let base = 0, scenario = 0, accepted = 0, net = 0;
  for (let k = 0; k < out.length; k += METRIC_COUNT) {
    base += out[k];
    scenario += out[k + 1];
    net += out[k + 3] - out[k + 2] - out[k + 4];
    accepted += out[k + 6];
  }
  return { base: base / draws, scenario: scenario / draws, accepted: accepted / draws, net: net / draws };
}

/** Steps of the root search at most; it stops earlier once the figure is within SEARCH_TOLERANCE of its target. */
const SEARCH_STEPS = 30;
/** A hundredth of a customer (or of an acceptance): far below what a part can tell. */
const SEARCH_TOLERANCE = 0.01;

/**
 * The x in [lo, hi] at which the monotone f (rising or falling) meets target, by regula falsi
 * with the Illinois step (a few evaluations for a smooth f, each a run of the kernel); the nearer
 * end when the target lies beyond both (the part is then as far as the knob reaches).
 */
function solve(f: (x: number) => number, target: number, lo: number, hi: number): number {
  let a = lo, b = hi;
  let fa = f(a) - target;
  let fb = f(b) - target;
  if (Math.abs(fa) <= SEARCH_TOLERANCE) return a;
  if (Math.abs(fb) <= SEARCH_TOLERANCE) return b;
  if (fa * fb > 0) return Math.abs(fa) < Math.abs(fb) ? a : b;
  let side = 0;
  let x = (a + b) / 2;
  for (let i = 0; i < SEARCH_STEPS; i++) {
    x = fa === fb ? (a + b) / 2 : (a * fb - b * fa) / (fb - fa);
    const fx = f(x) - target;
    if (Math.abs(fx) <= SEARCH_TOLERANCE) return x;
    if (fx * fb > 0) {
      b = x;
      fb = fx;
      if (side === -1) fa /= 2;
      side = -1;
    } else {
      a = x;
      fa = fx;
      if (side === 1) fb /= 2;
      side = 1;
    }
  }
  return x;
}

/**
 * Breaks a scenario's error (its prediction's mean net value `predictedNet` against `realised`)
 * into the parts of `ErrorParts`, re-running the plan's kernel with the realised values in turn.
 * The twins the scenario does not treat are held still (their churn is not what it is judged on,
 * and they add the same to both arms), so the churners counted are the treated group's.
 */
export function errorBreakdown(plan: ScenarioPlan, predictedNet: number, realised: RealisedOutcome): ErrorBreakdown {
  const view = viewOf(plan.population);
  // Only the treated twins churn here: the same dice (one variate per twin, in order) as the prediction.
  const hazard = Float32Array.from(view.hazard, (h, i) => (view.treated[i] === 0 ? 0 : h));
  const pop: KernelPopulation = { ...view, hazard };
  const p0 = plan.params;
  const draws = plan.scenario.draws;
  const level0 = p0.level ?? 1;
  const error = predictedNet - realised.netValue;
  if (plan.treated === 0) {
    const zero = { predicted: 0, realised: 0 };
    return { error, parts: { firstMonthChurn: 0, horizonChurn: 0, acceptance: 0, effect: 0, rest: error }, untreatedChurners: zero, untreatedChurnersFirstMonth: zero, treatedChurners: zero, substituted: { firstMonthLevel: 1, horizonLevel: 1, acceptance: null, effectShift: 0 } };
  }
  const at0 = meansOf(pop, p0, draws);
  const firstMonth0 = meansOf(pop, { ...p0, months: 1 }, draws).base;
  // A level high enough for any realised churn (hazards stop at MAX_HAZARD).
  const levelHi = level0 * 20 + 1;
  const level1 = solve((l) => meansOf(pop, { ...p0, months: 1, level: l }, draws).base, realised.untreatedChurnersFirstMonth, 0, levelHi);
  const p1: KernelParams = { ...p0, level: level1 };
  const at1 = meansOf(pop, p1, draws);
  const level2 = solve((l) => meansOf(pop, { ...p1, level: l }, draws).base, realised.untreatedChurners, 0, levelHi);
  const p2: KernelParams = { ...p1, level: level2 };
  const at2 = meansOf(pop, p2, draws);
  let p3: KernelParams = p2;
  let acceptance: number | null = null;
  if (p2.mode === 'offer') {
    const q = p2;
    acceptance = solve((a) => meansOf(pop, { ...q, acceptance: { ...q.acceptance, mean: a } }, draws).accepted, realised.accepted, 0, 1);
    p3 = { ...q, acceptance: { ...q.acceptance, mean: acceptance } };
  }
  const at3 = p3 === p2 ? at2 : meansOf(pop, p3, draws);
  // The effect: one shift that raises the treated arm's churn as it grows. Offers: added to an
  // acceptor's hazard multiplier, and (× the group's mean hazard) to a decliner's increase, so that
  // +1 doubles both arms' hazard and −1 takes it away; structural: added to the effect's θ.
  let withEffect: (x: number) => KernelParams;
  let lo: number, hi: number;
  if (p3.mode === 'offer') {
    const q = p3;
    let hs = 0, n = 0;
    for (let i = 0; i < pop.n; i++) {
      if (pop.treated[i] === 0) continue;
      hs += hazard[i];
      n++;
    }
    const hMean = (level2 * hs) / Math.max(1, n);
    withEffect = (x) => ({ ...q, acceptedMultiplier: { ...q.acceptedMultiplier, mean: Math.max(0, q.acceptedMultiplier.mean + x) }, contactedIncrease: { ...q.contactedIncrease, mean: q.contactedIncrease.mean + x * hMean } });
    lo = -Math.max(1, q.acceptedMultiplier.mean);
    hi = 10;
  } else {
    const q = p3;
    const theta = q.effectMean ?? 1;
    // Wide enough for a response several times the one assumed, or of the other sign.
    const width = 5 * Math.max(Math.abs(theta), q.effectSd, 0.02);
    withEffect = (x) => ({ ...q, effectMean: theta + x });
    lo = -width;
    hi = width;
  }
  const shift = solve((x) => meansOf(pop, withEffect(x), draws).scenario, realised.treatedChurners, lo, hi);
  const at4 = meansOf(pop, withEffect(shift), draws);
  // The prediction's own mean may differ from at0 by the order of its sums: that goes to the rest.
  const parts: ErrorParts = {
    firstMonthChurn: at0.net - at1.net,
    horizonChurn: at1.net - at2.net,
    acceptance: at2.net - at3.net,
    effect: at3.net - at4.net,
    rest: at4.net - realised.netValue + (predictedNet - at0.net),
  };
  return {
    error,
    parts,
    untreatedChurners: { predicted: at0.base, realised: realised.untreatedChurners },
    untreatedChurnersFirstMonth: { predicted: firstMonth0, realised: realised.untreatedChurnersFirstMonth },
    treatedChurners: { predicted: at3.scenario, realised: realised.treatedChurners },
    substituted: { firstMonthLevel: level1 / level0, horizonLevel: level2 / level0, acceptance, effectShift: shift },
  };
}

/** The breakdown over many scenarios: each part's signed sum, and its size against the realised values. */
export interface ErrorBreakdownSummary {
  /** Σ (predicted − realised): the sum of `parts`. */
  readonly error: number;
  /** Each part summed over the scenarios (signed: parts of opposite sign in two scenarios cancel here). */
  readonly parts: ErrorParts;
  /** Each part's Σ|part| / Σ|realised|: its size on the relative MAE's scale, whatever its sign. */
  readonly relativeSize: ErrorParts;
  /** Σ predicted / Σ realised untreated churners of the treated groups (1 = the lab's churn level is right). */
  readonly untreatedChurnRatio: number | null;
  /** The same within the first month. */
  readonly untreatedChurnRatioFirstMonth: number | null;
}

/** Sums breakdowns; `realisedNet` are the scenarios' realised net values, for the relative sizes. */
export function summariseBreakdowns(bs: readonly ErrorBreakdown[], realisedNet: readonly number[]): ErrorBreakdownSummary {
  const scale = realisedNet.reduce((t, x) => t + Math.abs(x), 0);
  const sum = (f: (b: ErrorBreakdown) => number) => bs.reduce((t, b) => t + f(b), 0);
  const partsBy = (f: (x: number) => number) => Object.fromEntries(ERROR_PARTS.map((k) => [k, sum((b) => f(b.parts[k]))])) as unknown as ErrorParts;
  const signed = partsBy((x) => x);
  const abs = partsBy(Math.abs);
  const ratio = (pred: number, real: number) => (real > 0 ? pred / real : null);
  return {
    error: sum((b) => b.error),
    parts: signed,
    relativeSize: Object.fromEntries(ERROR_PARTS.map((k) => [k, scale > 0 ? abs[k] / scale : 0])) as unknown as ErrorParts,
    untreatedChurnRatio: ratio(sum((b) => b.untreatedChurners.predicted), sum((b) => b.untreatedChurners.realised)),
    untreatedChurnRatioFirstMonth: ratio(sum((b) => b.untreatedChurnersFirstMonth.predicted), sum((b) => b.untreatedChurnersFirstMonth.realised)),
  };
}
