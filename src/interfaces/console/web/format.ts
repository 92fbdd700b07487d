/**
 * How the console writes numbers and times. There is one clock on screen: the event clock (the
 * time of the latest event the twins applied; while the sandbox runs, simulated time), so every
 * time is written in UTC as the events carry it, never converted to the browser's zone.
 */

/** `2026-12-02 14:05 UTC` from an ISO time; a dash for none. */
export function eventTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

/** `2026-12-02` from an ISO time. */
export function eventDate(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 10) : '–';
}

const whole = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const twoDigits = new Intl.NumberFormat('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** A count: `12,345`. */
export const count = (n: number | null | undefined) => (typeof n === 'number' ? whole.format(n) : '–');

/**
 * The operator's currency every amount on screen is written in (`operatorCurrency`: the unit its
 * offer catalogue prices in), set once by the console's shell when it has read it, before the pages
 * render; null until then or without a catalogue to read, when amounts are bare numbers. One value
 * for the whole console, as the operator has one currency: every page and helper writes money
 * through `money`, and none of them had a currency to write (the overview showed "20,451.00").
 */
let currencyFormat: Intl.NumberFormat | null = null;

/** The currency `money` writes, or null while amounts are bare. */
export const currencyCode = (): string | null => currencyFormat?.resolvedOptions().currency ?? null;

/** Sets the currency `money` writes (an ISO 4217 code); an unknown code leaves amounts bare. */
export function setCurrency(code: string | null | undefined): void {
  try {
    currencyFormat = code ? new Intl.NumberFormat('en', { style: 'currency', currency: code, minimumFractionDigits: 2, maximumFractionDigits: 2 }) : null;
  } catch {
    currencyFormat = null;
  }
}

/** Money in the operator's currency: `€1,234.50` (`1,234.50` while the currency is not known). */
export const money = (n: number | null | undefined) => (typeof n === 'number' ? (currencyFormat ?? twoDigits).format(n) : '–');

/** A probability as a percentage: `12.3 %` (one decimal below 10 %). */
export function percent(p: number | null | undefined): string {
  if (typeof p !== 'number') return '–';
  const v = p * 100;
  return (Number.isInteger(v) || v >= 10 ? v.toFixed(0) : v.toFixed(1)) + ' %';
}

/** The risk band of a churn probability within the model's horizon, for colour and words. */
export function riskBand(p: number | null | undefined): 'high' | 'medium' | 'low' | 'none' {
  if (typeof p !== 'number') return 'none';
  return p >= 0.2 ? 'high' : p >= 0.05 ? 'medium' : 'low';
}

/** Roles named for a team rather than a person: the refusal pages read "a network ops". */
const TEAM_ROLES: Readonly<Record<string, string>> = { network_ops: 'someone in network operations' };

/** A role as a person reads it in a sentence: "a supervisor", "an admin", "a data scientist", "someone in network operations". */
export const aRole = (role: string) => (Object.hasOwn(TEAM_ROLES, role) ? TEAM_ROLES[role] : `${/^[aeiou]/.test(role) ? 'an' : 'a'} ${role.replace(/_/g, ' ')}`);

/** "a supervisor or an admin": any of `roles`, in words. */
export function anyOfRoles(roles: readonly string[]): string {
  const people = roles.map(aRole);
  return people.length <= 1 ? (people[0] ?? 'a person') : `${people.slice(0, -1).join(', ')} or ${people[people.length - 1]}`;
}

/** A day in milliseconds (event-time spans the console shows in days). */
export const DAY_MS = 86_400_000;

/**
 * How long ago, or how long until, a time of the server's wall clock (an approval's age and
 * deadline, decision 0028): such times are not event times, so they are shown as durations rather than
 * as a second clock. `ms` is the time minus now.
 */
export function span(ms: number): string {
  const m = Math.round(Math.abs(ms) / 60_000);
  const text = m < 1 ? 'under a minute' : m < 120 ? `${m} min` : `${Math.round(m / 60)} h`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

/** `3 h 20 min` from milliseconds (a span of event time); a dash for none. */
export function duration(ms: number | null | undefined): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '–';
  const m = Math.round(ms / 60_000);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}
