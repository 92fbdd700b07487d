import { DAY_MS } from '../domain/time.js';

/** Calendar helpers for the simulated clock (UTC throughout). */

/** `YYYY-MM-DD` of an epoch time. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** `HH:MM:SS` of a second of the day. */
export function hms(sec: number): string {
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  return (h < 10 ? '0' : '') + h + (m < 10 ? ':0' : ':') + m + (s < 10 ? ':0' : ':') + s;
}

/** ISO time of a second within a day given the day's `YYYY-MM-DD`. */
export function isoAt(datePrefix: string, sec: number): string {
  return datePrefix + 'T' + hms(sec) + 'Z';
}

/** Epoch time of midnight UTC of an ISO date. */
export function parseIsoDate(date: string): number {
  return Date.parse(date + 'T00:00:00Z');
}

/** Number of days from `startMs` to the same calendar day `months` later. */
export function daysInMonths(startMs: number, months: number): number {
  const d = new Date(startMs);
  const end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, d.getUTCDate());
  return Math.round((end - startMs) / DAY_MS);
}
