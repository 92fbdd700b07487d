import { DAY_MS } from '../domain/time.js';
import { monthToMonthIdx } from './customer-factory.js';
import { STATUS_ACTIVE } from './population.js';
import { slotDayDie } from './prng.js';
import { daysInMonths } from './sim-time.js';
import type { WorldState } from './world-state.js';

/**
 * Contract ends (`renewals` in the world document, docs/sandbox.md): when each fixed-term contract
 * ends, and the decision the customer makes that day, drawn from the hidden churn model.
 */

/** Mixed into the renewal die's hash ('rnew'), so it coincides with no other hash of a customer slot. */
const RENEWAL_SALT = 0x726e6577;

/** The term (months) of customer `c`'s contract in force; 0 for month-to-month. */
function termMonths(w: WorldState, c: number): number {
  return w.cfg.population.contracts[w.pop.u.contractIdx[c]].months;
}

/**
 * Sets the day (counted from the world's start) customer `c`'s contract ends, -1 for none: a
 * whole number of terms after `since`, the first at or after `nowMs` (a joiner's: one term after
 * joining). A world without `renewals` keeps -1 for everyone.
 */
export function setContractEnd(w: WorldState, c: number, nowMs: number): void {
  const months = termMonths(w, c);
  const end = w.pop.i.contractEndDay;
  if (!w.cfg.renewals || months === 0) {
    end[c] = -1;
    return;
  }
  const since = new Date(w.pop.f.sinceMs[c]);
  // The same calendar day `terms` terms after `since` (a day past the month's end rolls over), at midnight.
  const endMs = (terms: number) => Date.UTC(since.getUTCFullYear(), since.getUTCMonth() + terms * months, since.getUTCDate());
  let terms = 1;
  while (endMs(terms) < nowMs) terms++;
  end[c] = Math.floor((endMs(terms) - w.startMs) / DAY_MS);
}

/** `YYYY-MM-DD` of customer `c`'s contract end, or undefined when it has none. */
export function contractEndOf(w: WorldState, c: number): string | undefined {
  const day = w.pop.i.contractEndDay[c];
  return day >= 0 ? w.dateOf(day) : undefined;
}

/**
 * Every active customer whose contract ends on day `d` decides, at `time`: leave (a `subscription
 * terminated`, reason `contract_end`), renew for the same term (a `customer` event naming the next
 * end) or roll on month to month (a `customer` event with `contractMonths: 0`, the hazard of a
 * month-to-month customer from then on). One die per customer and day, a hash of the seed, the slot
 * and the day: no draw of the world's streams moves.
 */
export function runContractEnds(w: WorldState, d: number, time: string): void {
  const renewals = w.cfg.renewals;
  if (!renewals) return;
  const { pop } = w;
  const end = pop.i.contractEndDay;
  const monthToMonth = monthToMonthIdx(w.cfg);
  for (let c = 0; c < pop.size; c++) {
    if (end[c] !== d || pop.u.status[c] !== STATUS_ACTIVE) continue;
    // Out of the lock-in, the customer weighs leaving as a month-to-month customer would.
    const stays = staysAtContractEnd(w, w.hazardOf(c, d, { contractLogit: w.cfg.population.contracts[monthToMonth].churnLogit }));
    const u = slotDayDie(w.seedOn(d), RENEWAL_SALT, c, d);
    if (u < 1 - stays) {
      end[c] = -1;
      w.terminate(w.out, c, d, time, 'contract_end');
      continue;
    }
    if (u < 1 - stays + stays * renewals.renew * stays) {
      end[c] = d + daysInMonths(w.startMs + d * DAY_MS, termMonths(w, c));
    } else {
      pop.u.contractIdx[c] = monthToMonth;
      end[c] = -1;
      pop.u.dirty[c] = 1;
    }
    w.out.event(w.ev(c, time, 'customer', w.profileOf(c)));
  }
}

/**
 * Whether the world draws customer `c`'s renewal decision in the `days` days from `day` on: its
 * contract ends in that window and the world has `renewals` (false without). Not the twins'
 * `contractEndsWithin` (intelligence/contract-end.ts), which reads a twin's days left.
 */
export function renewalDecisionWithin(w: WorldState, c: number, day: number, days: number): boolean {
  const end = w.pop.i.contractEndDay[c];
  return Boolean(w.cfg.renewals) && end >= day && end < day + days;
}

/**
 * The chance to stay through a contract's end given the monthly hazard `monthToMonthHazard` the
 * customer has out of the lock-in: the decision `runContractEnds` draws (held over `churnHazardMonths`).
 */
export function staysAtContractEnd(w: WorldState, monthToMonthHazard: number): number {
  return w.cfg.renewals ? Math.pow(1 - monthToMonthHazard, w.cfg.renewals.churnHazardMonths) : 1;
}
