import type { TwinEvent } from '../domain/events.js';
import { CHANNELS } from '../domain/events.js';
import { seededRandom } from '../domain/seeded-random.js';
import { DAY_MS } from '../domain/time.js';
import { TwinEngine } from './twin-engine.js';

/**
 * A deterministic stream of realistic events for benchmarks and tests of the twin layer:
 * customers registered first, then day by day usage per customer with bills, payments,
 * tickets, interactions and offers mixed in at telco-like rates. (The sandbox operator is the
 * full world; this is the twin layer's own small, dependency-free workload.)
 */
export interface SyntheticOptions {
  customers: number;
  days: number;
  seed?: number;
  /** First day of the history (ms); default 2026-01-01. */
  start?: number;
}

/** The workload's generator, re-exported for the benchmarks that draw their own numbers beside it. */
export { seededRandom };

const iso = (ms: number) => new Date(ms).toISOString();
const date = (ms: number) => iso(ms).slice(0, 10);

/** Yields events in event-time order (day by day), `customers × days` usage events plus the rest. */
export function* syntheticEvents(options: SyntheticOptions): Generator<TwinEvent> {
  const rnd = seededRandom(options.seed ?? 1);
  const start = options.start ?? Date.parse('2026-01-01T00:00:00Z');
  const n = options.customers;
  let seq = 0;
  const id = () => `syn-${options.seed ?? 1}-${++seq}`;
  const level = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    level[c] = 50 + rnd() * 400;
    yield {
      id: id(), kind: 'customer', customerId: `C${c}`, time: iso(start), source: 'synthetic', v: 1,
      data: {
        segment: rnd() < 0.1 ? 'business' : 'consumer', billing: rnd() < 0.3 ? 'prepaid' : 'postpaid',
        contractMonths: [0, 12, 24][Math.floor(rnd() * 3)],
        paymentMethod: (['direct_debit', 'card', 'electronic_check', 'mailed_check'] as const)[Math.floor(rnd() * 4)],
        since: iso(start - Math.floor(rnd() * 2000) * DAY_MS), consent: { marketing: rnd() < 0.6 },
      },
    };
    yield {
      id: id(), kind: 'subscription', customerId: `C${c}`, time: iso(start + 1000), source: 'synthetic', v: 1,
      data: { action: 'activated', subscriptionId: `S${c}`, productKind: 'plan', productId: `plan-${c % 5}`, monthlyPrice: 20 + (c % 5) * 10, dataAllowanceMb: 5000 * (1 + (c % 5)), voiceAllowanceMin: 500 },
    };
  }
  for (let d = 0; d < options.days; d++) {
    const day = start + d * DAY_MS;
    for (let c = 0; c < n; c++) {
      const t = day + 3_600_000 + Math.floor(rnd() * 20 * 3_600_000);
      const customerId = `C${c}`;
      yield {
        id: id(), kind: 'usage', customerId, time: iso(t), source: 'synthetic', v: 1,
        data: { subscriptionId: `S${c}`, dataMb: Math.round(level[c] * (0.5 + rnd()) * 10) / 10, voiceMin: Math.round(rnd() * 600) / 10, sms: Math.floor(rnd() * 5), roaming: rnd() < 0.02 },
      };
      const r = rnd();
      if (r < 0.004) {
        yield { id: id(), kind: 'ticket', customerId, time: iso(t + 1), source: 'synthetic', v: 1, data: { ticketId: `T${seq}`, action: 'opened', category: 'billing', severity: 'medium', complaint: rnd() < 0.5 } };
      } else if (r < 0.012) {
        yield { id: id(), kind: 'interaction', customerId, time: iso(t + 1), source: 'synthetic', v: 1, data: { channel: CHANNELS[Math.floor(rnd() * CHANNELS.length)], intent: 'browse', phase: 'start' } };
      } else if (r < 0.014) {
        yield { id: id(), kind: 'offer', customerId, time: iso(t + 1), source: 'synthetic', v: 1, data: { action: rnd() < 0.3 ? 'accepted' : 'declined', offerId: 'retention-10', channel: 'app' } };
      }
      if (d % 30 === 29) {
        const amount = 20 + (c % 5) * 10 + (rnd() < 0.2 ? 7.5 : 0);
        yield {
          id: id(), kind: 'bill', customerId, time: iso(t + 2), source: 'synthetic', v: 1,
          data: { billId: `B${c}-${d}`, periodStart: date(day - 29 * DAY_MS), periodEnd: date(day), amount, lines: [{ type: 'plan', amount: 20 + (c % 5) * 10 }, ...(amount % 10 ? [{ type: 'overage' as const, amount: 7.5 }] : [])] },
        };
        const late = rnd() < 0.1 ? Math.floor(rnd() * 20) : 0;
        yield {
          id: id(), kind: 'payment', customerId, time: iso(t + 3), source: 'synthetic', v: 1,
          data: rnd() < 0.02
            ? { status: 'failed', billId: `B${c}-${d}`, amount, dueDate: date(day + 14 * DAY_MS), failureReason: 'insufficient funds' }
            : { status: 'paid', billId: `B${c}-${d}`, amount, dueDate: date(day + 14 * DAY_MS), paidDate: date(day + (14 + late) * DAY_MS) },
        };
      }
    }
  }
}

/** A twin engine in memory holding `syntheticEvents(options)`, each applied as the intake would (those its check refuses left out). */
export function syntheticEngine(options: SyntheticOptions): TwinEngine {
  const engine = new TwinEngine();
  for (const e of syntheticEvents(options)) {
    const time = Date.parse(e.time);
    if (engine.check(e, time, engine.gate(e.customerId)).ok) engine.apply(e, time);
  }
  return engine;
}
