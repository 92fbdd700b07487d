import { civilMonth } from '../domain/event-fast-path.js';

/** Milliseconds in a day; the twin's windows are whole UTC days. */
export const DAY_MS = 86_400_000;

/** UTC day number since the epoch. */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** UTC month number since year 0 (year * 12 + month). */
export function monthOf(ms: number): number {
  return civilMonth(Math.floor(ms / DAY_MS));
}

/** Day number of an ISO date (`2026-03-31`). */
export function dayOfDate(isoDate: string): number {
  return dayOf(Date.parse(`${isoDate}T00:00:00Z`));
}
