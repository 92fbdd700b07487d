import { MAX_RECORD_DATA_MB, MAX_RECORD_SMS, MAX_RECORD_VOICE_MIN, type EventOf } from './events.js';
import { DAY_MS } from './time.js';

/**
 * A fast path for the high-volume event kind (usage: one event per subscription per day): a
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

/** The record as a usage event when it is a plain, valid one; undefined means "ask the schema". */
export function fastUsageEvent(raw: unknown): EventOf<'usage'> | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (r.kind !== 'usage' || r.v !== 1) return undefined;
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
  const data = d as Record<string, unknown>;
  let dataKeys = 0;
  let cellKeys = 0;
  for (const k in data) {
    dataKeys++;
    if (k === 'cellId' || k === 'siteId') {
      if (!isId(data[k])) return undefined;
      cellKeys++;
    } else if (k !== 'subscriptionId' && k !== 'dataMb' && k !== 'voiceMin' && k !== 'sms' && k !== 'roaming') return undefined;
  }
  if (dataKeys - cellKeys !== 5 || !isId(data.subscriptionId) || !isAmount(data.dataMb, MAX_RECORD_DATA_MB) || !isAmount(data.voiceMin, MAX_RECORD_VOICE_MIN)) return undefined;
  if (!Number.isInteger(data.sms) || !isAmount(data.sms, MAX_RECORD_SMS) || typeof data.roaming !== 'boolean') return undefined;
  if (Object.getPrototypeOf(r) !== Object.prototype || Object.getPrototypeOf(data) !== Object.prototype) return undefined;
  return raw as EventOf<'usage'>;
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
      // Milliseconds from the first three fraction digits (padded), as Date.parse does.
      const frac = s.slice(20, s.length - 1);
      ms = Number((frac + '00').slice(0, 3));
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
