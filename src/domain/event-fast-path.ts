import {
  CHANNELS,
  MAX_ALLOWANCE,
  MAX_MONEY,
  MAX_RECORD_DATA_MB,
  MAX_RECORD_DROPPED_CALLS,
  MAX_RECORD_SMS,
  MAX_RECORD_THROUGHPUT_MBPS,
  MAX_RECORD_VOICE_MIN,
  MAX_REQUEST_ID_LENGTH,
  OFFER_ACTIONS,
  SEVERITIES,
  TICKET_CATEGORIES,
  TOPUP_METHODS,
  customerData,
  interactionData,
  networkImpactData,
  subscriptionData,
  ticketData,
  topupData,
  type EventOf,
  type TwinEvent,
} from './events.js';
import { DAY_MS } from './time.js';

/**
 * A fast path for the event kinds a history is made of (usage: one event per subscription per
 * day; bills and payments, monthly; then interactions, network impacts, top-ups, subscription
 * changes, customers and tickets, the sandbox's every kind; and offers' answers): a
 * hand-written check that accepts only records the zod schema is certain to accept unchanged.
 * Anything it is unsure of goes to the zod schema, which also writes the error messages, so
 * the fast path can never accept what the schema refuses nor change an error (property-tested
 * against the schema in `event-fast-path.test.ts`).
 */

/** Digit value of the code unit at `i`, or -1. */
function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}
function two(s: string, i: number): number {
  const a = digit(s, i);
  const b = digit(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * True when `s` is a date-time the schema's ISO check surely accepts: `YYYY-MM-DDTHH:MM:SS`,
 * an optional fraction of 1–9 digits, then `Z` or `±HH:MM`, on a real calendar day. Stricter
 * than the schema (a plain character walk, cheaper than a regular expression).
 */
export function isPlainIsoTime(s: unknown): s is string {
  if (typeof s !== 'string' || s.length < 20 || s.length > 35) return false;
  if (digit(s, 0) < 0 || digit(s, 1) < 0 || digit(s, 2) < 0 || digit(s, 3) < 0) return false;
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return false;
  const month = two(s, 5);
  const day = two(s, 8);
  const hour = two(s, 11);
  const minute = two(s, 14);
  const second = two(s, 17);
  if (month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  let i = 19;
  if (s.charCodeAt(i) === 46) {
    i++;
    const from = i;
    while (i < s.length && digit(s, i) >= 0) i++;
    if (i === from || i - from > 9) return false;
  }
  const rest = s.length - i;
  if (rest === 1) {
    if (s.charCodeAt(i) !== 90) return false;
  } else if (rest === 6) {
    const sign = s.charCodeAt(i);
    const oh = two(s, i + 1);
    const om = two(s, i + 4);
    if ((sign !== 43 && sign !== 45) || s.charCodeAt(i + 3) !== 58 || oh < 0 || oh > 23 || om < 0 || om > 59) return false;
  } else return false;
  if (day <= 28) return true;
  if (day > DAYS_IN_MONTH[month - 1]) return false;
  if (month !== 2) return true;
  const year = Number(s.slice(0, 4));
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

const isId = (x: unknown): x is string => typeof x === 'string' && x.length >= 1 && x.length <= 128;
const isAmount = (x: unknown, max: number): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= max;
/** A whole number from 0 to `max` (the schema's `int()` takes safe integers). */
const isCount = (x: unknown, max: number): x is number => Number.isSafeInteger(x) && (x as number) >= 0 && (x as number) <= max;
/** A string of 1 to `max` code units (the schema counts code points, never more than units). */
const isText = (x: unknown, max: number): x is string => typeof x === 'string' && x.length >= 1 && x.length <= max;
const isOneOf = (set: ReadonlySet<string>, x: unknown): x is string => typeof x === 'string' && set.has(x);

/**
 * The `data` of a record whose envelope is plainly valid for `kind` (the schema's seven keys, or
 * eight with `receivedAt`, nothing else; a plain object's), else undefined.
 */
function plainData(raw: unknown, kind: string): Record<string, unknown> | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (r.kind !== kind || r.v !== 1) return undefined;
  let keys = 0;
  for (const k in r) {
    keys++;
    if (k !== 'id' && k !== 'kind' && k !== 'customerId' && k !== 'time' && k !== 'source' && k !== 'v' && k !== 'data' && k !== 'receivedAt') return undefined;
  }
  if (keys !== 7 && !(keys === 8 && 'receivedAt' in r && isPlainIsoTime(r.receivedAt))) return undefined;
  if (!isId(r.id) || !isId(r.customerId) || !isPlainIsoTime(r.time)) return undefined;
  if (typeof r.source !== 'string' || r.source.length < 1 || r.source.length > 64) return undefined;
  const d = r.data;
  if (typeof d !== 'object' || d === null || Array.isArray(d)) return undefined;
  if (Object.getPrototypeOf(r) !== Object.prototype || Object.getPrototypeOf(d) !== Object.prototype) return undefined;
  return d as Record<string, unknown>;
}

/** The record as a usage event when it is a plain, valid one; undefined means "ask the schema". */
export function fastUsageEvent(raw: unknown): EventOf<'usage'> | undefined {
  const data = plainData(raw, 'usage');
  if (!data) return undefined;
  let dataKeys = 0;
  let optionalKeys = 0;
  for (const k in data) {
    dataKeys++;
    if (k === 'cellId' || k === 'siteId') {
      if (!isId(data[k])) return undefined;
      optionalKeys++;
    } else if (k === 'droppedCalls') {
      if (!isCount(data.droppedCalls, MAX_RECORD_DROPPED_CALLS)) return undefined;
      optionalKeys++;
    } else if (k === 'throughputMbps') {
      if (!isAmount(data.throughputMbps, MAX_RECORD_THROUGHPUT_MBPS)) return undefined;
      optionalKeys++;
    } else if (k !== 'subscriptionId' && k !== 'dataMb' && k !== 'voiceMin' && k !== 'sms' && k !== 'roaming') return undefined;
  }
  if (dataKeys - optionalKeys !== 5 || !isId(data.subscriptionId) || !isAmount(data.dataMb, MAX_RECORD_DATA_MB) || !isAmount(data.voiceMin, MAX_RECORD_VOICE_MIN)) return undefined;
  if (!Number.isInteger(data.sms) || !isAmount(data.sms, MAX_RECORD_SMS) || typeof data.roaming !== 'boolean') return undefined;
  return raw as EventOf<'usage'>;
}

/** True when `s` is a `YYYY-MM-DD` date on a real calendar day (what the schema's date check accepts). */
export function isPlainIsoDate(s: unknown): s is string {
  if (typeof s !== 'string' || s.length !== 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return false;
  if (digit(s, 0) < 0 || digit(s, 1) < 0 || digit(s, 2) < 0 || digit(s, 3) < 0) return false;
  const month = two(s, 5);
  const day = two(s, 8);
  if (month < 1 || month > 12 || day < 1) return false;
  if (day <= 28) return true;
  if (day > DAYS_IN_MONTH[month - 1]) return false;
  if (month !== 2) return true;
  const year = Number(s.slice(0, 4));
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** Money as the schema takes it: finite, within ±MAX_MONEY. */
const isMoney = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= -MAX_MONEY && x <= MAX_MONEY;
const BILL_LINE_TYPES = new Set(['plan', 'addon', 'overage', 'roaming', 'credit', 'discount', 'tax', 'other']);
/** Lines one bill may have, as the schema says. */
const MAX_BILL_LINES = 200;

function isPlainBillLine(x: unknown): boolean {
  if (typeof x !== 'object' || x === null || Object.getPrototypeOf(x) !== Object.prototype) return false;
  const l = x as Record<string, unknown>;
  let keys = 0;
  for (const k in l) {
    keys++;
    if (k === 'description') {
      if (typeof l.description !== 'string' || l.description.length > 200) return false;
    } else if (k !== 'type' && k !== 'amount') return false;
  }
  return keys === ('description' in l ? 3 : 2) && typeof l.type === 'string' && BILL_LINE_TYPES.has(l.type) && isMoney(l.amount);
}

/** The record as a bill when it is a plain, valid one; undefined means "ask the schema". */
export function fastBillEvent(raw: unknown): EventOf<'bill'> | undefined {
  const data = plainData(raw, 'bill');
  if (!data) return undefined;
  let keys = 0;
  for (const k in data) {
    keys++;
    if (k === 'currency') {
      if (typeof data.currency !== 'string' || data.currency.length !== 3) return undefined;
    } else if (k !== 'billId' && k !== 'periodStart' && k !== 'periodEnd' && k !== 'amount' && k !== 'lines') return undefined;
  }
  if (keys !== ('currency' in data ? 6 : 5) || !isId(data.billId) || !isPlainIsoDate(data.periodStart) || !isPlainIsoDate(data.periodEnd) || !isMoney(data.amount)) return undefined;
  const lines = data.lines;
  if (!Array.isArray(lines) || lines.length > MAX_BILL_LINES || Object.getPrototypeOf(lines) !== Array.prototype) return undefined;
  for (let i = 0; i < lines.length; i++) if (!(i in lines) || !isPlainBillLine(lines[i])) return undefined;
  return raw as EventOf<'bill'>;
}

/** The record as a payment when it is a plain, valid one; undefined means "ask the schema". */
export function fastPaymentEvent(raw: unknown): EventOf<'payment'> | undefined {
  const data = plainData(raw, 'payment');
  if (!data) return undefined;
  // paid: billId, amount, dueDate, paidDate; failed: the same with failureReason for paidDate.
  const last = data.status === 'paid' ? 'paidDate' : data.status === 'failed' ? 'failureReason' : undefined;
  if (!last) return undefined;
  let keys = 0;
  for (const k in data) {
    keys++;
    if (k !== 'status' && k !== 'billId' && k !== 'amount' && k !== 'dueDate' && k !== last) return undefined;
  }
  if (keys !== 5 || !isId(data.billId) || !isAmount(data.amount, MAX_MONEY) || !isPlainIsoDate(data.dueDate)) return undefined;
  if (last === 'paidDate' ? !isPlainIsoDate(data.paidDate) : typeof data.failureReason !== 'string' || data.failureReason.length < 1 || data.failureReason.length > 200) return undefined;
  return raw as EventOf<'payment'>;
}

/**
 * Whether every key of `data` is one of `keys` and each one's value passes its check: the count
 * of keys it holds, or -1. Missing keys are the caller's to require.
 */
function checkedKeys(data: Record<string, unknown>, checks: Readonly<Record<string, (x: unknown) => boolean>>): number {
  let n = 0;
  for (const k in data) {
    const check = checks[k];
    if (check === undefined || !Object.prototype.hasOwnProperty.call(checks, k) || !check(data[k])) return -1;
    n++;
  }
  return n;
}

const CHANNEL_SET = new Set<string>(CHANNELS);
const SEVERITY_SET = new Set<string>(SEVERITIES);
/** A schema enum's values, read from the schema: a value it drops is refused here too, never kept by a copy. */
const valuesOf = (e: { readonly options: readonly string[] }): ReadonlySet<string> => new Set<string>(e.options);
const PHASES = valuesOf(interactionData.shape.phase.unwrap());

const INTERACTION: Readonly<Record<string, (x: unknown) => boolean>> = {
  channel: (x) => isOneOf(CHANNEL_SET, x),
  intent: (x) => isText(x, 64),
  phase: (x) => isOneOf(PHASES, x),
};
/** An interaction without `context` (any context goes to the schema), its `phase` given (the schema fills a missing one in). */
export function fastInteractionEvent(raw: unknown): EventOf<'interaction'> | undefined {
  const data = plainData(raw, 'interaction');
  return data && checkedKeys(data, INTERACTION) === 3 ? (raw as EventOf<'interaction'>) : undefined;
}

const IMPACTS = valuesOf(networkImpactData.shape.impact);
const NETWORK_IMPACT: Readonly<Record<string, (x: unknown) => boolean>> = {
  incidentId: isId,
  cellId: isId,
  siteId: isId,
  impact: (x) => isOneOf(IMPACTS, x),
  severity: (x) => isOneOf(SEVERITY_SET, x),
  start: isPlainIsoTime,
  end: isPlainIsoTime,
};
export function fastNetworkImpactEvent(raw: unknown): EventOf<'network_impact'> | undefined {
  const data = plainData(raw, 'network_impact');
  if (!data) return undefined;
  const n = checkedKeys(data, NETWORK_IMPACT);
  const optional = ('siteId' in data ? 1 : 0) + ('end' in data ? 1 : 0);
  return n >= 0 && n - optional === 5 ? (raw as EventOf<'network_impact'>) : undefined;
}

const TOPUP_METHOD_SET = new Set<string>(TOPUP_METHODS);
const TOPUP_PURPOSES = valuesOf(topupData.shape.purpose);
const TOPUP: Readonly<Record<string, (x: unknown) => boolean>> = {
  topupId: isId,
  amount: (x) => isAmount(x, MAX_MONEY),
  currency: (x) => typeof x === 'string' && x.length === 3,
  method: (x) => isOneOf(TOPUP_METHOD_SET, x),
  purpose: (x) => isOneOf(TOPUP_PURPOSES, x),
  credit: (x) => isAmount(x, MAX_MONEY) && x > 0,
};
/** A top-up that pays something (`amount` > 0); one paid by account credit alone goes to the schema. */
export function fastTopupEvent(raw: unknown): EventOf<'topup'> | undefined {
  const data = plainData(raw, 'topup');
  if (!data) return undefined;
  const n = checkedKeys(data, TOPUP);
  const optional = ('currency' in data ? 1 : 0) + ('credit' in data ? 1 : 0);
  return n >= 0 && n - optional === 4 && (data.amount as number) > 0 ? (raw as EventOf<'topup'>) : undefined;
}

const TICKET_ACTIONS = valuesOf(ticketData.shape.action);
const TICKET_CATEGORY_SET = new Set<string>(TICKET_CATEGORIES);
const TICKET: Readonly<Record<string, (x: unknown) => boolean>> = {
  ticketId: isId,
  action: (x) => isOneOf(TICKET_ACTIONS, x),
  category: (x) => isOneOf(TICKET_CATEGORY_SET, x),
  severity: (x) => isOneOf(SEVERITY_SET, x),
  complaint: (x) => typeof x === 'boolean',
  text: (x) => typeof x === 'string' && x.length <= 4000,
};
export function fastTicketEvent(raw: unknown): EventOf<'ticket'> | undefined {
  const data = plainData(raw, 'ticket');
  if (!data) return undefined;
  const n = checkedKeys(data, TICKET);
  return n >= 0 && n - ('text' in data ? 1 : 0) === 5 ? (raw as EventOf<'ticket'>) : undefined;
}

const SUBSCRIPTION_ACTIONS = valuesOf(subscriptionData.shape.action);
const PRODUCT_KINDS = valuesOf(subscriptionData.shape.productKind.unwrap());
const SUBSCRIPTION: Readonly<Record<string, (x: unknown) => boolean>> = {
  action: (x) => isOneOf(SUBSCRIPTION_ACTIONS, x),
  subscriptionId: isId,
  productKind: (x) => isOneOf(PRODUCT_KINDS, x),
  productId: isId,
  monthlyPrice: (x) => isAmount(x, MAX_MONEY),
  dataAllowanceMb: (x) => isAmount(x, MAX_ALLOWANCE),
  voiceAllowanceMin: (x) => isAmount(x, MAX_ALLOWANCE),
  reason: (x) => typeof x === 'string' && x.length <= 200,
};
/** A subscription event with its `productKind` given (the schema fills a missing one in). */
export function fastSubscriptionEvent(raw: unknown): EventOf<'subscription'> | undefined {
  const data = plainData(raw, 'subscription');
  if (!data) return undefined;
  const n = checkedKeys(data, SUBSCRIPTION);
  const optional = ('productId' in data ? 1 : 0) + ('monthlyPrice' in data ? 1 : 0) + ('dataAllowanceMb' in data ? 1 : 0) + ('voiceAllowanceMin' in data ? 1 : 0) + ('reason' in data ? 1 : 0);
  return n >= 0 && n - optional === 3 ? (raw as EventOf<'subscription'>) : undefined;
}

const OFFER_ACTION_SET = new Set<string>(OFFER_ACTIONS);
const OFFER: Readonly<Record<string, (x: unknown) => boolean>> = {
  action: (x) => isOneOf(OFFER_ACTION_SET, x),
  offerId: isId,
  channel: (x) => isOneOf(CHANNEL_SET, x),
  treatment: (x) => typeof x === 'string' && x.length <= 64,
  decisionId: isId,
  requestId: (x) => isText(x, MAX_REQUEST_ID_LENGTH),
  by: (x) => isText(x, 200),
};
export function fastOfferEvent(raw: unknown): EventOf<'offer'> | undefined {
  const data = plainData(raw, 'offer');
  if (!data) return undefined;
  const n = checkedKeys(data, OFFER);
  const optional = ('treatment' in data ? 1 : 0) + ('decisionId' in data ? 1 : 0) + ('requestId' in data ? 1 : 0) + ('by' in data ? 1 : 0);
  return n >= 0 && n - optional === 3 ? (raw as EventOf<'offer'>) : undefined;
}

const SEGMENTS = valuesOf(customerData.shape.segment);
const BILLINGS = valuesOf(customerData.shape.billing);
const PAYMENT_METHODS = valuesOf(customerData.shape.paymentMethod);
const CONSENT: Readonly<Record<string, (x: unknown) => boolean>> = {
  marketing: (x) => typeof x === 'boolean',
  sms: (x) => typeof x === 'boolean',
  email: (x) => typeof x === 'boolean',
};
const CUSTOMER: Readonly<Record<string, (x: unknown) => boolean>> = {
  segment: (x) => isOneOf(SEGMENTS, x),
  billing: (x) => isOneOf(BILLINGS, x),
  contractMonths: (x) => isCount(x, 60),
  contractEnd: isPlainIsoDate,
  paymentMethod: (x) => isOneOf(PAYMENT_METHODS, x),
  since: isPlainIsoTime,
  name: (x) => typeof x === 'string' && x.length <= 200,
  consent: (x) => {
    if (typeof x !== 'object' || x === null || Object.getPrototypeOf(x) !== Object.prototype) return false;
    const c = x as Record<string, unknown>;
    const n = checkedKeys(c, CONSENT);
    return n >= 1 && 'marketing' in c;
  },
};
export function fastCustomerEvent(raw: unknown): EventOf<'customer'> | undefined {
  const data = plainData(raw, 'customer');
  if (!data) return undefined;
  const n = checkedKeys(data, CUSTOMER);
  const optional = ('contractEnd' in data ? 1 : 0) + ('name' in data ? 1 : 0) + ('consent' in data ? 1 : 0);
  return n >= 0 && n - optional === 5 ? (raw as EventOf<'customer'>) : undefined;
}

/** The record as an event of a kind with a fast path when it is a plain, valid one; undefined means "ask the schema". */
export function fastEvent(raw: unknown): TwinEvent | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  switch ((raw as { kind?: unknown }).kind) {
    case 'usage':
      return fastUsageEvent(raw);
    case 'bill':
      return fastBillEvent(raw);
    case 'payment':
      return fastPaymentEvent(raw);
    case 'interaction':
      return fastInteractionEvent(raw);
    case 'network_impact':
      return fastNetworkImpactEvent(raw);
    case 'topup':
      return fastTopupEvent(raw);
    case 'subscription':
      return fastSubscriptionEvent(raw);
    case 'customer':
      return fastCustomerEvent(raw);
    case 'ticket':
      return fastTicketEvent(raw);
    case 'offer':
      return fastOfferEvent(raw);
    default:
      return undefined;
  }
}

/** Event time in ms; the common `…Z` form is computed directly, anything else by Date.parse. */
export function parseEventTime(s: string): number {
  if (s.length >= 20 && s.charCodeAt(s.length - 1) === 90 /* Z */ && s.charCodeAt(10) === 84 /* T */) {
    const n = (i: number) => s.charCodeAt(i) - 48;
    const year = n(0) * 1000 + n(1) * 100 + n(2) * 10 + n(3);
    const month = n(5) * 10 + n(6);
    const day = n(8) * 10 + n(9);
    let ms = 0;
    if (s.length > 20 && s.charCodeAt(19) === 46 /* . */) {
      // Milliseconds from the first three fraction digits (padded), as Date.parse does; read digit
      // by digit (three strings and a number parse an event before). Not digits: Date.parse says.
      const end = s.length - 1;
      for (let k = 20; k < 23; k++) {
        const d = k < end ? s.charCodeAt(k) - 48 : 0;
        if (d < 0 || d > 9) return Date.parse(s);
        ms = ms * 10 + d;
      }
      for (let k = 23; k < end; k++) {
        const d = s.charCodeAt(k) - 48;
        if (d < 0 || d > 9) return Date.parse(s);
      }
    } else if (s.length !== 20) return Date.parse(s);
    return daysFromCivil(year, month, day) * DAY_MS + (n(11) * 10 + n(12)) * 3_600_000 + (n(14) * 10 + n(15)) * 60_000 + (n(17) * 10 + n(18)) * 1000 + ms;
  }
  return Date.parse(s);
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Year and month (1–12) of a day number since the epoch (inverse of daysFromCivil). */
export function civilMonth(days: number): number {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return y * 12 + (m - 1);
}
