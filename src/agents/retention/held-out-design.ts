import { TwinloopError } from '../../domain/errors.js';
import type { HeldOutRead } from '../../intelligence/uplift/held-out-read.js';
import { longestGuardedPrefix, PLAN_RISK } from '../../intelligence/uplift/plan-guard.js';
import { byId, uniformOf } from './learning-planner.js';

/**
 * The learning agent's second reading of a contact: the held-out contact design's
 * (`intelligence/uplift/held-out-read.ts`: in each stratum of similar customers, the churn of those
 * contacted against those held out at random, pooled by an empirical-Bayes model), planned on the
 * candidates the class model's plan left. Where the class model cannot tell sleeping dogs from
 * lost causes and sure things (none of them accepts, so a quarter of every never-answered profile
 * stays a sleeping dog and no contact is worth it), the stratum's net effect says what a contact
 * did to customers like these, and what it is worth to learn it better.
 *
 * A contact's net value at a draw x = ln ρ_s of the customer's stratum:
 *
 *     net(x) = V · ((1 − h)^H − (1 − h·e^x)^H) − spend,   spend = contact cost + acceptance × offer cost
 *
 * - **never** a customer of a stratum where a contact more likely raises churn than not
 *   (P(ρ_s > 1) ≥ 0.5), nor one whose profile says contact likely hurts (the caller leaves those out);
 * - **exploit**: positive expected net value, best first, the longest run whose kept value (before
 *   the spend) is ≥ 0 with probability 1 − risk over the joint draws (plan-guard.ts, the one guard);
 * - **explore**: among the candidates the guard left (each worth a contact in expectation), pairs of
 *   customers of one stratum, one contacted and one held out at random: a randomised comparison of
 *   its own, sized where its value of information plus its expected net value is largest, among the
 *   sizes that, with probability 1 − risk over the draws, lose less than their value of information.
 *   The value of information is the preposterior of the months it can serve (U = months left − 1 −
 *   H/2): the plan's effect z (the stake-weighted mean of its candidates' ln ρ, mean m and sd s over
 *   the draws) is known after the batch to sd s' = (1/s² + 1/v)^(−½), v = 1/O_t + 1/O_h the batch's
 *   own variance of ln ρ at the churns it is expected to see in each arm; a month's plan then is the
 *   worth list when its guard passes (m' + 1.28·s' ≤ 0), and nothing otherwise:
 *
 *       EVSI = U · ( E_{m'}[ F(m', s') ] − F(m, s) ),   m' ~ N(m, s² − s'²)
 *
 *   with F(m', s') the worth list's expected net value with every stratum shifted by m' − m when the
 *   guard passes. A batch is thus never an expected loss (its candidates are worth a contact on the
 *   mean), its downside is bounded by what it teaches, and its held-out half is what teaches it.
 * - **holdout**: a deterministic random share of the exploited, as the class plan's.
 */

/** A candidate as the design plans it. */
export interface DesignCandidate {
  readonly customerId: string;
  readonly stratum: string;
  /** Monthly churn hazard if not contacted (calibrated). */
  readonly hazard: number;
  readonly value: number;
  /** Expected spend of a contact: its cost and the offer's at the customer's acceptance. */
  readonly spend: number;
}

/** Settings of the design's month. */
export interface DesignOptions {
  /** Contacts left in the month's budget. */
  readonly budget: number;
  readonly effectMonths: number;
  /** Campaign months left including this one. */
  readonly monthsLeft: number;
  /** Share of the exploited held out (default 0.1). */
  readonly holdoutShare?: number;
  /** The guard's risk (default PLAN_RISK). */
  readonly risk?: number;
  readonly seed: number;
  /**
   * The read of the agent's own randomised units alone, without the campaigns it was told of (last
   * quarter's pilot). A pair batch's loss must be bounded on it as well as on the whole read: a
   * pilot that read a benefit by chance makes the whole read confident, and the batch's loss at the
   * guard's level with it; the own read starts at the prior and narrows only as the agent's own pairs
   * and holdouts replicate the pilot. So a stratum's first batch is the size the prior's pessimistic
   * end still pays for, and later ones grow as its own evidence confirms (staged spend).
   */
  readonly ownRead?: HeldOutRead;
}

/** One customer the design chose. */
export interface DesignChoice {
  readonly customerId: string;
  readonly reason: 'exploit' | 'explore' | 'holdout';
  readonly stratum: string;
  readonly expectedValue: number;
  /** P(ρ_s > 1) of the customer's stratum. */
  readonly harm: number;
}

/** The design's month. */
export interface DesignPlan {
  readonly contact: readonly DesignChoice[];
  readonly holdout: readonly DesignChoice[];
  readonly counts: { readonly exploit: number; readonly explore: number; readonly holdout: number; readonly harms: number; readonly planRisk: number };
  /** The exploring batch: pairs, its value of information, its expected net value and its loss at the guard's level. */
  readonly exploration: { readonly pairs: number; readonly valueOfInformation: number; readonly expectedValue: number; readonly worstLoss: number; readonly worstLossOwn: number };
  /** The pooled level of ln ρ (mean, sd) and the spread the read holds. */
  readonly level: { readonly mean: number; readonly sd: number };
  /** Why each candidate not chosen was left: its stratum's harm, no positive expected value, the guard, or past the budget. */
  readonly left: ReadonlyMap<string, DesignLeft>;
}

/** Why the design left a candidate. */
export type DesignLeft = 'never-stratum' | 'not-worth-it' | 'plan-risk' | 'budget';

/** P(ρ_s > 1) at or above which a stratum's customers are not contacted. */
export const DESIGN_HARM = 0.5;

/** One-sided z of the guard's level (PLAN_RISK = 0.1). */
const Z_GUARD = 1.2816;

/** Nodes of a standard normal (21, −3 to 3) with their weights, for the preposterior. */
const Q_Z = Array.from({ length: 21 }, (_, i) => -3 + i * 0.3);
const Q_W = (() => {
  const w = Q_Z.map((z) => Math.exp(-0.5 * z * z));
  const t = w.reduce((s, v) => s + v, 0);
  return w.map((v) => v / t);
})();


interface Valued {
  readonly c: DesignCandidate;
  readonly x: Float64Array;
  readonly kept: Float64Array;
  readonly ev: number;
  readonly harm: number;
  /** Kept value at a shift of every draw's ln ρ (for the preposterior). */
  readonly keptAt: (lnRho: number) => number;
  readonly meanX: number;
}

/** Plans the design's month (see the module's comment). */
export function planHeldOutDesign(candidates: readonly DesignCandidate[], read: HeldOutRead, o: DesignOptions): DesignPlan {
  if (!(Number.isInteger(o.budget) && o.budget >= 0) || !(o.effectMonths > 0) || !(o.monthsLeft >= 1)) throw new TwinloopError('BAD_INPUT', 'a whole budget ≥ 0, effectMonths > 0 and monthsLeft ≥ 1 are required');
  const H = o.effectMonths;
  const risk = o.risk ?? PLAN_RISK;
  const holdoutShare = o.holdoutShare ?? 0.1;
  const R = read.draws;
  const weights = new Float64Array(R).fill(1 / R);
  const counts = { exploit: 0, explore: 0, holdout: 0, harms: 0, planRisk: 0 };
  const worth: Valued[] = [];
  const left = new Map<string, DesignLeft>();
  for (const c of candidates) {
    const x = read.drawsOf(c.stratum);
    let above = 0;
    for (let r = 0; r < R; r++) if (x[r] > 0) above++;
    const harm = above / R;
    if (harm >= DESIGN_HARM) {
      counts.harms++;
      left.set(c.customerId, 'never-stratum');
      continue;
    }
    const h = Math.min(1, c.hazard);
    const untreated = (1 - h) ** H;
    const keptAt = (lnRho: number) => c.value * ((1 - Math.min(1, h * Math.exp(lnRho))) ** H - untreated);
    const kept = Float64Array.from(x, keptAt);
    const ev = kept.reduce((s, v) => s + v, 0) / R - c.spend;
    if (ev > 0) worth.push({ c, x, kept, ev, harm, keptAt, meanX: x.reduce((s, v) => s + v, 0) / R });
    else left.set(c.customerId, 'not-worth-it');
  }
  worth.sort((a, b) => b.ev - a.ev || byId(a.c, b.c));
  const affordable = worth.slice(0, o.budget);
  for (const w of worth.slice(o.budget)) left.set(w.c.customerId, 'budget');
  const length = longestGuardedPrefix(affordable.map((w) => w.kept), weights, risk);
  const exploited = affordable.slice(0, length);
  const guarded = affordable.slice(length);
  for (const w of guarded) left.set(w.c.customerId, 'plan-risk');
  counts.planRisk = guarded.length;

  // The plan's effect z per draw: the stake-weighted mean of its candidates' ln ρ.
  const stake = (w: Valued) => w.c.value * Math.min(1, w.c.hazard) * H;
  const z = new Float64Array(R);
  const stakes = affordable.reduce((s, w) => s + stake(w), 0);
  if (stakes > 0) for (const w of affordable) for (let r = 0; r < R; r++) z[r] += (stake(w) / stakes) * w.x[r];
  const m = z.reduce((s, v) => s + v, 0) / R;
  const s2 = z.reduce((s, v) => s + (v - m) ** 2, 0) / R;
  // F: a month's worth list at the plan's effect shifted to m2, when its guard passes at sd sd2.
  const F = (m2: number, sd2: number) => {
    if (m2 + Z_GUARD * sd2 > 0) return 0;
    let total = 0;
    for (const w of affordable) total += Math.max(0, w.keptAt(w.meanX + m2 - m) - w.c.spend);
    return total;
  };
  const U = o.monthsLeft - 1 - H / 2;

  // Pairs within a stratum, best first, one of each contacted at random.
  const pairs: { contact: Valued; hold: Valued }[] = [];
  const byStratum = new Map<string, Valued[]>();
  for (const w of guarded) {
    const list = byStratum.get(w.c.stratum) ?? [];
    list.push(w);
    byStratum.set(w.c.stratum, list);
  }
  for (const list of byStratum.values()) {
    for (let i = 0; i + 1 < list.length; i += 2) {
      const first = uniformOf(list[i].c.customerId, o.seed) < 0.5;
      pairs.push(first ? { contact: list[i], hold: list[i + 1] } : { contact: list[i + 1], hold: list[i] });
    }
  }
  pairs.sort((a, b) => b.contact.ev + b.hold.ev - (a.contact.ev + a.hold.ev) || byId(a.contact.c, b.contact.c));
  let best = { pairs: 0, valueOfInformation: 0, expectedValue: 0, worstLoss: 0, worstLossOwn: 0, score: 0 };
  const own = o.ownRead;
  const ownR = own?.draws ?? 0;
  if (U > 0 && s2 > 0 && pairs.length > 0) {
    const now = F(m, Math.sqrt(s2));
    const batchNet = new Float64Array(R);
    const batchOwn = new Float64Array(ownR);
    let ev = 0, ot = 0, oh = 0;
    const maxPairs = Math.min(pairs.length, o.budget - Math.ceil(exploited.length * (1 - holdoutShare)));
    for (let n = 1; n <= maxPairs; n++) {
      const p = pairs[n - 1];
      ev += p.contact.ev;
      for (let r = 0; r < R; r++) batchNet[r] += p.contact.kept[r] - p.contact.c.spend;
      if (own) {
        const x = own.drawsOf(p.contact.c.stratum);
        for (let r = 0; r < ownR; r++) batchOwn[r] += p.contact.keptAt(x[r]) - p.contact.c.spend;
      }
      ot += Math.min(1, p.contact.c.hazard * Math.exp(p.contact.meanX)) * H;
      oh += Math.min(1, p.hold.c.hazard) * H;
      const v = 1 / ot + 1 / oh;
      const after = 1 / (1 / s2 + 1 / v);
      const sd2 = Math.sqrt(after);
      const spreadOfMean = Math.sqrt(Math.max(0, s2 - after));
      let expected = 0;
      for (let q = 0; q < Q_Z.length; q++) expected += Q_W[q] * F(m + spreadOfMean * Q_Z[q], sd2);
      const voi = U * Math.max(0, expected - now);
      // The loss the batch may make at the guard's level: its risk-quantile over the draws.
      const quantile = (a: Float64Array) => Float64Array.from(a).sort()[Math.min(a.length - 1, Math.floor(risk * a.length))];
      const atRisk = quantile(batchNet);
      if (atRisk + voi / U < 0) continue;
      // On the own read a batch may risk its whole value of information (what it teaches over the
      // months left), where the whole read allows one month's share: the own read starts at the prior,
      // whose pessimistic end no data has narrowed, and narrows as the agent's own pairs come back.
      const atRiskOwn = own ? quantile(batchOwn) : 0;
      if (atRiskOwn + voi < 0) continue;
      if (voi + ev > best.score) best = { pairs: n, valueOfInformation: voi, expectedValue: ev, worstLoss: Math.max(0, -atRisk), worstLossOwn: Math.max(0, -atRiskOwn), score: voi + ev };
    }
  }
  const choose = (w: Valued, reason: DesignChoice['reason']): DesignChoice => ({ customerId: w.c.customerId, reason, stratum: w.c.stratum, expectedValue: w.ev, harm: w.harm });
  const contact: DesignChoice[] = [];
  const holdout: DesignChoice[] = [];
  for (const w of exploited) {
    if (uniformOf(w.c.customerId, o.seed) < holdoutShare) {
      holdout.push(choose(w, 'holdout'));
      counts.holdout++;
    } else {
      contact.push(choose(w, 'exploit'));
      counts.exploit++;
    }
  }
  for (const p of pairs.slice(0, best.pairs)) {
    left.delete(p.contact.c.customerId);
    left.delete(p.hold.c.customerId);
    contact.push(choose(p.contact, 'explore'));
    holdout.push(choose(p.hold, 'holdout'));
    counts.explore++;
    counts.holdout++;
    counts.planRisk -= 2;
  }
  return {
    contact,
    holdout,
    counts,
    exploration: { pairs: best.pairs, valueOfInformation: best.valueOfInformation, expectedValue: best.expectedValue, worstLoss: best.worstLoss, worstLossOwn: best.worstLossOwn },
    level: read.level,
    left,
  };
}
