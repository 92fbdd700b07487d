import type { PeriodUsage } from '../../../twin/twin-period-usage';
import { count, eventDate, percent } from './format';

/** `periodUsage` of a twin (`GET /twins/:id`): the server's own type, not a copy. */
export type { PeriodUsage };

/** How close to its allowance a use is: past it, at 80 % or more, or below (or no allowance). */
export type AllowanceBand = 'over' | 'near' | 'within';

/** One line of the period: what was used, against what, and its band. */
export interface PeriodLine {
  readonly text: string;
  readonly band: AllowanceBand;
}

/** A share of the allowance that is worth an agent's eye before it is passed. */
const NEAR_SHARE = 0.8;

const bandOf = (share: number | null): AllowanceBand => (share === null ? 'within' : share > 1 ? 'over' : share >= NEAR_SHARE ? 'near' : 'within');

function line(used: number, allowance: number, share: number | null, unit: string): PeriodLine {
  if (share === null) return { text: `${count(used)} ${unit} (no allowance given)`, band: 'within' };
  const band = bandOf(share);
  return { text: `${count(used)} ${unit} of ${count(allowance)} ${unit} (${percent(share)})${band === 'over' ? ': over the allowance' : ''}`, band };
}

/**
 * The billing period running, in words for the customer page and the care card: where it starts
 * and how many days it holds, then the data and the voice used against their allowances, each
 * marked over (past 100 %) or near (80 % or more). A customer at 140 % of their data by the 20th
 * is seen the day it happens, not when the month's bill closes it.
 */
export function periodUsageLines(p: PeriodUsage): { period: string; data: PeriodLine; voice: PeriodLine } {
  const since = p.basis === 'since-last-bill' ? `since the bill of ${eventDate(p.from)}` : `since ${eventDate(p.from)} (calendar month: no bill in the last cycle)`;
  return {
    period: `${since}, ${p.days} ${p.days === 1 ? 'day' : 'days'} through ${eventDate(p.through)}`,
    data: line(p.dataMb, p.dataAllowanceMb, p.dataShare, 'MB'),
    voice: line(p.voiceMin, p.voiceAllowanceMin, p.voiceShare, 'min'),
  };
}
