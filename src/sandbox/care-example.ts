import { DAY_MS } from '../domain/time.js';
import { AGENDA } from './agenda.js';
import { STATUS_ACTIVE } from './population.js';
import { activeSlot, type EffectResult } from './world-effects.js';
import type { WorldEngine } from './world-engine.js';

/** What `stageCareExample` did, for the person who asked. */
export interface CareExample {
  customerId: string;
  planId: string;
  /** Monthly price of the customer's plan (what makes them valuable). */
  monthlyPrice: number;
  dataAllowanceMb: number;
  /** Data of the current period once the overuse is in, in MB. */
  periodDataMb: number;
  ticketId: string;
  /** Simulated time the complaint call started. */
  at: string;
  /**
   * Simulated time the call is held until (its start's `endsBy`): `STAGED_CALL_REAL_MS` of people's
   * time at the world's pace; null when staged without one (a journal entry of before).
   */
  endsBy: string | null;
  /** How long the call is held in people's time (ms of the wall clock), or null with no `endsBy`. */
  heldRealMs: number | null;
  eventIds: string[];
}

/** The smallest monthly price of a customer the example picks: a high-value one (the intents' `high-value` is ARPU ≥ 60). */
const HIGH_VALUE_PRICE = 60;
/** The overuse: the current period's data brought to this multiple of the allowance. */
const OVERUSE = 1.25;
/**
 * How long the staged call goes on in people's time (wall clock): a person reads the card, talks
 * with the customer and accepts an offer in minutes. The world runs at its pace meanwhile (at
 * 3,600x these are 37.5 simulated days), and a call whose end is never seen counts as ended 2 h of
 * event time after it began (2 s at 3,600x): the staged call says until when instead (`endsBy`).
 */
export const STAGED_CALL_REAL_MS = 15 * 60_000;
/** Usage records hold at most 1 TB; plans with larger allowances cannot show overuse in one record. */
const MAX_ALLOWANCE_MB = 400_000;

/**
 * The brief's care example, made to happen to a real customer of the world now: a high-value
 * postpaid customer who consents to marketing runs over their data allowance (a usage record
 * of today's heavy use, and a usage level that stays high), complains about the bill, and calls
 * (a `billing_complaint` call starting now, with a billing complaint ticket). The twin then holds
 * a complaint and data overuse, so the next-best-action on the agent desktop can propose the
 * data bonus. `customerId` picks the customer; otherwise the world picks the riskiest who fits.
 * `pace`: the world's simulated ms per real ms (its live speed), which holds the call for
 * `STAGED_CALL_REAL_MS` of people's time; `heldMs` instead: the simulated ms a journaled staging held it.
 */
export function stageCareExample(w: WorldEngine, customerId?: string, held: { pace: number } | { heldMs: number | undefined } = { pace: 1 }): EffectResult<CareExample> {
  const pick = customerId === undefined ? firstFitting(w) : checkFits(w, customerId);
  if (!pick.ok) return pick;
  const c = pick.value;
  const { pop, cfg } = w;
  const plan = cfg.plans[pop.plan[c]];
  const now = w.nowIso();
  const day = w.currentDay();
  const eventIds: string[] = [];
  const emit = (e: Parameters<WorldEngine['emitNow']>[0]) => {
    eventIds.push(e.id);
    w.emitNow(e);
  };
  // Today's heavy use brings the period over the allowance; the level stays high from now on.
  const periodTarget = plan.dataAllowanceMb * OVERUSE;
  const extraMb = Math.max(1, Math.round((periodTarget - pop.f.cycleDataMb[c]) * 10) / 10);
  pop.f.cycleDataMb[c] += extraMb;
  pop.f.dataLevel[c] = Math.max(pop.f.dataLevel[c], (plan.dataAllowanceMb * OVERUSE) / 30);
  pop.f.growth[c] = 1;
  const cell = pop.i.homeCell[c];
  emit(w.ev(c, now, 'usage', { subscriptionId: pop.subscriptionIds[c], dataMb: extraMb, voiceMin: 0, sms: 0, roaming: false, cellId: w.cellNames[cell], siteId: w.siteNames[cell] }));
  // The call and its complaint ticket, as the world's own complaints arrive; resolved in three days.
  const ticketId = 'T' + ++w.counters.tickets;
  // Marked as staged: the agent desktop keeps its card until taken, however many of the world's calls go by;
  // held for a person's minutes, as the world's calls are not (they send no end: 2 h of event time).
  const heldMs = 'pace' in held ? Math.round(STAGED_CALL_REAL_MS * held.pace) : held.heldMs;
  const endsBy = heldMs === undefined ? undefined : new Date(Date.parse(now) + heldMs).toISOString();
  emit(w.ev(c, now, 'interaction', { channel: 'call', intent: 'billing_complaint', phase: 'start', context: { staged: 'care-example' }, ...(endsBy ? { endsBy } : {}) }));
  // The customer stays on this call until then: the world starts no other contact of theirs meanwhile.
  if (endsBy) w.holdLine(c, Date.parse(now), Date.parse(endsBy));
  // About this period's data, the overuse staged above: the last bill's overage may have been voice
  // or none (it said "the last bill charged for data", which that bill did not always show).
  emit(w.ev(c, now, 'ticket', { ticketId, action: 'opened', category: 'billing', severity: 'medium', complaint: true, text: 'I am over my data allowance again this month and afraid of what the next bill will charge; I keep running out.' }));
  w.bumpScore(pop.f.complaintScore, pop.i.complaintDay, c, day, 1);
  w.agenda.add(day + 3, 36000, AGENDA.TICKET_RESOLVE, c, 1, 1, ticketId, 'billing');
  return {
    ok: true,
    value: { customerId: pop.customerIds[c], planId: plan.id, monthlyPrice: w.planPrices[pop.plan[c]], dataAllowanceMb: plan.dataAllowanceMb, periodDataMb: Math.round(pop.f.cycleDataMb[c]), ticketId, at: now, endsBy: endsBy ?? null, heldRealMs: 'pace' in held ? STAGED_CALL_REAL_MS : null, eventIds },
  };
}

/** Why customer slot `c` cannot be the example, or null when it fits. */
function misfit(w: WorldEngine, c: number): string | null {
  const { pop, cfg } = w;
  const plan = cfg.plans[pop.plan[c]];
  if (pop.u.status[c] !== STATUS_ACTIVE) return 'has left';
  if (pop.u.prepaid[c]) return 'is prepaid (no bill to complain about)';
  if (w.planPrices[pop.plan[c]] < HIGH_VALUE_PRICE) return `pays ${w.planPrices[pop.plan[c]]} a month, under the ${HIGH_VALUE_PRICE} of a high-value customer`;
  if (!(plan.dataAllowanceMb > 0 && plan.dataAllowanceMb <= MAX_ALLOWANCE_MB)) return `has a data allowance (${plan.dataAllowanceMb} MB) whose overuse one record cannot show`;
  if (!w.consentOf(c).marketing) return 'does not consent to marketing';
  // A customer who joined in the last 30 days has no month of history for the twin to read.
  if (pop.f.sinceMs[c] > w.clock.now() - 30 * DAY_MS) return 'joined less than 30 days ago';
  return null;
}

function checkFits(w: WorldEngine, customerId: string): EffectResult<number> {
  const slot = activeSlot(w, customerId);
  if (!slot.ok) return slot;
  const why = misfit(w, slot.value);
  return why === null ? slot : { ok: false, reason: `customer ${customerId} ${why}: the care example needs a high-value postpaid customer with a data plan who consents to marketing` };
}

/**
 * The customer who fits with the highest churn hazard now (the world's own truth: a customer for
 * whom the call matters, so the offer is worth its cost), leaving out those who complained in the
 * last week, so that each run stages it on someone new.
 */
function firstFitting(w: WorldEngine): EffectResult<number> {
  const { pop } = w;
  const today = w.currentDay();
  let best = -1;
  for (let c = 0; c < pop.size; c++) {
    if (pop.i.complaintDay[c] > today - 7 && pop.f.complaintScore[c] > 0) continue;
    if ((best < 0 || pop.f.monthlyHazard[c] > pop.f.monthlyHazard[best]) && misfit(w, c) === null) best = c;
  }
  return best >= 0 ? { ok: true, value: best } : { ok: false, reason: 'no active customer fits the care example (high-value postpaid, with a data plan, consenting to marketing, no complaint this week)' };
}
