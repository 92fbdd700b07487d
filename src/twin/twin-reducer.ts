import { encodeConsents } from './consent-code.js';
import type { EventOf, TwinEvent } from '../domain/events.js';
import { CHANNELS } from '../domain/events.js';
import { fnv1a32 } from '../domain/string-hash.js';
import { hash53 } from './id-hash.js';
import {
  DAY_RING,
  FLAG_EXISTS,
  FLAG_HAS_PROFILE,
  INCIDENT_SLOTS,
  MONTH_RING,
  OFF,
  PRODUCT_KIND,
  PRODUCT_SLOTS,
  PRODUCT_STATUS,
  TICKET_SLOTS,
  TICKET_STATE,
  U16_MAX,
  U8_MAX,
} from './twin-layout.js';
import { offerKindSlot } from './twin-responses.js';
import { applyUsageCell } from './twin-cells.js';
import type { TwinCursor } from './twin-table.js';
import { dayOf, dayOfDate, monthOf } from './twin-time.js';

/**
 * The reducers: how each event kind changes a twin record. Every update is a sum, a max or a
 * last-writer-wins by (time, tie-break), so the same set of events gives the same bytes in any
 * arrival order (within the rings' reach); that is what makes replay and out-of-order intake safe.
 */

/** Names behind the hashed ids kept in records, so reads can show them. */
export interface IdNames {
  subscription(hash: number, name: string): void;
  product(hash: number, name: string): void;
  cell(hash: number, name: string, siteId: string | undefined): void;
}

const SEGMENTS = ['consumer', 'business'] as const;
const BILLINGS = ['prepaid', 'postpaid'] as const;
export const PAYMENT_METHODS = ['direct_debit', 'card', 'electronic_check', 'mailed_check', 'cash', 'voucher'] as const;

const f = (c: TwinCursor, off: number) => (c.base + off) >> 3;
const w = (c: TwinCursor, off: number) => (c.base + off) >> 2;
const h = (c: TwinCursor, off: number) => (c.base + off) >> 1;
const b = (c: TwinCursor, off: number) => c.base + off;

/** Moves the day ring forward to `day`, clearing the days it wraps over. */
function advanceDays(c: TwinCursor, day: number): void {
  const head = c.f64[f(c, OFF.dayHead)];
  if (day <= head) return;
  if (head > 0) {
    const from = day - head >= DAY_RING ? day - DAY_RING + 1 : head + 1;
    for (let d = from; d <= day; d++) clearDay(c, d % DAY_RING);
  }
  c.f64[f(c, OFF.dayHead)] = day;
}

function clearDay(c: TwinCursor, i: number): void {
  c.u32[w(c, OFF.dayDataKb) + i] = 0;
  c.u32[w(c, OFF.dayVoiceSec) + i] = 0;
  c.u16[h(c, OFF.daySms) + i] = 0;
  c.u16[h(c, OFF.dayDaysLate) + i] = 0;
  c.u16[h(c, OFF.dayNetMinutes) + i] = 0;
  c.u8[b(c, OFF.dayRoaming) + i] = 0;
  c.u8[b(c, OFF.dayComplaints) + i] = 0;
  c.u8[b(c, OFF.dayTickets) + i] = 0;
  c.u8[b(c, OFF.dayLate) + i] = 0;
  c.u8[b(c, OFF.dayFailed) + i] = 0;
  c.u8[b(c, OFF.dayIncidents) + i] = 0;
  c.u8[b(c, OFF.dayInteractions) + i] = 0;
  c.u8[b(c, OFF.dayOffersPresented) + i] = 0;
  c.u8[b(c, OFF.dayOffersAccepted) + i] = 0;
  c.u8[b(c, OFF.dayOffersDeclined) + i] = 0;
}

/** Ring index of `day`, or -1 when the day has already left the ring. */
function dayIndex(c: TwinCursor, day: number): number {
  advanceDays(c, day);
  const head = c.f64[f(c, OFF.dayHead)];
  return day > head - DAY_RING ? day % DAY_RING : -1;
}

function advanceMonths(c: TwinCursor, month: number): void {
  const head = c.f64[f(c, OFF.monthHead)];
  if (month <= head) return;
  if (head > 0) {
    const from = month - head >= MONTH_RING ? month - MONTH_RING + 1 : head + 1;
    for (let m = from; m <= month; m++) {
      const i = m % MONTH_RING;
      c.i32[w(c, OFF.monthBilledCents) + i] = 0;
      c.i32[w(c, OFF.monthOverageCents) + i] = 0;
      c.u32[w(c, OFF.monthDataKb) + i] = 0;
      c.u32[w(c, OFF.monthVoiceSec) + i] = 0;
    }
  }
  c.f64[f(c, OFF.monthHead)] = month;
}

function monthIndex(c: TwinCursor, month: number): number {
  advanceMonths(c, month);
  const head = c.f64[f(c, OFF.monthHead)];
  return month > head - MONTH_RING ? month % MONTH_RING : -1;
}

const addU8 = (c: TwinCursor, off: number, i: number, by = 1) => {
  const k = b(c, off) + i;
  c.u8[k] = Math.min(U8_MAX, c.u8[k] + by);
};
const addU16 = (c: TwinCursor, off: number, i: number, by: number) => {
  const k = h(c, off) + i;
  c.u16[k] = Math.min(U16_MAX, c.u16[k] + by);
};
/** Largest value of the 32-bit day and month counters (KB, seconds). */
const U32_MAX = 0xffff_ffff;
/** Limits of the 32-bit signed month sums of cents. */
const I32_MAX = 0x7fff_ffff;
/** Adds to a 32-bit counter, stopping at its limit: a typed array would wrap around silently. */
const addU32 = (c: TwinCursor, off: number, i: number, by: number) => {
  const k = w(c, off) + i;
  c.u32[k] = Math.min(U32_MAX, c.u32[k] + by);
};
/** Adds to a 32-bit signed sum, stopping at ±2^31 (see addU32). */
const addI32 = (c: TwinCursor, off: number, i: number, by: number) => {
  const k = w(c, off) + i;
  c.i32[k] = Math.max(-I32_MAX, Math.min(I32_MAX, c.i32[k] + by));
};
const maxF = (c: TwinCursor, off: number, v: number) => {
  const k = f(c, off);
  if (v > c.f64[k]) c.f64[k] = v;
};

/**
 * Whether an event changes a twin the same however late it arrives, so the lateness check lets it
 * in: an offer's `ignored` (a count by kind, no day bucket) and an `outcome` (nothing beyond the
 * event count). The operator writes both when a window or horizon has passed, dated when that
 * happened, which after a stall or a restart is days behind the customer's latest usage.
 */
export function appliesAtAnyLateness(event: TwinEvent): boolean {
  return event.kind === 'outcome' || (event.kind === 'offer' && event.data.action === 'ignored');
}

/** Applies one validated, accepted event to the twin under `c`. `time` is the event time in ms. */
export function applyEvent(c: TwinCursor, event: TwinEvent, time: number, names: IdNames): void {
  const flags = f(c, OFF.flags);
  c.f64[flags] = c.f64[flags] | FLAG_EXISTS;
  maxF(c, OFF.watermark, time);
  const first = f(c, OFF.firstEventTime);
  if (c.f64[first] === 0 || time < c.f64[first]) c.f64[first] = time;
  c.f64[f(c, OFF.events)] += 1;
  switch (event.kind) {
    case 'customer':
      return applyCustomer(c, event, time);
    case 'usage':
      return applyUsage(c, event, time, names);
    case 'bill':
      return applyBill(c, event, time);
    case 'payment':
      return applyPayment(c, event, time);
    case 'topup':
      return applyTopup(c, event, time);
    case 'ticket':
      return applyTicket(c, event, time);
    case 'network_impact':
      return applyNetworkImpact(c, event);
    case 'interaction':
      return applyInteraction(c, event, time);
    case 'subscription':
      return applySubscription(c, event, time, names);
    case 'offer':
      return applyOffer(c, event, time);
  }
}

function applyCustomer(c: TwinCursor, e: EventOf<'customer'>, time: number): void {
  const tie = fnv1a32(e.id);
  const t = f(c, OFF.profileTime);
  const flags = c.f64[f(c, OFF.flags)];
  const had = (flags & FLAG_HAS_PROFILE) !== 0;
  if (had && (time < c.f64[t] || (time === c.f64[t] && tie <= c.f64[f(c, OFF.profileTie)]))) return;
  const d = e.data;
  c.f64[f(c, OFF.flags)] = flags | FLAG_HAS_PROFILE;
  c.f64[t] = time;
  c.f64[f(c, OFF.profileTie)] = tie;
  c.f64[f(c, OFF.since)] = Date.parse(d.since);
  c.f64[f(c, OFF.segment)] = SEGMENTS.indexOf(d.segment) + 1;
  c.f64[f(c, OFF.billing)] = BILLINGS.indexOf(d.billing) + 1;
  c.f64[f(c, OFF.contractMonths)] = d.contractMonths;
  c.f64[f(c, OFF.contractEnd)] = d.contractEnd === undefined ? 0 : Date.parse(d.contractEnd);
  c.f64[f(c, OFF.paymentMethod)] = PAYMENT_METHODS.indexOf(d.paymentMethod) + 1;
  c.f64[f(c, OFF.marketingConsent)] = encodeConsents(d.consent);
}

function applyUsage(c: TwinCursor, e: EventOf<'usage'>, time: number, names: IdNames): void {
  if (e.data.cellId !== undefined) applyUsageCell(c, e.data.cellId, e.data.siteId, time, names);
  const kb = Math.round(e.data.dataMb * 1024);
  const sec = Math.round(e.data.voiceMin * 60);
  const i = dayIndex(c, dayOf(time));
  if (i >= 0) {
    addU32(c, OFF.dayDataKb, i, kb);
    addU32(c, OFF.dayVoiceSec, i, sec);
    addU16(c, OFF.daySms, i, e.data.sms);
    if (e.data.roaming) addU8(c, OFF.dayRoaming, i);
  }
  const m = monthIndex(c, monthOf(time));
  if (m >= 0) {
    addU32(c, OFF.monthDataKb, m, kb);
    addU32(c, OFF.monthVoiceSec, m, sec);
  }
}

function applyBill(c: TwinCursor, e: EventOf<'bill'>, time: number): void {
  const cents = Math.round(e.data.amount * 100);
  let overage = 0;
  for (const line of e.data.lines) if (line.type === 'overage') overage += Math.round(line.amount * 100);
  const m = monthIndex(c, monthOf(time));
  if (m >= 0) {
    addI32(c, OFF.monthBilledCents, m, cents);
    addI32(c, OFF.monthOverageCents, m, overage);
  }
  c.f64[f(c, OFF.billsTotal)] += 1;
  c.f64[f(c, OFF.billedTotalCents)] += cents;
  const lt = f(c, OFF.lastBillTime);
  // Tie on time: the larger amount wins, so the result does not depend on arrival order.
  if (time > c.f64[lt] || (time === c.f64[lt] && cents > c.f64[f(c, OFF.lastBillCents)])) {
    c.f64[lt] = time;
    c.f64[f(c, OFF.lastBillCents)] = cents;
  }
}

/**
 * A prepaid customer's top-up counts as what they spent in its month, as a bill does for a
 * postpaid one: ARPU and value read the same monthly sums for both. No bill, so no last bill.
 */
function applyTopup(c: TwinCursor, e: EventOf<'topup'>, time: number): void {
  const cents = Math.round(e.data.amount * 100);
  const m = monthIndex(c, monthOf(time));
  if (m >= 0) addI32(c, OFF.monthBilledCents, m, cents);
  c.f64[f(c, OFF.billedTotalCents)] += cents;
}

function applyPayment(c: TwinCursor, e: EventOf<'payment'>, time: number): void {
  const i = dayIndex(c, dayOf(time));
  if (e.data.status === 'failed') {
    if (i >= 0) addU8(c, OFF.dayFailed, i);
    c.f64[f(c, OFF.paymentsFailedTotal)] += 1;
    return;
  }
  const late = dayOfDate(e.data.paidDate) - dayOfDate(e.data.dueDate);
  if (late > 0) {
    if (i >= 0) {
      addU8(c, OFF.dayLate, i);
      addU16(c, OFF.dayDaysLate, i, late);
    }
    c.f64[f(c, OFF.paymentsLateTotal)] += 1;
  }
}

const TICKET_RANK = { opened: 1, updated: 1, resolved: 2 } as const;

function applyTicket(c: TwinCursor, e: EventOf<'ticket'>, time: number): void {
  const d = e.data;
  if (d.action === 'opened') {
    const i = dayIndex(c, dayOf(time));
    if (i >= 0) {
      addU8(c, OFF.dayTickets, i);
      if (d.complaint) addU8(c, OFF.dayComplaints, i);
    }
    if (d.complaint) {
      c.f64[f(c, OFF.complaintsTotal)] += 1;
      maxF(c, OFF.lastComplaint, time);
    }
  }
  const key = fnv1a32(d.ticketId);
  const slot = ticketSlot(c, key);
  const st = b(c, OFF.ticketState) + slot;
  const tt = f(c, OFF.ticketTime) + slot;
  const state = d.action === 'resolved' ? TICKET_STATE.resolved : TICKET_STATE.open;
  const fresh = c.u32[w(c, OFF.ticketHash) + slot] !== key;
  if (fresh || time > c.f64[tt] || (time === c.f64[tt] && TICKET_RANK[d.action] > c.u8[st])) {
    c.u32[w(c, OFF.ticketHash) + slot] = key;
    c.u8[st] = state;
    c.f64[tt] = time;
  }
}

/** The slot holding ticket `key`, else an empty one, else the oldest resolved, else the oldest. */
function ticketSlot(c: TwinCursor, key: number): number {
  let empty = -1;
  let oldestResolved = -1;
  let oldest = 0;
  for (let s = 0; s < TICKET_SLOTS; s++) {
    if (c.u32[w(c, OFF.ticketHash) + s] === key && c.u8[b(c, OFF.ticketState) + s] !== 0) return s;
    const state = c.u8[b(c, OFF.ticketState) + s];
    const t = c.f64[f(c, OFF.ticketTime) + s];
    if (state === TICKET_STATE.empty) {
      if (empty < 0) empty = s;
    } else if (state === TICKET_STATE.resolved) {
      if (oldestResolved < 0 || t < c.f64[f(c, OFF.ticketTime) + oldestResolved]) oldestResolved = s;
    }
    if (t < c.f64[f(c, OFF.ticketTime) + oldest]) oldest = s;
  }
  return empty >= 0 ? empty : oldestResolved >= 0 ? oldestResolved : oldest;
}

function applyNetworkImpact(c: TwinCursor, e: EventOf<'network_impact'>): void {
  const d = e.data;
  const start = Date.parse(d.start);
  const minutes = d.end ? Math.max(0, Math.round((Date.parse(d.end) - start) / 60_000)) : 0;
  const key = fnv1a32(d.incidentId);
  const i = dayIndex(c, dayOf(start));
  let slot = -1;
  let free = -1;
  for (let s = 0; s < INCIDENT_SLOTS; s++) {
    const k = c.u32[w(c, OFF.incidentHash) + s];
    if (k === key) slot = s;
    else if (k === 0 && free < 0) free = s;
  }
  if (slot < 0) {
    // A new incident: count it once; when all slots are taken, reuse the one with least impact.
    slot = free;
    if (slot < 0) {
      slot = 0;
      for (let s = 1; s < INCIDENT_SLOTS; s++) {
        if (c.u32[w(c, OFF.incidentMinutes) + s] < c.u32[w(c, OFF.incidentMinutes) + slot]) slot = s;
      }
    }
    c.u32[w(c, OFF.incidentHash) + slot] = key;
    c.u32[w(c, OFF.incidentMinutes) + slot] = 0;
    if (i >= 0) addU8(c, OFF.dayIncidents, i);
  }
  // Repeated notices of one incident report its growing duration: count the longest once.
  const had = c.u32[w(c, OFF.incidentMinutes) + slot];
  if (minutes > had) {
    c.u32[w(c, OFF.incidentMinutes) + slot] = minutes;
    if (i >= 0) addU16(c, OFF.dayNetMinutes, i, minutes - had);
  }
}

function applyInteraction(c: TwinCursor, e: EventOf<'interaction'>, time: number): void {
  if (e.data.phase === 'start') {
    const i = dayIndex(c, dayOf(time));
    if (i >= 0) addU8(c, OFF.dayInteractions, i);
  }
  maxF(c, OFF.lastInteraction + 8 * CHANNELS.indexOf(e.data.channel), time);
}

const STATUS_OF = {
  activated: PRODUCT_STATUS.active,
  addon_added: PRODUCT_STATUS.active,
  resumed: PRODUCT_STATUS.active,
  plan_changed: 0,
  suspended: PRODUCT_STATUS.suspended,
  addon_removed: PRODUCT_STATUS.terminated,
  terminated: PRODUCT_STATUS.terminated,
} as const;

function applySubscription(c: TwinCursor, e: EventOf<'subscription'>, time: number, names: IdNames): void {
  const d = e.data;
  const key = hash53(d.subscriptionId);
  names.subscription(key, d.subscriptionId);
  let slot = -1;
  let free = -1;
  for (let s = 0; s < PRODUCT_SLOTS; s++) {
    const k = c.f64[f(c, OFF.prodHash) + s];
    if (k === key) slot = s;
    else if (k === 0 && free < 0) free = s;
  }
  if (slot < 0) {
    // Full: reuse the slot of the product terminated longest ago (an active product is never dropped).
    slot = free;
    if (slot < 0) {
      for (let s = 0; s < PRODUCT_SLOTS; s++) {
        if (c.u8[b(c, OFF.prodStatus) + s] !== PRODUCT_STATUS.terminated) continue;
        if (slot < 0 || c.f64[f(c, OFF.prodStatusTime) + s] < c.f64[f(c, OFF.prodStatusTime) + slot]) slot = s;
      }
      if (slot < 0) return;
    }
    c.f64[f(c, OFF.prodHash) + slot] = key;
    c.u8[b(c, OFF.prodStatus) + slot] = PRODUCT_STATUS.none;
    c.f64[f(c, OFF.prodStatusTime) + slot] = 0;
    c.f64[f(c, OFF.prodPlanTime) + slot] = 0;
    c.f64[f(c, OFF.prodTermsTime) + slot] = 0;
    c.u32[w(c, OFF.prodDataMb) + slot] = 0;
    c.u32[w(c, OFF.prodVoiceMin) + slot] = 0;
    c.f64[f(c, OFF.prodActivated) + slot] = 0;
  }
  const kind = d.action === 'addon_added' || d.action === 'addon_removed' || d.productKind === 'addon' ? PRODUCT_KIND.addon : PRODUCT_KIND.plan;
  c.u8[b(c, OFF.prodKind) + slot] = kind;
  const status = STATUS_OF[d.action];
  if (status !== 0) {
    const st = f(c, OFF.prodStatusTime) + slot;
    const cur = c.u8[b(c, OFF.prodStatus) + slot];
    // Same instant: the later lifecycle stage wins (terminated > suspended > active).
    if (time > c.f64[st] || (time === c.f64[st] && status > cur)) {
      c.u8[b(c, OFF.prodStatus) + slot] = status;
      c.f64[st] = time;
    }
    if (status === PRODUCT_STATUS.active) {
      const act = f(c, OFF.prodActivated) + slot;
      if (c.f64[act] === 0 || time < c.f64[act]) c.f64[act] = time;
    }
  }
  if (d.productId !== undefined || d.monthlyPrice !== undefined) {
    const pt = f(c, OFF.prodPlanTime) + slot;
    const pid = d.productId === undefined ? 0 : fnv1a32(d.productId);
    if (d.productId !== undefined) names.product(pid, d.productId);
    const price = Math.round((d.monthlyPrice ?? 0) * 100);
    const curPrice = c.u32[w(c, OFF.prodPriceCents) + slot];
    if (time > c.f64[pt] || (time === c.f64[pt] && price > curPrice)) {
      c.f64[pt] = time;
      c.u32[w(c, OFF.prodId) + slot] = pid;
      c.u32[w(c, OFF.prodPriceCents) + slot] = price;
    }
  }
  // The allowances by the latest event that states them, apart from the plan and price: a price
  // change names the plan and its new price only, and read with them it left every customer of a
  // repriced plan with no allowance (data_allowance_mb 0, never over it) until the plan changed.
  if (d.dataAllowanceMb !== undefined || d.voiceAllowanceMin !== undefined) {
    const tt = f(c, OFF.prodTermsTime) + slot;
    const data = Math.round(d.dataAllowanceMb ?? 0);
    const voice = Math.round(d.voiceAllowanceMin ?? 0);
    const curData = c.u32[w(c, OFF.prodDataMb) + slot];
    // Same instant: the larger allowance wins (data, then voice), whatever the order of arrival.
    if (time > c.f64[tt] || (time === c.f64[tt] && (data > curData || (data === curData && voice > c.u32[w(c, OFF.prodVoiceMin) + slot])))) {
      c.f64[tt] = time;
      c.u32[w(c, OFF.prodDataMb) + slot] = data;
      c.u32[w(c, OFF.prodVoiceMin) + slot] = voice;
    }
  }
}

function applyOffer(c: TwinCursor, e: EventOf<'offer'>, time: number): void {
  const i = dayIndex(c, dayOf(time));
  const kind = offerKindSlot(e.data.treatment);
  switch (e.data.action) {
    case 'presented':
      if (i >= 0) addU8(c, OFF.dayOffersPresented, i);
      addU16(c, OFF.offerPresentedByKind, kind, 1);
      maxF(c, OFF.lastOfferPresented, time);
      break;
    case 'accepted':
      if (i >= 0) addU8(c, OFF.dayOffersAccepted, i);
      addU16(c, OFF.offerAcceptedByKind, kind, 1);
      maxF(c, OFF.lastOfferAccepted, time);
      break;
    case 'declined':
      if (i >= 0) addU8(c, OFF.dayOffersDeclined, i);
      addU16(c, OFF.offerDeclinedByKind, kind, 1);
      maxF(c, OFF.lastOfferDeclined, time);
      break;
    case 'ignored':
      // Written by the operator once an offer's answer window passed without an answer.
      addU16(c, OFF.offerIgnoredByKind, kind, 1);
      break;
  }
}
