import { DAY_MS } from '../domain/time.js';
import type { CustomerSpan } from './incident-rates.js';

/**
 * How churn answered the operator's own past price rises, from its records: which plan each
 * customer held when (the plan events of its subscriptions) and when each customer came and left.
 * What a price-change scenario's churn response is read from, instead of a stated elasticity, once
 * the history holds a rise (docs/simulation.md, "Price changes").
 */

/** A customer's plan from a time on (a plan activated or changed, its price included). */
export interface PlanRecord {
  readonly customerId: string;
  readonly timeMs: number;
  readonly planId: string;
  readonly monthlyPrice: number;
  /** Why it changed: `price_change` when the operator moved the plan's price. */
  readonly reason?: string;
}

/** A rise of one plan's price the history shows. */
export interface PriceRise {
  readonly planId: string;
  readonly timeMs: number;
  /** The rise, in percent of the old price. */
  readonly pct: number;
  /** Customers on the plan when it rose. */
  readonly customers: number;
}

/** A log churn-hazard ratio per +1 % of price and its standard error. */
export interface Elasticity {
  readonly mean: number;
  readonly sd: number;
}

/** The churn response to the history's price rises. */
export interface PriceResponse {
  readonly rises: readonly PriceRise[];
  /** In the `windowDays` after a rise (pooled over the rises by inverse variance). */
  readonly elasticity: Elasticity;
  /** In the `windowDays` after those: whether customers absorb a rise or keep leaving faster. */
  readonly later: Elasticity;
  readonly windowDays: number;
}

/**
 * A quarter: the window a rise's response is measured over, and the one after it. Long enough
 * for a few dozen churns per window on a plan of a few hundred customers, short enough that the
 * later window can say whether the response lasts.
 */
export const PRICE_RESPONSE_WINDOW_DAYS = 91;

/** Churn counts and customer-days of one cohort followed over one window. */
interface Exposure {
  churns: number;
  days: number;
}

/**
 * Each rise's response by difference in differences: the plan's customers against everybody
 * else's, each cohort taken at a window's start and followed over it (so a cohort's churn is not
 * read off survivors), in the window before the rise, the one after it and the one after that.
 * The log ratio of the rates after / before on the plan, less the same for the others, is the
 * rise's log hazard ratio (sd: √Σ 1/churns over the four cells; half a churn added to each);
 * divided by the rise's percent, an elasticity; rises pooled by inverse variance. Null when the
 * history holds no rise with a full window before it.
 */
export function estimatePriceResponse(plans: readonly PlanRecord[], spans: ReadonlyMap<string, CustomerSpan>, windowDays = PRICE_RESPONSE_WINDOW_DAYS): PriceResponse | null {
  const byCustomer = new Map<string, PlanRecord[]>();
  for (const r of plans) {
    let list = byCustomer.get(r.customerId);
    if (!list) byCustomer.set(r.customerId, (list = []));
    list.push(r);
  }
  for (const list of byCustomer.values()) list.sort((a, b) => a.timeMs - b.timeMs);
  const planAt = (id: string, t: number): PlanRecord | undefined => {
    let held: PlanRecord | undefined;
    for (const r of byCustomer.get(id) ?? []) {
      if (r.timeMs > t) break;
      held = r;
    }
    return held;
  };
  const rises = findRises(byCustomer);
  const w = windowDays * DAY_MS;
  const first = Math.min(...[...spans.values()].map((s) => s.fromMs));
  const last = Math.max(...[...spans.values()].map((s) => s.toMs));
  const now: Elasticity[] = [];
  const after: Elasticity[] = [];
  const used: PriceRise[] = [];
  for (const rise of rises) {
    if (rise.timeMs - w < first || rise.timeMs + w > last) continue;
    const cohort = (start: number, onPlan: boolean): Exposure => {
      const e: Exposure = { churns: 0, days: 0 };
      for (const [id, span] of spans) {
        if (span.fromMs > start || span.toMs <= start) continue;
        const held = planAt(id, start - 1);
        if (!held || (held.planId === rise.planId) !== onPlan) continue;
        const end = Math.min(span.toMs, start + w);
        e.days += (end - start) / DAY_MS;
        if (span.churned && span.toMs <= start + w) e.churns++;
      }
      return e;
    };
    const before = [cohort(rise.timeMs - w, true), cohort(rise.timeMs - w, false)];
    const logRatio = (x: Exposure, y: Exposure) => Math.log((x.churns + 0.5) / x.days) - Math.log((y.churns + 0.5) / y.days);
    const did = (start: number): Elasticity => {
      const plan = cohort(start, true);
      const others = cohort(start, false);
      const beta = logRatio(plan, before[0]) - logRatio(others, before[1]);
      const se = Math.sqrt([plan, before[0], others, before[1]].reduce((t, x) => t + 1 / (x.churns + 0.5), 0));
      return { mean: beta / rise.pct, sd: se / Math.abs(rise.pct) };
    };
    now.push(did(rise.timeMs));
    // The window after needs the history to reach its end.
    if (rise.timeMs + 2 * w <= last) after.push(did(rise.timeMs + w));
    used.push(rise);
  }
  if (used.length === 0) return null;
  return { rises: used, elasticity: pooled(now), later: after.length > 0 ? pooled(after) : { mean: 0, sd: Infinity }, windowDays };
}

/** The rises of each plan's price: its customers' `price_change` records on one day, the percent from each one's price before. */
function findRises(byCustomer: ReadonlyMap<string, readonly PlanRecord[]>): PriceRise[] {
  const groups = new Map<string, { planId: string; timeMs: number; pcts: number[] }>();
  for (const list of byCustomer.values()) {
    for (let k = 1; k < list.length; k++) {
      const r = list[k];
      const old = list[k - 1];
      if (r.reason !== 'price_change' || old.planId !== r.planId || !(old.monthlyPrice > 0) || !(r.monthlyPrice > old.monthlyPrice)) continue;
      const key = `${r.planId}@${Math.floor(r.timeMs / DAY_MS)}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { planId: r.planId, timeMs: r.timeMs, pcts: [] }));
      g.timeMs = Math.min(g.timeMs, r.timeMs);
      g.pcts.push((100 * (r.monthlyPrice - old.monthlyPrice)) / old.monthlyPrice);
    }
  }
  return [...groups.values()].map((g) => ({ planId: g.planId, timeMs: g.timeMs, pct: median(g.pcts), customers: g.pcts.length })).sort((a, b) => a.timeMs - b.timeMs);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Inverse-variance pooling of independent estimates. */
function pooled(xs: readonly Elasticity[]): Elasticity {
  let wsum = 0;
  let total = 0;
  for (const x of xs) {
    const wt = 1 / (x.sd * x.sd);
    wsum += wt;
    total += wt * x.mean;
  }
  return { mean: total / wsum, sd: Math.sqrt(1 / wsum) };
}
