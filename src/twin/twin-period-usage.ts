import { DAY_MS } from '../domain/time.js';
import { DAY_RING, OFF } from './twin-layout.js';
import type { TwinCursor } from './twin-table.js';
import { dayOf } from './twin-time.js';

/**
 * What the customer has used so far in the billing period running at a time, against the monthly
 * allowance of the plans in force: a customer at 140 % of their data by the 20th is visible the
 * day it happens, not when the month's bill closes it (the monthly features count complete months
 * only). Read from the twin's daily usage, so a view as of a past time reads that time's period.
 */
export interface PeriodUsage {
  /**
   * Where the period starts: `since-last-bill`, the day the customer's last bill was issued (a
   * bill closes the period before it: the sandbox's covers the days up to the day before); or
   * `calendar-month` for a customer with no bill in the last cycle (prepaid, new, or not billed).
   */
  readonly basis: 'since-last-bill' | 'calendar-month';
  /** First day counted and the day of the read (`YYYY-MM-DD`, both included). */
  readonly from: string;
  readonly through: string;
  /** Days counted (from `from` to `through`, both included). */
  readonly days: number;
  readonly dataMb: number;
  readonly voiceMin: number;
  readonly sms: number;
  /** The monthly allowances of the plans and add-ons in force (0: none given). */
  readonly dataAllowanceMb: number;
  readonly voiceAllowanceMin: number;
  /** Used / allowance; null without an allowance. */
  readonly dataShare: number | null;
  readonly voiceShare: number | null;
}

/**
 * How long after its last bill a customer's period is still read from it: a month and a half
 * covers the longest cycle and a late bill; a last bill older than that (billing stopped) is no
 * period running, and the calendar month is read instead.
 */
const LAST_BILL_SPAN_DAYS = 45;

const isoDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The period usage of the twin under `c` at time `ref` (ms), with the allowances in force (`dataAllowanceMb`, `voiceAllowanceMin`). */
export function readPeriodUsage(c: TwinCursor, ref: number, dataAllowanceMb: number, voiceAllowanceMin: number): PeriodUsage {
  const refDay = dayOf(ref);
  const lastBill = c.f64[(c.base + OFF.lastBillTime) >> 3];
  const billDay = lastBill > 0 && lastBill <= ref ? dayOf(lastBill) : Number.NaN;
  const sinceBill = refDay - billDay < LAST_BILL_SPAN_DAYS;
  const monthStart = dayOf(Date.UTC(new Date(ref).getUTCFullYear(), new Date(ref).getUTCMonth(), 1));
  const first = sinceBill ? billDay : monthStart;
  let kb = 0;
  let sec = 0;
  let sms = 0;
  const head = c.f64[(c.base + OFF.dayHead) >> 3];
  if (head !== 0) {
    // Days after the read's (a live twin read as of an earlier time) and days the ring no longer holds are not counted.
    for (let d = Math.max(first, head - DAY_RING + 1); d <= Math.min(refDay, head); d++) {
      const i = d % DAY_RING;
      kb += c.u32[((c.base + OFF.dayDataKb) >> 2) + i];
      sec += c.u32[((c.base + OFF.dayVoiceSec) >> 2) + i];
      sms += c.u16[((c.base + OFF.daySms) >> 1) + i];
    }
  }
  const dataMb = round(kb / 1024, 1);
  const voiceMin = round(sec / 60, 1);
  return {
    basis: sinceBill ? 'since-last-bill' : 'calendar-month',
    from: isoDay(first),
    through: isoDay(refDay),
    days: refDay - first + 1,
    dataMb,
    voiceMin,
    sms,
    dataAllowanceMb,
    voiceAllowanceMin,
    dataShare: dataAllowanceMb > 0 ? round(kb / 1024 / dataAllowanceMb, 4) : null,
    voiceShare: voiceAllowanceMin > 0 ? round(sec / 60 / voiceAllowanceMin, 4) : null,
  };
}
