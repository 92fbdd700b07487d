import { duration } from './format';

/**
 * The outage settings in force, as `GET /service-operations/incidents` answers them (`settings`):
 * the pages say these values, never a copy of them, so a changed policy reads right everywhere.
 */
export interface OutageSettings {
  readonly actingSeverities: readonly string[];
  readonly watchSeverities: readonly string[];
  readonly compensation: readonly { readonly severity: string; readonly amount: number }[];
  readonly compensateAfterMs: number;
  readonly maxOpenMs: number;
  readonly notificationChannel: string;
  readonly presenceHorizonMs: number;
  readonly showingForMs: number;
  readonly quietSpellMs: number;
  readonly chainReachMs: number;
  readonly confirmSeverities: readonly string[];
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** A setting's span in words: `6 h`, `30 days`, else hours and minutes. */
export function spanText(ms: number): string {
  if (ms > 0 && ms % DAY_MS === 0 && ms >= 2 * DAY_MS) return `${ms / DAY_MS} days`;
  if (ms % HOUR_MS === 0) return `${ms / HOUR_MS} h`;
  return duration(ms);
}

/** `a`, `a or b`, `a, b or c`. */
export function orList(xs: readonly string[]): string {
  return xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} or ${xs[xs.length - 1]}`;
}

/** What a severity's customers are paid, in words: `10 each after 4 h`, or null when the severity is never compensated. */
export function compensationOf(s: Pick<OutageSettings, 'compensation' | 'compensateAfterMs'>, severity: string): string | null {
  const c = s.compensation.find((x) => x.severity === severity);
  return c ? `${c.amount} each after ${spanText(s.compensateAfterMs)}` : null;
}

/** When an outage's customers are compensated, in words: `past 4 h (critical 10, major 5 each)`, or that none is. */
export function compensatedWhen(s: Pick<OutageSettings, 'compensation' | 'compensateAfterMs'>): string {
  if (s.compensation.length === 0) return 'never (no severity is compensated)';
  return `if it lasted past ${spanText(s.compensateAfterMs)} (${s.compensation.map((c) => `${c.severity} ${c.amount}`).join(', ')} each)`;
}
