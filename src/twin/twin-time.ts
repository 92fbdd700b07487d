import { civilMonth } from '../domain/event-fast-path.js';
import { DAY_MS } from '../domain/time.js';

/** UTC day number since the epoch. */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** The last day `monthOf` converted and its month: events come day by day, so most ask for the same day again. */
let memoDay = Number.NaN;
let memoMonth = 0;

/** UTC month number since year 0 (year * 12 + month). */
export function monthOf(ms: number): number {
  const day = Math.floor(ms / DAY_MS);
  if (day !== memoDay) {
    memoMonth = civilMonth(day);
    memoDay = day;
  }
  return memoMonth;
}

/** Day number of an ISO date (`2026-03-31`). */
export function dayOfDate(isoDate: string): number {
  return dayOf(Date.parse(`${isoDate}T00:00:00Z`));
}
