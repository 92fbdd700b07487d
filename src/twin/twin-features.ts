import { hasMarketingConsent } from './consent-code.js';
import { CHANNELS } from '../domain/events.js';
import {
  DAY_RING,
  MONTH_RING,
  OFF,
  PRODUCT_KIND,
  PRODUCT_SLOTS,
  PRODUCT_STATUS,
  TICKET_SLOTS,
  TICKET_STATE,
} from './twin-layout.js';
import type { TwinCursor } from './twin-table.js';
import { DAY_MS } from '../domain/time.js';
import { dayOf, monthOf } from './twin-time.js';

/**
 * The feature vector every model reads. Names are stable: a model stores the names it was
 * trained on, and a new feature is only ever appended. "Days since" features are NEVER_DAYS
 * when the thing never happened.
 */
export const FEATURE_NAMES = [
  'tenure_days',
  'is_business',
  'is_prepaid',
  'contract_months',
  'payment_autopay',
  'payment_electronic_check',
  'payment_mailed_check',
  'marketing_consent',
  'active_plans',
  'active_addons',
  'suspended_products',
  'monthly_price',
  'data_allowance_mb',
  'voice_allowance_min',
  'data_mb_7d',
  'data_mb_30d',
  'data_mb_90d',
  'voice_min_7d',
  'voice_min_30d',
  'voice_min_90d',
  'sms_30d',
  'roaming_days_30d',
  'data_trend',
  'voice_trend',
  'months_over_allowance_3m',
  'bill_last',
  'bill_avg_3m',
  'arpu_3m',
  'overage_3m',
  'payments_late_90d',
  'days_late_90d',
  'payments_failed_90d',
  'payments_late_total',
  'payments_failed_total',
  'open_tickets',
  'tickets_30d',
  'complaints_90d',
  'days_since_complaint',
  'network_minutes_30d',
  'network_incidents_30d',
  'interactions_30d',
  ...CHANNELS.map((ch) => `days_since_${ch}`),
  'offers_presented_90d',
  'offers_accepted_90d',
  'offers_declined_90d',
  'days_since_offer_declined',
  'days_since_offer_accepted',
  'churned',
  // Appended after `churned`, as every new feature is: a stored model reads its features by name.
  'contract_days_left',
  // The customer's history beyond the 90-day windows: what months of behaviour say about traits no
  // single month shows (how often they pay late, how often they complain, how often they run over).
  'history_days',
  'bills_total',
  'payments_late_share',
  'complaints_total',
  'complaints_30d',
  'network_minutes_90d',
  'network_incidents_90d',
  'months_over_allowance_12m',
  'data_use_to_allowance',
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];
export const FEATURE_COUNT = FEATURE_NAMES.length;
export const FEATURE_INDEX: Readonly<Record<FeatureName, number>> = Object.fromEntries(
  FEATURE_NAMES.map((n, i) => [n, i]),
) as Record<FeatureName, number>;

/**
 * Whether a twin's features say the customer refused marketing contact (`marketing_consent` 0):
 * the one reading of it, for the contact rules and the simulation lab alike (an offer is marketing).
 */
export function refusesMarketing(features: Float64Array): boolean {
  return features[FEATURE_INDEX.marketing_consent] === 0;
}

/** Stands for "never" in days-since features: larger than any window, finite for the models. */
export const NEVER_DAYS = 9999;

const f = (c: TwinCursor, off: number) => (c.base + off) >> 3;
const w = (c: TwinCursor, off: number) => (c.base + off) >> 2;
const h = (c: TwinCursor, off: number) => (c.base + off) >> 1;
const b = (c: TwinCursor, off: number) => c.base + off;

type DayArray = 'u32' | 'u16' | 'u8';
const DAY_SERIES: readonly (readonly [number, DayArray])[] = [
  [OFF.dayDataKb, 'u32'],
  [OFF.dayVoiceSec, 'u32'],
  [OFF.daySms, 'u16'],
  [OFF.dayRoaming, 'u8'],
  [OFF.dayComplaints, 'u8'],
  [OFF.dayTickets, 'u8'],
  [OFF.dayLate, 'u8'],
  [OFF.dayDaysLate, 'u16'],
  [OFF.dayFailed, 'u8'],
  [OFF.dayNetMinutes, 'u16'],
  [OFF.dayIncidents, 'u8'],
  [OFF.dayInteractions, 'u8'],
  [OFF.dayOffersPresented, 'u8'],
  [OFF.dayOffersAccepted, 'u8'],
  [OFF.dayOffersDeclined, 'u8'],
];
const S = {
  data: 0, voice: 1, sms: 2, roaming: 3, complaints: 4, tickets: 5, late: 6, daysLate: 7, failed: 8,
  netMinutes: 9, incidents: 10, interactions: 11, presented: 12, accepted: 13, declined: 14,
} as const;

// Window sums per series: [7d, 30d, 90d]; module-level scratch, features are computed one twin at a time.
const sums = new Float64Array(DAY_SERIES.length * 3);

function windowSums(c: TwinCursor, refDay: number): void {
  sums.fill(0);
  const head = c.f64[f(c, OFF.dayHead)];
  if (head === 0) return;
  const last = Math.min(refDay, head);
  const first = Math.max(refDay - 89, head - DAY_RING + 1);
  for (let d = last; d >= first; d--) {
    const age = refDay - d;
    const i = d % DAY_RING;
    for (let s = 0; s < DAY_SERIES.length; s++) {
      const [off, arr] = DAY_SERIES[s];
      const v = arr === 'u32' ? c.u32[w(c, off) + i] : arr === 'u16' ? c.u16[h(c, off) + i] : c.u8[b(c, off) + i];
      if (v === 0) continue;
      if (age < 7) sums[s * 3] += v;
      if (age < 30) sums[s * 3 + 1] += v;
      sums[s * 3 + 2] += v;
    }
  }
}

const daysSince = (t: number, ref: number) => (t > 0 && t <= ref ? Math.floor((ref - t) / DAY_MS) : NEVER_DAYS);
/** Relative change of the last 30 days against the 60 before, 0 when there is no earlier use. */
const trend = (last30: number, total90: number) => {
  const before = (total90 - last30) / 2;
  return before > 0 ? (last30 - before) / before : 0;
};
/**
 * Whole days from `ref` to the end of the contract in force (0 on its last day and after it, until
 * a renewal names the next end), NEVER_DAYS when no end is known (month-to-month, prepaid).
 */
/** The end of the contract in force as the twin holds it (ms at its UTC midnight), 0 when none is known. */
export function contractEndOf(c: TwinCursor): number {
  return c.f64[f(c, OFF.contractEnd)];
}
const contractDaysLeft = (end: number, ref: number) => (end > 0 ? Math.max(0, Math.ceil((end - ref) / DAY_MS)) : NEVER_DAYS);
const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Writes the feature vector of the twin under `c` evaluated at time `ref` (ms) into `out`
 * (length FEATURE_COUNT). Windows end at `ref`'s day inclusive.
 */
export function computeFeatures(c: TwinCursor, ref: number, out: Float64Array): Float64Array {
  const refDay = dayOf(ref);
  windowSums(c, refDay);
  let k = 0;
  // tenure_days: written once the plans are read (below), as it stops at the day the customer left.
  k++;
  out[k++] = c.f64[f(c, OFF.segment)] === 2 ? 1 : 0;
  out[k++] = c.f64[f(c, OFF.billing)] === 1 ? 1 : 0;
  out[k++] = c.f64[f(c, OFF.contractMonths)];
  const pm = c.f64[f(c, OFF.paymentMethod)];
  out[k++] = pm === 1 || pm === 2 ? 1 : 0;
  out[k++] = pm === 3 ? 1 : 0;
  out[k++] = pm === 4 ? 1 : 0;
  out[k++] = hasMarketingConsent(c.f64[f(c, OFF.marketingConsent)]) ? 1 : 0;

  let plans = 0;
  let addons = 0;
  let suspended = 0;
  let price = 0;
  let dataMb = 0;
  let voiceMin = 0;
  let everPlan = false;
  let lastPlanEnd = 0;
  for (let s = 0; s < PRODUCT_SLOTS; s++) {
    const status = c.u8[b(c, OFF.prodStatus) + s];
    const kind = c.u8[b(c, OFF.prodKind) + s];
    if (kind === PRODUCT_KIND.plan && status !== PRODUCT_STATUS.none) everPlan = true;
    if (kind === PRODUCT_KIND.plan && status === PRODUCT_STATUS.terminated) lastPlanEnd = Math.max(lastPlanEnd, c.f64[f(c, OFF.prodStatusTime) + s]);
    if (status === PRODUCT_STATUS.suspended) suspended++;
    if (status !== PRODUCT_STATUS.active) continue;
    if (kind === PRODUCT_KIND.plan) plans++;
    else addons++;
    price += c.u32[w(c, OFF.prodPriceCents) + s];
    dataMb += c.u32[w(c, OFF.prodDataMb) + s];
    voiceMin += c.u32[w(c, OFF.prodVoiceMin) + s];
  }
  // A customer who left (every plan held ended) was a customer until their last plan ended, not to this day.
  const left = everPlan && plans === 0 && suspended === 0;
  const since = c.f64[f(c, OFF.since)];
  const tenureEnd = left && lastPlanEnd > 0 ? Math.min(ref, lastPlanEnd) : ref;
  out[0] = since > 0 && tenureEnd > since ? Math.floor((tenureEnd - since) / DAY_MS) : 0;
  out[k++] = plans;
  out[k++] = addons;
  out[k++] = suspended;
  out[k++] = price / 100;
  out[k++] = dataMb;
  out[k++] = voiceMin;

  const mb = (s: number, win: number) => round(sums[s * 3 + win] / 1024, 3);
  const min = (s: number, win: number) => round(sums[s * 3 + win] / 60, 3);
  out[k++] = mb(S.data, 0);
  out[k++] = mb(S.data, 1);
  out[k++] = mb(S.data, 2);
  out[k++] = min(S.voice, 0);
  out[k++] = min(S.voice, 1);
  out[k++] = min(S.voice, 2);
  out[k++] = sums[S.sms * 3 + 1];
  out[k++] = sums[S.roaming * 3 + 1];
  out[k++] = round(trend(sums[S.data * 3 + 1], sums[S.data * 3 + 2]));
  out[k++] = round(trend(sums[S.voice * 3 + 1], sums[S.voice * 3 + 2]));

  // Monthly figures over the three complete months before `ref`'s month.
  const refMonth = monthOf(ref);
  const head = c.f64[f(c, OFF.monthHead)];
  let overMonths = 0;
  let billed = 0;
  let billedMonths = 0;
  let overage = 0;
  for (let m = refMonth - 3; m < refMonth; m++) {
    if (head === 0 || m > head || m <= head - MONTH_RING) continue;
    const i = m % MONTH_RING;
    const bill = c.i32[w(c, OFF.monthBilledCents) + i];
    const over = c.i32[w(c, OFF.monthOverageCents) + i];
    const usedKb = c.u32[w(c, OFF.monthDataKb) + i];
    if (over > 0 || (dataMb > 0 && usedKb > dataMb * 1024)) overMonths++;
    if (bill !== 0) {
      billed += bill;
      billedMonths++;
    }
    overage += over;
  }
  const lastBillTime = c.f64[f(c, OFF.lastBillTime)];
  out[k++] = overMonths;
  out[k++] = lastBillTime > 0 && lastBillTime <= ref ? c.f64[f(c, OFF.lastBillCents)] / 100 : 0;
  out[k++] = billedMonths ? round(billed / billedMonths / 100, 2) : 0;
  // ARPU: what the customer was billed per month; a customer without bills yet pays its plans' price.
  out[k++] = billedMonths ? round(billed / billedMonths / 100, 2) : price / 100;
  out[k++] = overage / 100;
  out[k++] = sums[S.late * 3 + 2];
  out[k++] = sums[S.daysLate * 3 + 2];
  out[k++] = sums[S.failed * 3 + 2];
  out[k++] = c.f64[f(c, OFF.paymentsLateTotal)];
  out[k++] = c.f64[f(c, OFF.paymentsFailedTotal)];

  let open = 0;
  for (let s = 0; s < TICKET_SLOTS; s++) if (c.u8[b(c, OFF.ticketState) + s] === TICKET_STATE.open) open++;
  out[k++] = open;
  out[k++] = sums[S.tickets * 3 + 1];
  out[k++] = sums[S.complaints * 3 + 2];
  out[k++] = daysSince(c.f64[f(c, OFF.lastComplaint)], ref);
  out[k++] = sums[S.netMinutes * 3 + 1];
  out[k++] = sums[S.incidents * 3 + 1];
  out[k++] = sums[S.interactions * 3 + 1];
  for (let ch = 0; ch < CHANNELS.length; ch++) out[k++] = daysSince(c.f64[f(c, OFF.lastInteraction) + ch], ref);
  out[k++] = sums[S.presented * 3 + 2];
  out[k++] = sums[S.accepted * 3 + 2];
  out[k++] = sums[S.declined * 3 + 2];
  out[k++] = daysSince(c.f64[f(c, OFF.lastOfferDeclined)], ref);
  out[k++] = daysSince(c.f64[f(c, OFF.lastOfferAccepted)], ref);
  out[k++] = left ? 1 : 0;
  out[k++] = contractDaysLeft(c.f64[f(c, OFF.contractEnd)], ref);

  const first = c.f64[f(c, OFF.firstEventTime)];
  out[k++] = first > 0 && ref > first ? Math.floor((ref - first) / DAY_MS) : 0;
  const bills = c.f64[f(c, OFF.billsTotal)];
  out[k++] = bills;
  out[k++] = bills > 0 ? round(c.f64[f(c, OFF.paymentsLateTotal)] / bills) : 0;
  out[k++] = c.f64[f(c, OFF.complaintsTotal)];
  out[k++] = sums[S.complaints * 3 + 1];
  out[k++] = sums[S.netMinutes * 3 + 2];
  out[k++] = sums[S.incidents * 3 + 2];
  // Months over allowance in the twelve complete months before `ref`'s month (the ring holds thirteen).
  let overYear = 0;
  for (let m = refMonth - 12; m < refMonth; m++) {
    if (head === 0 || m > head || m <= head - MONTH_RING) continue;
    const i = m % MONTH_RING;
    if (c.i32[w(c, OFF.monthOverageCents) + i] > 0 || (dataMb > 0 && c.u32[w(c, OFF.monthDataKb) + i] > dataMb * 1024)) overYear++;
  }
  out[k++] = overYear;
  // Data used in the last 30 days against the monthly allowance of the plans in force (0 without one).
  out[k++] = dataMb > 0 ? round(sums[S.data * 3 + 1] / 1024 / dataMb) : 0;
  return out;
}
