import type { Prng } from './prng.js';
import type { Population } from './population.js';
import { STATUS_ACTIVE } from './population.js';
import type { WorldConfig } from './world-config.js';
import { RESPONSE_TYPES } from './world-config.js';
import { DAY_MS, MONTH_MS, YEAR_MS } from '../domain/time.js';

/** Average days per month for tenure arithmetic. */

/** What the caller decides about a new customer; everything else is drawn from the world. */
export interface CustomerChoice {
  planIdx?: number;
  contractIdx?: number;
  paymentIdx?: number;
  business?: boolean;
}

/** Precomputed weights so each draw is a table lookup. */
export interface CustomerTables {
  /** Plan weights for postpaid and for prepaid customers (the other kind's plans weigh 0). */
  postpaidPlanWeights: number[];
  prepaidPlanWeights: number[];
  contractWeights: number[];
  paymentWeights: number[];
  responseWeights: number[];
}

/** Builds the draw tables of a world once. */
export function customerTables(cfg: WorldConfig): CustomerTables {
  return {
    postpaidPlanWeights: cfg.plans.map((p) => (p.billing === 'postpaid' ? p.share : 0)),
    prepaidPlanWeights: cfg.plans.map((p) => (p.billing === 'prepaid' ? p.share : 0)),
    contractWeights: cfg.population.contracts.map((c) => c.share),
    paymentWeights: cfg.population.paymentMethods.map((p) => p.share),
    responseWeights: RESPONSE_TYPES.map((t) => cfg.offers.responseTypes[t]),
  };
}

/**
 * Draws a customer's hidden attributes into slot `idx`: segment, contract, payment, plan, usage
 * levels, latent strain and frailty, response type, home and visited cells. `initial` customers
 * get a tenure drawn per contract (tenure = max * u^k with k set so its mean is the configured
 * one); joiners start today.
 */
export function drawCustomer(
  pop: Population,
  cfg: WorldConfig,
  tables: CustomerTables,
  rng: Prng,
  idx: number,
  nowMs: number,
  day: number,
  initial: boolean,
  choice: CustomerChoice = {},
): void {
  const { f, i, u } = pop;
  const contractIdx = choice.contractIdx ?? rng.weighted(tables.contractWeights);
  const drawnPrepaid = rng.chance(cfg.population.billing.prepaid);
  // A plan chosen by the caller (an onboarding order) decides the billing kind.
  const prepaid = choice.planIdx !== undefined ? cfg.plans[choice.planIdx].billing === 'prepaid' : drawnPrepaid;
  u.status[idx] = STATUS_ACTIVE;
  u.business[idx] = (choice.business ?? rng.chance(cfg.population.segments.business)) ? 1 : 0;
  u.prepaid[idx] = prepaid ? 1 : 0;
  // Prepaid customers have no contract and top up with vouchers.
  u.contractIdx[idx] = prepaid ? monthToMonthIdx(cfg) : contractIdx;
  u.paymentIdx[idx] = choice.paymentIdx ?? rng.weighted(tables.paymentWeights);
  const planIdx = choice.planIdx ?? rng.weighted(prepaid ? tables.prepaidPlanWeights : tables.postpaidPlanWeights);
  pop.plan[idx] = planIdx;
  u.billDay[idx] = 1 + rng.int(28);
  // One uniform draw here (as a plain weighted draw would take), turned into a type at the end,
  // once the traits the type may depend on are known.
  const typeDraw = rng.float();

  let sinceMs = nowMs;
  if (initial) {
    const c = cfg.population.contracts[u.contractIdx[idx]];
    const max = cfg.population.maxTenureMonths;
    const k = Math.max(0.05, max / Math.min(c.tenureMeanMonths, max * 0.95) - 1);
    const tenureMonths = max * Math.pow(rng.float(), k);
    sinceMs = nowMs - Math.floor(tenureMonths * MONTH_MS / DAY_MS) * DAY_MS;
  }
  f.sinceMs[idx] = sinceMs;
  i.joinedDay[idx] = day;
  i.terminatedDay[idx] = -1;
  i.lastBillDay[idx] = day;

  const plan = cfg.plans[planIdx];
  const usage = cfg.usage;
  const tail = rng.chance(usage.heavyTail.share) ? rng.pareto(usage.heavyTail.alpha) : 1;
  const cap = dailyCaps(cfg, planIdx);
  f.dataLevel[idx] = Math.min(cap.dataMb, (plan.dataAllowanceMb / 30) * rng.lognormal(usage.dataLevel.median, usage.dataLevel.sigma) * tail);
  f.voiceLevel[idx] = plan.voiceAllowanceMin > 0 ? Math.min(cap.voiceMin, (plan.voiceAllowanceMin / 30) * rng.lognormal(usage.voiceLevel.median, usage.voiceLevel.sigma)) : 0;
  f.trend[idx] = usage.trend.meanPerMonth + usage.trend.sdPerMonth * rng.normal();
  f.growth[idx] = 1;
  f.strain[idx] = cfg.payments.strain.mean + cfg.payments.strain.sd * rng.normal();
  f.frailty[idx] = cfg.churn.frailtySd * rng.normal();
  f.offerMultiplier[idx] = 1;
  f.contactMultiplier[idx] = 1;
  u.dirty[idx] = 1;

  // Kept for the oracle's feature view: the usage-against-allowance trait the type was drawn with.
  f.typeDataTrait[idx] = plan.dataAllowanceMb > 0 ? Math.log((f.dataLevel[idx] * 30) / plan.dataAllowanceMb) : 0;
  i.lastContactDay[idx] = -1;
  u.responseType[idx] = drawResponseType(cfg, tables, typeDraw, {
    monthToMonth: cfg.population.contracts[u.contractIdx[idx]].months === 0 ? 1 : 0,
    tenureYears: (nowMs - sinceMs) / YEAR_MS,
    dataOverAllowance: f.typeDataTrait[idx],
    financialStrain: f.strain[idx],
  });

  const cells = cfg.network.cells;
  i.homeCell[idx] = rng.int(cells);
  const k = pop.visitedPerCustomer;
  for (let v = 0; v < k; v++) pop.visited[idx * k + v] = rng.int(cells);
}

/** The observable traits a response type may lean on (`offers.responseDrivers`). */
export type Traits = { monthToMonth: number; tenureYears: number; dataOverAllowance: number; financialStrain: number };

/** Picks a response type from a uniform draw, the configured shares tilted by the customer's traits. */
function drawResponseType(cfg: WorldConfig, tables: CustomerTables, u: number, x: Traits): number {
  const weights = responseTypeWeights(cfg, tables, x);
  let total = 0;
  for (const w of weights) total += w;
  let left = u * total;
  for (let k = 0; k < weights.length; k++) {
    left -= weights[k];
    if (left < 0) return k;
  }
  return weights.length - 1;
}

/** Unnormalised weights of the response types (RESPONSE_TYPES order) for a customer with traits `x`. */
export function responseTypeWeights(cfg: WorldConfig, tables: CustomerTables, x: Traits): readonly number[] {
  const drivers = cfg.offers.responseDrivers;
  const weights = drivers
    ? RESPONSE_TYPES.map((t, k) => {
        const b = drivers[t];
        return b ? tables.responseWeights[k] * Math.exp(b.monthToMonth * x.monthToMonth + b.tenureYears * x.tenureYears + b.dataOverAllowance * x.dataOverAllowance + b.financialStrain * x.financialStrain) : tables.responseWeights[k];
      })
    : tables.responseWeights;
  return weights;
}

/**
 * The highest typical daily data (MB) and voice (min) of a customer on plan `planIdx`: the
 * world's `usage.caps` (the family's monthly data cap, and a multiple of the allowances) over 30.
 */
export function dailyCaps(cfg: WorldConfig, planIdx: number): { dataMb: number; voiceMin: number } {
  const plan = cfg.plans[planIdx];
  const { allowanceMultiple, dataMbPerMonth } = cfg.usage.caps;
  const familyCap = dataMbPerMonth[plan.family];
  const dataMonth = plan.dataAllowanceMb > 0 ? Math.min(familyCap, allowanceMultiple * plan.dataAllowanceMb) : familyCap;
  return { dataMb: dataMonth / 30, voiceMin: (allowanceMultiple * plan.voiceAllowanceMin) / 30 };
}

/**
 * Keeps customer `c`'s typical use (level × growth) under its current plan's caps: growth
 * compounds only up to them, and a move to a smaller plan brings a heavy user down to the new
 * plan's caps (nobody keeps paying many times the price in overage).
 */
export function holdUsageUnderCaps(pop: Population, cfg: WorldConfig, c: number): void {
  const { dataLevel, voiceLevel, growth } = pop.f;
  const cap = dailyCaps(cfg, pop.plan[c]);
  const maxGrowth = Math.min(dataLevel[c] > 0 ? cap.dataMb / dataLevel[c] : Infinity, voiceLevel[c] > 0 ? cap.voiceMin / voiceLevel[c] : Infinity);
  if (growth[c] > maxGrowth) growth[c] = maxGrowth;
}

/** Index of the month-to-month contract (0 months), or the first contract if none. */
export function monthToMonthIdx(cfg: WorldConfig): number {
  const idx = cfg.population.contracts.findIndex((c) => c.months === 0);
  return idx < 0 ? 0 : idx;
}

/** Tenure in months at `nowMs`. */
export function tenureMonths(sinceMs: number, nowMs: number): number {
  return Math.max(0, (nowMs - sinceMs) / MONTH_MS);
}
