import type { TwinEvent } from '../../domain/events.js';
import { seededRandom, syntheticEvents, type SyntheticOptions } from '../../twin/synthetic-events.js';
import { DAY_MS } from '../../domain/time.js';

/** Base daily churn hazard: about 1 % a month before the multipliers, a typical postpaid churn rate. */
const BASE_DAILY_HAZARD = 0.0003;

/**
 * The twin layer's synthetic stream with churn that has a learnable cause, for the live-scoring
 * tests and the scoring benchmark: a fifth of the customers are "unhappy" (they complain often
 * and leave six times as often), month-to-month contracts double the hazard, and a complaint in
 * the last 30 days multiplies it by five. A churned customer's plan is terminated and its later events dropped.
 * (The sandbox operator is the realistic world; this is a small, fast, dependency-free one.)
 */
export function* syntheticChurnEvents(options: SyntheticOptions): Generator<TwinEvent> {
  const rnd = seededRandom((options.seed ?? 1) * 7 + 3);
  const unhappy = new Map<string, boolean>();
  const monthToMonth = new Map<string, boolean>();
  const lastComplaint = new Map<string, number>();
  const gone = new Set<string>();
  let n = 0;
  for (const e of syntheticEvents(options)) {
    if (gone.has(e.customerId)) continue;
    if (e.kind === 'customer') {
      unhappy.set(e.customerId, rnd() < 0.2);
      monthToMonth.set(e.customerId, e.data.contractMonths === 0);
    }
    yield e;
    if (e.kind !== 'usage') continue;
    const t = Date.parse(e.time);
    const c = e.customerId;
    const sad = unhappy.get(c) ?? false;
    if (rnd() < (sad ? 0.02 : 0.002)) {
      lastComplaint.set(c, t);
      yield { id: `churn-${options.seed ?? 1}-${++n}`, kind: 'ticket', customerId: c, time: new Date(t + 5).toISOString(), source: 'synthetic', v: 1, data: { ticketId: `CT${n}`, action: 'opened', category: 'service', severity: 'high', complaint: true } };
    }
    const recent = t - (lastComplaint.get(c) ?? -Infinity) < 30 * DAY_MS;
    const hazard = BASE_DAILY_HAZARD * (sad ? 6 : 1) * (monthToMonth.get(c) ? 2 : 1) * (recent ? 5 : 1);
    if (rnd() < hazard) {
      gone.add(c);
      yield { id: `churn-${options.seed ?? 1}-${++n}`, kind: 'subscription', customerId: c, time: new Date(t + 10).toISOString(), source: 'synthetic', v: 1, data: { action: 'terminated', subscriptionId: `S${c.slice(1)}`, productKind: 'plan', reason: 'moved to competitor' } };
    }
  }
}
