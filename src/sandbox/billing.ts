import type { z } from 'zod';
import type { billLineSchema } from '../domain/events.js';
import { AGENDA } from './agenda.js';
import { holdUsageUnderCaps } from './customer-factory.js';
import { STATUS_ACTIVE } from './population.js';
import { isoAt } from './sim-time.js';
import { CUSTOMER_DICE, type WorldState } from './world-state.js';
import type { EventOutput } from './event-output.js';

type BillLine = z.infer<typeof billLineSchema>;

/** Second of the day bills are issued (02:00), and payments are made (09:00 + up to 8 h). */
const BILL_SEC = 7200;
const PAY_SEC = 32400;
/** Price of one day of roaming, in the world's currency. */
export const ROAMING_DAY_PRICE = 2.5;

const round2 = (x: number) => Math.round(x * 100) / 100;
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** The product a retention data bonus is on the line while it runs (an add-on at no charge). */
export const DATA_BONUS_PRODUCT = 'data-bonus';
/** The subscription id of customer slot `c`'s data bonus. */
export const dataBonusSubscription = (w: Pick<WorldState, 'pop'>, c: number): string => `${w.pop.subscriptionIds[c]}-${DATA_BONUS_PRODUCT}`;

/**
 * Takes customer slot `c`'s data bonus off the line (its months are over, or the line ends): a
 * `subscription addon_removed` at `time` on `out`, so the twin's allowance no longer holds it.
 */
export function endDataBonus(w: WorldState, out: EventOutput, c: number, time: string, reason: string): void {
  if (w.pop.f.dataBonusMb[c] <= 0) return;
  w.pop.f.dataBonusMb[c] = 0;
  out.event(w.ev(c, time, 'subscription', { action: 'addon_removed', subscriptionId: dataBonusSubscription(w, c), productKind: 'addon', productId: DATA_BONUS_PRODUCT, reason }));
}

/**
 * Issues the bills of every active postpaid customer whose billing day is today (prepaid ones
 * top up instead, `emitTopups`): plan (with discount),
 * overage, roaming, credits; then decides, from the hidden financial strain, whether and when
 * the bill is paid, and whether it shocks the customer into a complaint. Also updates the
 * overage history, usage growth and upsell/downsell intentions that hang off the bill.
 */
export function runBills(w: WorldState, d: number): void {
  const { pop, cfg } = w;
  const { f, i, u } = pop;
  const dom = Number(w.datePrefix.slice(8, 10));
  const time = isoAt(w.datePrefix, BILL_SEC);
  const status = u.status;
  const billDay = u.billDay;
  const lastBill = i.lastBillDay;
  for (let c = 0; c < pop.size; c++) {
    // A cycle shorter than 20 days (a customer who just joined) waits for next month's bill.
    if (status[c] !== STATUS_ACTIVE || billDay[c] !== dom || d - lastBill[c] < 20) continue;
    const planIdx = pop.plan[c];
    const plan = cfg.plans[planIdx];
    const price = w.planPrices[planIdx];
    const lines: BillLine[] = [{ type: 'plan', amount: round2(price), description: plan.name }];
    if (i.discountUntil[c] >= d && f.discountPct[c] > 0) {
      lines.push({ type: 'discount', amount: -round2((price * f.discountPct[c]) / 100), description: 'retention discount' });
    }
    // Add-ons the customer ordered are billed with the plan and add their allowances to it.
    let addonDataMb = 0;
    let addonVoiceMin = 0;
    for (const a of w.addons.get(c) ?? []) {
      const addon = cfg.addons[a];
      lines.push({ type: 'addon', amount: round2(addon.monthlyPrice), description: addon.name });
      addonDataMb += addon.dataAllowanceMb;
      addonVoiceMin += addon.voiceAllowanceMin;
    }
    // A bonus counts on the bill of a period it ran into; on the first bill after its end it leaves the line.
    const allowance = plan.dataAllowanceMb + addonDataMb + (i.dataBonusUntil[c] >= d ? f.dataBonusMb[c] : 0);
    if (i.dataBonusUntil[c] < d) endDataBonus(w, w.out, c, time, 'offer_ended');
    const overGb = Math.ceil(Math.max(0, f.cycleDataMb[c] - allowance) / 1024);
    const overMin = plan.voiceAllowanceMin > 0 ? Math.max(0, Math.ceil(f.cycleVoiceMin[c] - plan.voiceAllowanceMin - addonVoiceMin)) : 0;
    const overage = round2(overGb * plan.overagePerGb + overMin * plan.overagePerMin);
    if (overage > 0) lines.push({ type: 'overage', amount: overage, description: `${overGb} GB, ${overMin} min over allowance` });
    if (u.cycleRoamingDays[c] > 0) lines.push({ type: 'roaming', amount: round2(u.cycleRoamingDays[c] * ROAMING_DAY_PRICE) });
    let subtotal = 0;
    for (const l of lines) subtotal += l.amount;
    const prepaid = u.prepaid[c] === 1;
    // A prepaid customer's add-ons were bought (paid) during the period: a credit pays toward the next bundle only.
    const extras = prepaid ? round2(overage + (u.cycleRoamingDays[c] > 0 ? u.cycleRoamingDays[c] * ROAMING_DAY_PRICE : 0)) : 0;
    let creditUsed = 0;
    if (f.pendingCredit[c] > 0) {
      // A credit never takes a bill (or a bundle) below zero; what is left carries to the next one.
      creditUsed = round2(Math.min(f.pendingCredit[c], subtotal - extras));
      if (creditUsed > 0) {
        if (!prepaid) lines.push({ type: 'credit', amount: -creditUsed, description: 'account credit' });
        f.pendingCredit[c] = round2(f.pendingCredit[c] - creditUsed);
        subtotal -= creditUsed;
      } else creditUsed = 0;
    }
    const amount = round2(subtotal);
    if (prepaid) {
      emitTopups(w, c, time, amount, extras, creditUsed);
    } else {
      const billId = 'B' + pop.customerIds[c].slice(1) + '-' + ++i.billCount[c];
      w.out.event(w.ev(c, time, 'bill', { billId, periodStart: w.dateOf(i.lastBillDay[c]), periodEnd: w.dateOf(d - 1), amount, currency: cfg.currency, lines }));
      schedulePayment(w, c, d, billId, amount);
      if (overage >= cfg.complaints.billShock.overageThreshold) {
        const rng = w.customerRng(c, CUSTOMER_DICE.billShock);
        if (rng.chance(cfg.complaints.billShock.probability)) w.agenda.add(d + 1 + rng.int(3), 32400 + rng.int(36000), AGENDA.TICKET_OPEN, c, 1, 1, '', 'billing');
      }
    }
    u.overageBits[c] = ((u.overageBits[c] << 1) | (overage > 0 ? 1 : 0)) & 7;
    maybeChangePlan(w, c, d);
    f.growth[c] *= 1 + f.trend[c];
    holdUsageUnderCaps(pop, cfg, c);
    f.cycleDataMb[c] = 0;
    f.cycleVoiceMin[c] = 0;
    u.cycleRoamingDays[c] = 0;
    i.lastBillDay[c] = d;
    u.dirty[c] = 1;
  }
}

/** How each prepaid customer tops up, by habit (a hash of the slot, so no draw of the world moves). */
const TOPUP_HABITS = ['voucher', 'card', 'app', 'auto'] as const;

/**
 * A prepaid customer's period close, instead of a bill: the add-ons bought for what the bundle
 * did not cover (`extras`: usage beyond it at the plan's overage prices, roaming days), then the
 * next period's bundle (the rest of `amount`: price less discount and credit), each a `topup`.
 * Nothing is owed, so nothing is late and no bill shocks. Account credit spent on the bundle (a
 * compensation) is named on its top-up (`credit`), which is made even when the credit paid it all.
 */
function emitTopups(w: WorldState, c: number, time: string, amount: number, extras: number, credit: number): void {
  const { pop, cfg } = w;
  const method = TOPUP_HABITS[(Math.imul(c + 1, 0x9e3779b1) >>> 0) % TOPUP_HABITS.length];
  const base = 'T' + pop.customerIds[c].slice(1) + '-';
  const bundle = round2(amount - extras);
  if (extras > 0) w.out.event(w.ev(c, time, 'topup', { topupId: base + ++pop.i.billCount[c], amount: extras, currency: cfg.currency, method: method === 'auto' ? 'app' : method, purpose: 'addon' }));
  if (bundle > 0 || credit > 0) w.out.event(w.ev(c, time, 'topup', { topupId: base + ++pop.i.billCount[c], amount: Math.max(0, bundle), currency: cfg.currency, method, purpose: 'bundle', ...(credit > 0 ? { credit } : {}) }));
}

function schedulePayment(w: WorldState, c: number, d: number, billId: string, amount: number): void {
  if (amount <= 0) return;
  const { cfg, pop } = w;
  const rng = w.customerRng(c, CUSTOMER_DICE.payment);
  const p = cfg.payments;
  const strain = pop.f.strain[c];
  const dueDay = d + p.dueAfterDays;
  const dueDate = w.dateOf(dueDay);
  const at = PAY_SEC + rng.int(28800);
  if (rng.chance(sigmoid(p.failed.intercept + p.failed.strain * strain))) {
    w.agenda.add(dueDay, at, AGENDA.PAY_FAILED, c, amount, 0, billId, dueDate);
    w.agenda.add(dueDay + Math.max(1, Math.round(rng.lognormal(p.lateDays.median, p.lateDays.sigma))), at, AGENDA.PAY_PAID, c, amount, 0, billId, dueDate);
  } else if (rng.chance(sigmoid(p.late.intercept + p.late.strain * strain))) {
    w.agenda.add(dueDay + Math.max(1, Math.round(rng.lognormal(p.lateDays.median, p.lateDays.sigma))), at, AGENDA.PAY_PAID, c, amount, 0, billId, dueDate);
  } else {
    w.agenda.add(d + 1 + rng.int(p.dueAfterDays), at, AGENDA.PAY_PAID, c, amount, 0, billId, dueDate);
  }
}

/** Customers who keep running over move up a plan; a few move down each month. */
function maybeChangePlan(w: WorldState, c: number, d: number): void {
  const { cfg, pop } = w;
  const rng = w.customerRng(c, CUSTOMER_DICE.planChange);
  const bits = pop.u.overageBits[c];
  const overMonths = (bits & 1) + ((bits >> 1) & 1) + ((bits >> 2) & 1);
  const pc = cfg.planChanges;
  let target = -1;
  if (overMonths >= pc.upsellAfterOverageMonths && rng.chance(pc.upsellProbability)) target = neighbourPlan(w, pop.plan[c], +1);
  else if (rng.chance(pc.downsellPerMonth)) target = neighbourPlan(w, pop.plan[c], -1);
  if (target >= 0) w.agenda.add(d + 1 + rng.int(5), 39600 + rng.int(21600), AGENDA.PLAN_CHANGE, c, target, 0, w.planPrices[target] > w.planPrices[pop.plan[c]] ? 'upgrade' : 'downgrade');
}

/** The next dearer (+1) or cheaper (-1) plan of the same family, or -1. */
export function neighbourPlan(w: WorldState, planIdx: number, direction: 1 | -1): number {
  const family = w.cfg.plans[planIdx].family;
  const price = w.planPrices[planIdx];
  let best = -1;
  w.cfg.plans.forEach((p, k) => {
    if (p.family !== family || k === planIdx) return;
    const q = w.planPrices[k];
    if (direction > 0 ? q > price && (best < 0 || q < w.planPrices[best]) : q < price && (best < 0 || q > w.planPrices[best])) best = k;
  });
  return best;
}
