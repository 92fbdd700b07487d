import { TwinloopError } from '../../domain/errors.js';
import { seededRandom } from '../../domain/seeded-random.js';

/**
 * What a retention contact does to churn, read from a **held-out contact design**: every campaign
 * (last quarter's pilot, each month's plan) holds out a random share of the customers it chose, and
 * within each stratum of similar customers (their answers so far, their churn risk, their contract)
 * the churn of those contacted against those held out is a randomised comparison, whatever the
 * response classes are. A stratum's rate ratio ρ_s is what a contact does to that kind of customer
 * there: below 1 it keeps customers (the persuadables' acceptances outweigh the sleeping dogs'
 * harm), above 1 it drives them away. Answers cannot tell a sleeping dog from a lost cause or a sure
 * thing (none of them accepts); the churn after a contact against a held-out comparable group can,
 * in the only unit that matters to the decision: the stratum's net effect.
 *
 * Each stratum's likelihood is conditional on its churners, so the churn model's calibration there
 * cancels: with O_t of the contacted and O_h of the held out leaving, and E_t, E_h the churns the
 * churn model expected of each arm over the time each was watched (inside the effect window),
 *
 *     O_t | O_t + O_h  ~  Binomial(O_t + O_h, ρ_s E_t / (ρ_s E_t + E_h))
 *
 * A contact keeps customers only through those who accept its offer (a refusal keeps nobody: the
 * response classes' definition), so ρ_s ≥ 1 − A_s, A_s the share of the stratum's expected churn
 * carried by its acceptors (each contacted customer weighed by the churn the model expected of
 * them, since who accepts may churn more), read at the upper end of its 90 % interval: each draw of
 * the stratum's ln ρ is held at or above ln(1 − A_s) (a stratum with no contact yet: the whole
 * design's acceptors' share). The floor bounds the stratum, not the level μ the strata share: a
 * stratum of few contacts and fewer acceptors would otherwise drag the level of all the others. Without that floor a randomised comparison of a few dozen churners per arm reads a
 * benefit no acceptance can carry: on risky-dogs (seed 1, 1,000 customers) last quarter's pilot read
 * ρ ≈ 0.85 where one contact in seven was accepted, and the batches explored on it lost 3,664 in five
 * months before the read turned.
 *
 * The strata are pooled by an empirical-Bayes (hierarchical) model, ln ρ_s ~ N(μ, τ²), with
 * μ ~ N(0, 0.25²) (no effect until shown; a retention contact moving churn by a third or more either
 * way is rare: 0.66–1.5 at 90 %) and τ one
 * of a few values, equally likely a priori: the posterior over (μ, τ) is computed exactly on a grid,
 * each stratum's ln ρ on a grid given them, and the read is a set of joint draws (μ, τ, every
 * stratum's ln ρ together), so a plan that spans strata is judged with their shared uncertainty. A
 * stratum with few churners sits near μ; one with many reads as itself; one never tried is μ with
 * τ's spread.
 */

/** One randomised unit: a customer contacted or held out, in a stratum, and what followed. */
export interface DesignEpisode {
  readonly stratum: string;
  readonly heldOut: boolean;
  /** Churns the churn model expected over the time the customer was watched (hazard × months). */
  readonly expected: number;
  readonly churned: boolean;
  /** A contacted customer accepted the offer (read only for the contacted). */
  readonly accepted?: boolean;
}

/** One arm of a stratum: its churners against the churns expected of it. */
export interface ArmCount {
  readonly customers: number;
  readonly churned: number;
  readonly expected: number;
}

/** A stratum's read. */
export interface StratumRead {
  readonly stratum: string;
  readonly contacted: ArmCount;
  readonly heldOut: ArmCount;
  /** Posterior mean and sd of ln ρ_s. */
  readonly mean: number;
  readonly sd: number;
  /** Posterior probability that a contact raises churn there (ρ_s > 1). */
  readonly harm: number;
  /** The lowest ρ_s the stratum's acceptors can carry (1 − A_s at its upper end; 0 with no contact anywhere). */
  readonly floor: number;
}

/** The read: the strata, the pooled level and the joint draws. */
export interface HeldOutRead {
  readonly strata: ReadonlyMap<string, StratumRead>;
  /** Posterior of μ (the strata's common level of ln ρ) and the mean of τ (their spread). */
  readonly level: { readonly mean: number; readonly sd: number };
  readonly spread: number;
  /** Number of joint draws. */
  readonly draws: number;
  /** ln ρ of a stratum at each joint draw (a stratum not in the read: μ + τ·z of each draw). */
  drawsOf(stratum: string): Float64Array;
}

/** Settings of the read. */
export interface HeldOutReadOptions {
  /** Joint draws (default 400). */
  readonly draws?: number;
  readonly seed?: number;
  /**
   * Prior of μ (default N(0, 0.25²)). With N(0, 0.5²) a 1,000-customer pilot whose 10 contacted
   * churners fell short of the held-out rate by chance (answering-base, seed 3: ρ read 0.70 ± 0.2)
   * passed the plan guard and 55 contacts lost 2,432 in a month.
   */
  readonly level?: { readonly mean: number; readonly sd: number };
  /** Values τ may take, equally likely a priori (default 0.05, 0.15, 0.3, 0.5). */
  readonly spreads?: readonly number[];
}

const X_MIN = -2.5;
const X_STEP = 0.025;
const X_COUNT = 201;
const MU_MIN = -1.5;
const MU_STEP = 0.0375;
const MU_COUNT = 81;

/** The acceptors' share of a stratum's contacted customers' expected churn: weights, their squares (for the effective count) and the accepted part. */
interface Acceptors {
  weight: number;
  squares: number;
  accepted: number;
}
const acceptors = (): Acceptors => ({ weight: 0, squares: 0, accepted: 0 });

/**
 * ln(1 − A) with A the acceptors' share of the expected churn at the upper end of its 90 % interval
 * (normal, with the effective count of the weights, and one customer's worth of slack); `none`
 * where nobody was contacted.
 */
function floorOf(a: Acceptors, none: number): number {
  if (!(a.weight > 0)) return none;
  const n = (a.weight * a.weight) / a.squares;
  const share = a.accepted / a.weight;
  const upper = share + 1.2816 * Math.sqrt((share * (1 - share)) / n) + 1 / n;
  return upper >= 1 ? -Infinity : Math.log(1 - upper);
}

const normalLog = (x: number, mean: number, sd: number) => -0.5 * ((x - mean) / sd) ** 2 - Math.log(sd);

function logSumExp(values: ArrayLike<number>): number {
  let top = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i] > top) top = values[i];
  if (top === -Infinity) return top;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += Math.exp(values[i] - top);
  return top + Math.log(s);
}

/** Draws an index from unnormalised log weights with the uniform `u`. */
function drawIndex(logWeights: ArrayLike<number>, total: number, u: number): number {
  let acc = 0;
  for (let i = 0; i < logWeights.length; i++) {
    acc += Math.exp(logWeights[i] - total);
    if (u < acc) return i;
  }
  return logWeights.length - 1;
}

/** The episodes tallied by stratum: each stratum's arms, its acceptors' floor and its conditional log-likelihood on the grid of ln ρ. */
interface Tally {
  readonly names: readonly string[];
  readonly arms: ReadonlyMap<string, { t: ArmCount; h: ArmCount }>;
  readonly floors: readonly number[];
  /** The design's floor, for a stratum never contacted. */
  readonly overallFloor: number;
  readonly loglik: readonly Float64Array[];
}

function tally(episodes: readonly DesignEpisode[]): Tally {
  const arms = new Map<string, { t: { customers: number; churned: number; expected: number }; h: { customers: number; churned: number; expected: number }; accept: Acceptors }>();
  const allAcceptors = acceptors();
  for (const e of episodes) {
    if (!(e.expected >= 0) || !Number.isFinite(e.expected)) throw new TwinloopError('BAD_INPUT', `an episode's expected churn must be a finite number ≥ 0; got ${e.expected}`);
    let a = arms.get(e.stratum);
    if (!a) arms.set(e.stratum, (a = { t: { customers: 0, churned: 0, expected: 0 }, h: { customers: 0, churned: 0, expected: 0 }, accept: acceptors() }));
    const arm = e.heldOut ? a.h : a.t;
    if (!e.heldOut && e.expected > 0) {
      for (const acc of [a.accept, allAcceptors]) {
        acc.weight += e.expected;
        acc.squares += e.expected * e.expected;
        if (e.accepted) acc.accepted += e.expected;
      }
    }
    arm.customers++;
    arm.expected += e.expected;
    if (e.churned) arm.churned++;
  }
  const names = [...arms.keys()].sort();
  const overallFloor = floorOf(allAcceptors, -Infinity);
  const floors = names.map((s) => floorOf(arms.get(s)!.accept, overallFloor));
  // Each stratum's conditional log-likelihood on the grid of ln ρ (flat where one arm is empty).
  const loglik = names.map((s) => {
    const { t, h } = arms.get(s)!;
    const ll = new Float64Array(X_COUNT);
    if (!(t.expected > 0 && h.expected > 0) || t.churned + h.churned === 0) return ll;
    for (let i = 0; i < X_COUNT; i++) {
      const rt = Math.exp(X_MIN + i * X_STEP) * t.expected;
      const p = rt / (rt + h.expected);
      ll[i] = t.churned * Math.log(p) + h.churned * Math.log(1 - p);
    }
    return ll;
  });
  return { names, arms, floors, overallFloor, loglik };
}

/** log ∫ lik_s(x) N(x; mu, tau) dx on the grid (unnormalised alike for every stratum), with the terms left in `out`. */
function condOf(loglik: Float64Array, mu: number, tau: number, out: Float64Array): number {
  for (let i = 0; i < X_COUNT; i++) out[i] = loglik[i] + normalLog(X_MIN + i * X_STEP, mu, tau);
  return logSumExp(out);
}

/** A stratum's ln ρ drawn given its level and the spread, held at or above its floor (the floor bounds what its own acceptors can have done, not the level). */
function drawStratum(loglik: Float64Array, floor: number, mu: number, tau: number, scratch: Float64Array, next: () => number): number {
  condOf(loglik, mu, tau, scratch);
  for (let i = 0; i < X_COUNT; i++) if (X_MIN + i * X_STEP < floor) scratch[i] = -Infinity;
  const t = logSumExp(scratch);
  return t === -Infinity ? floor : Math.max(floor, X_MIN + drawIndex(scratch, t, next()) * X_STEP + (next() - 0.5) * X_STEP);
}

/** Mean, sd and share above 0 of a set of draws. */
function summary(x: Float64Array): { mean: number; sd: number; harm: number } {
  const R = x.length;
  let m = 0;
  for (const v of x) m += v / R;
  let v2 = 0;
  let above = 0;
  for (const v of x) {
    v2 += (v - m) ** 2 / R;
    if (v > 0) above++;
  }
  return { mean: m, sd: Math.sqrt(v2), harm: above / R };
}

function checkOptions(R: number, level: { mean: number; sd: number }, spreads: readonly number[]): void {
  if (!(Number.isInteger(R) && R > 0)) throw new TwinloopError('BAD_INPUT', `draws must be a whole number above 0; got ${R}`);
  if (!(level.sd > 0) || spreads.length === 0 || spreads.some((t) => !(t > 0))) throw new TwinloopError('BAD_INPUT', 'the level prior needs an sd above 0 and every spread must be above 0');
}

/** Reads the design's episodes (see the module's comment). */
export function readHeldOutDesign(episodes: readonly DesignEpisode[], options: HeldOutReadOptions = {}): HeldOutRead {
  const R = options.draws ?? 400;
  const level = options.level ?? { mean: 0, sd: 0.25 };
  const spreads = options.spreads ?? [0.05, 0.15, 0.3, 0.5];
  checkOptions(R, level, spreads);
  const { names, arms, floors, overallFloor, loglik } = tally(episodes);
  // The posterior of (μ, τ) on its grid: prior × Π_s ∫ lik_s(x) N(x; μ, τ) dx.
  const cells = MU_COUNT * spreads.length;
  const logPost = new Float64Array(cells);
  const scratch = new Float64Array(X_COUNT);
  for (let k = 0; k < spreads.length; k++) {
    for (let j = 0; j < MU_COUNT; j++) {
      const mu = MU_MIN + j * MU_STEP;
      let lp = normalLog(mu, level.mean, level.sd);
      for (let s = 0; s < names.length; s++) lp += condOf(loglik[s], mu, spreads[k], scratch);
      logPost[k * MU_COUNT + j] = lp;
    }
  }
  const total = logSumExp(logPost);
  const next = seededRandom(options.seed ?? 1);
  const muDraw = new Float64Array(R);
  const tauDraw = new Float64Array(R);
  const zDraw = new Float64Array(R);
  const stratumDraws = names.map(() => new Float64Array(R));
  for (let r = 0; r < R; r++) {
    const cell = drawIndex(logPost, total, next());
    const tau = spreads[Math.floor(cell / MU_COUNT)];
    const mu = MU_MIN + (cell % MU_COUNT) * MU_STEP + (next() - 0.5) * MU_STEP;
    muDraw[r] = mu;
    tauDraw[r] = tau;
    // A standard normal (Box–Muller) for the strata the read has not seen.
    zDraw[r] = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
    for (let s = 0; s < names.length; s++) stratumDraws[s][r] = drawStratum(loglik[s], floors[s], mu, tau, scratch, next);
  }
  const strata = new Map<string, StratumRead>();
  names.forEach((s, i) => {
    const { t, h } = arms.get(s)!;
    strata.set(s, { stratum: s, contacted: t, heldOut: h, ...summary(stratumDraws[i]), floor: Math.exp(floors[i]) });
  });
  const byName = new Map(names.map((s, i) => [s, stratumDraws[i]]));
  // A stratum never tried: the level with the strata's spread, no lower than the design's acceptors allow.
  const unseen = Float64Array.from(muDraw, (mu, r) => Math.max(overallFloor, mu + tauDraw[r] * zDraw[r]));
  const mu = summary(muDraw);
  return {
    strata,
    level: { mean: mu.mean, sd: mu.sd },
    spread: tauDraw.reduce((s, v) => s + v / R, 0),
    draws: R,
    drawsOf: (stratum) => byName.get(stratum) ?? unseen,
  };
}

/**
 * Reads the design's strata in groups, each pooled toward a level of its own (`groupOf` names a
 * stratum's group): a group's strata do not lean on the level the other groups' strata set. The
 * groups' draws are independent; the read's level and spread are those of the group with the most
 * units, and a stratum not in the read is drawn as an unseen stratum of its own group.
 */
export function readGroupedDesign(episodes: readonly DesignEpisode[], groupOf: (stratum: string) => string, options: HeldOutReadOptions = {}): HeldOutRead {
  const byGroup = new Map<string, DesignEpisode[]>();
  for (const e of episodes) {
    const g = groupOf(e.stratum);
    const list = byGroup.get(g) ?? [];
    list.push(e);
    byGroup.set(g, list);
  }
  const reads = new Map([...byGroup].map(([g, list], i) => [g, readHeldOutDesign(list, { ...options, seed: (options.seed ?? 1) + 7919 * i })]));
  const empty = readHeldOutDesign([], options);
  const largest = [...byGroup].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))[0]?.[0];
  const main = (largest !== undefined ? reads.get(largest) : undefined) ?? empty;
  const strata = new Map<string, StratumRead>();
  for (const r of reads.values()) for (const [s, x] of r.strata) strata.set(s, x);
  return {
    strata,
    level: main.level,
    spread: main.spread,
    draws: main.draws,
    drawsOf: (stratum) => (reads.get(groupOf(stratum)) ?? empty).drawsOf(stratum),
  };
}

/** Settings of a nested read: the read's, and the prior of a group's offset from the level. */
export interface NestedReadOptions extends HeldOutReadOptions {
  /** Values the sd ω of a group's offset δ_g may take, equally likely a priori (default the strata's spreads). */
  readonly offsetSpreads?: readonly number[];
}

/** Half the offsets' grid: δ runs over ±OFFSET_STEPS steps of the level's grid (±1.5, the level's own range). */
const OFFSET_STEPS = 40;

/**
 * Reads the design's strata with groups that lean on the level as far as the evidence says: a stratum
 * of the base (`groupOf` gives undefined) has ln ρ_s ~ N(μ, τ²), one of group g ln ρ_s ~ N(μ + δ_g, τ²),
 * each δ_g ~ N(0, ω²) with ω one of a few values equally likely (its own prior). Between one level for
 * every stratum (ω = 0, `readHeldOutDesign`) and a level of each group's own (ω = ∞, `readGroupedDesign`):
 * a group of few units reads near the level the others set, widened by what ω may be; a group whose
 * units disagree with the others' level moves away from it as far as their churners carry it. Computed
 * exactly as the plain read's (the offsets on the level's grid, integrated for each (μ, τ)), and read as
 * joint draws (μ, τ, each δ_g, every stratum); a group not in the read draws δ from its prior.
 */
export function readNestedDesign(episodes: readonly DesignEpisode[], groupOf: (stratum: string) => string | undefined, options: NestedReadOptions = {}): HeldOutRead {
  const R = options.draws ?? 400;
  const level = options.level ?? { mean: 0, sd: 0.25 };
  const spreads = options.spreads ?? [0.05, 0.15, 0.3, 0.5];
  const omegas = options.offsetSpreads ?? spreads;
  checkOptions(R, level, spreads);
  if (omegas.length === 0 || omegas.some((w) => !(w > 0))) throw new TwinloopError('BAD_INPUT', 'every offset spread must be above 0');
  const { names, arms, floors, overallFloor, loglik } = tally(episodes);
  const groups = [...new Set(names.map(groupOf).filter((g): g is string => g !== undefined))].sort();
  const groupIndex = names.map((s) => {
    const g = groupOf(s);
    return g === undefined ? -1 : groups.indexOf(g);
  });
  // The offset's prior on its grid: the mixture over ω, normalised.
  const D = 2 * OFFSET_STEPS + 1;
  const offsetPrior = new Float64Array(D);
  for (let d = 0; d < D; d++) {
    const delta = (d - OFFSET_STEPS) * MU_STEP;
    offsetPrior[d] = logSumExp(omegas.map((w) => normalLog(delta, 0, w))) - Math.log(omegas.length);
  }
  const priorTotal = logSumExp(offsetPrior);
  for (let d = 0; d < D; d++) offsetPrior[d] -= priorTotal;
  // Each group's log-likelihood at each level μ + δ on the extended grid, for each τ.
  const E = MU_COUNT + 2 * OFFSET_STEPS;
  const levelAt = (e: number) => MU_MIN + (e - OFFSET_STEPS) * MU_STEP;
  const scratch = new Float64Array(X_COUNT);
  const groupLik = spreads.map(() => groups.map(() => new Float64Array(E)));
  const baseLik = spreads.map(() => new Float64Array(MU_COUNT));
  for (let k = 0; k < spreads.length; k++) {
    for (let s = 0; s < names.length; s++) {
      const g = groupIndex[s];
      if (g < 0) for (let j = 0; j < MU_COUNT; j++) baseLik[k][j] += condOf(loglik[s], MU_MIN + j * MU_STEP, spreads[k], scratch);
      else for (let e = 0; e < E; e++) groupLik[k][g][e] += condOf(loglik[s], levelAt(e), spreads[k], scratch);
    }
  }
  // The posterior of (μ, τ) with every group's offset integrated out.
  const offsetTerms = new Float64Array(D);
  const offsetLog = (k: number, g: number, j: number) => {
    for (let d = 0; d < D; d++) offsetTerms[d] = offsetPrior[d] + groupLik[k][g][j + d];
    return offsetTerms;
  };
  const logPost = new Float64Array(MU_COUNT * spreads.length);
  for (let k = 0; k < spreads.length; k++) {
    for (let j = 0; j < MU_COUNT; j++) {
      let lp = normalLog(MU_MIN + j * MU_STEP, level.mean, level.sd) + baseLik[k][j];
      for (let g = 0; g < groups.length; g++) lp += logSumExp(offsetLog(k, g, j));
      logPost[k * MU_COUNT + j] = lp;
    }
  }
  const total = logSumExp(logPost);
  const next = seededRandom(options.seed ?? 1);
  const muDraw = new Float64Array(R);
  const tauDraw = new Float64Array(R);
  const zDraw = new Float64Array(R);
  const offsetDraws = groups.map(() => new Float64Array(R));
  const unseenOffset = new Float64Array(R);
  const stratumDraws = names.map(() => new Float64Array(R));
  for (let r = 0; r < R; r++) {
    const cell = drawIndex(logPost, total, next());
    const k = Math.floor(cell / MU_COUNT);
    const j = cell % MU_COUNT;
    const tau = spreads[k];
    // μ stays on its grid here, so that each group's level μ + δ is the one its likelihood was read at.
    const mu = MU_MIN + j * MU_STEP;
    muDraw[r] = mu;
    tauDraw[r] = tau;
    zDraw[r] = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
    for (let g = 0; g < groups.length; g++) {
      const terms = offsetLog(k, g, j);
      offsetDraws[g][r] = (drawIndex(terms, logSumExp(terms), next()) - OFFSET_STEPS) * MU_STEP;
    }
    unseenOffset[r] = (drawIndex(offsetPrior, 0, next()) - OFFSET_STEPS) * MU_STEP;
    for (let s = 0; s < names.length; s++) {
      const g = groupIndex[s];
      stratumDraws[s][r] = drawStratum(loglik[s], floors[s], mu + (g < 0 ? 0 : offsetDraws[g][r]), tau, scratch, next);
    }
  }
  const strata = new Map<string, StratumRead>();
  names.forEach((s, i) => {
    const { t, h } = arms.get(s)!;
    strata.set(s, { stratum: s, contacted: t, heldOut: h, ...summary(stratumDraws[i]), floor: Math.exp(floors[i]) });
  });
  const byName = new Map(names.map((s, i) => [s, stratumDraws[i]]));
  // A stratum never tried: its group's level with the strata's spread, no lower than the design's acceptors allow.
  const unseen = new Map<string | undefined, Float64Array>();
  const unseenOf = (g: string | undefined) => {
    let x = unseen.get(g);
    if (!x) {
      const gi = g === undefined ? -1 : groups.indexOf(g);
      const offset = g === undefined ? undefined : gi < 0 ? unseenOffset : offsetDraws[gi];
      x = Float64Array.from(muDraw, (mu, r) => Math.max(overallFloor, mu + (offset ? offset[r] : 0) + tauDraw[r] * zDraw[r]));
      unseen.set(g, x);
    }
    return x;
  };
  const mu = summary(muDraw);
  return {
    strata,
    level: { mean: mu.mean, sd: mu.sd },
    spread: tauDraw.reduce((s, v) => s + v / R, 0),
    draws: R,
    drawsOf: (stratum) => byName.get(stratum) ?? unseenOf(groupOf(stratum)),
  };
}
