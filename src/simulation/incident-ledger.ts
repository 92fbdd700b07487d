import type { TwinEvent } from '../domain/events.js';
import { DAY_MS } from '../domain/time.js';
import { estimateIncidentEffect, type CustomerSpan, type ImpactRecord, type IncidentEffect } from './incident-rates.js';

/**
 * What the operator's own events say of its network's incidents and its customers' time with it,
 * kept as they arrive: the history `estimateIncidentEffect` learns an incident's effect on churn
 * from, as `simulate validate` learns it from the history it generated (docs/simulation.md, "The
 * server's lab"). Without it the server's lab re-scored a network fix's customers with the churn
 * model, which on the default world had learned no effect of an incident: "fix the worst cells"
 * treated 495 customers and avoided exactly 0 churners, interval [0, 0].
 */

/** Days of history kept: a year, as the first start's backfill holds and `simulate validate` learns from. */
export const INCIDENT_HISTORY_DAYS = 365;
/**
 * Days before the kept history whose incidents are kept too: a day's count reads the 30 before it
 * (`estimateIncidentEffect`'s window), so the first kept day needs them.
 */
const LOOKBACK_DAYS = 30;

/**
 * The kinds of event the ledger takes: those that date a customer's time with the network (their
 * registration, plans, monthly bills and top-ups: every active customer has some each month), the
 * incidents they felt, and their plans' ends (their churn).
 */
export const SPAN_KINDS: ReadonlySet<string> = new Set(['customer', 'subscription', 'bill', 'topup', 'network_impact']);

/** A customer's time on the network as its events show it: first seen, and when its plan ended. */
interface Span {
  fromMs: number;
  churnedAt?: number;
}

/** The effect learned from the kept history, with how much history it read. */
export interface LearnedIncidentEffect extends IncidentEffect {
  /** Days of history it read (at most `INCIDENT_HISTORY_DAYS`). */
  readonly days: number;
}

export class IncidentLedger {
  private impacts: ImpactRecord[] = [];
  private readonly spans = new Map<string, Span>();
  private newestMs = -Infinity;
  private pruneAt = 1024;

  constructor(private readonly keepDays = INCIDENT_HISTORY_DAYS) {}

  /**
   * Takes one event of `SPAN_KINDS` (others are ignored): each dates the customer's time with the
   * network; a `network_impact` is an incident they felt (its start); a plan's termination is their
   * churn, as `simulate validate` reads it. Safe to repeat and in any order (an incident counts once
   * per customer, a span only widens), so the log's events and the intake's may overlap.
   */
  add(e: TwinEvent): void {
    if (!SPAN_KINDS.has(e.kind)) return;
    const t = Date.parse(e.time);
    this.seen(e.customerId, t);
    if (e.kind === 'network_impact') {
      this.impacts.push({ customerId: e.customerId, incidentId: e.data.incidentId, cellId: e.data.cellId, startMs: Date.parse(e.data.start) });
      if (this.impacts.length >= this.pruneAt) this.prune();
    } else if (e.kind === 'subscription' && e.data.action === 'terminated' && e.data.productKind === 'plan') {
      const span = this.spans.get(e.customerId)!;
      span.churnedAt = Math.min(span.churnedAt ?? Infinity, t);
    }
  }

  private seen(customerId: string, timeMs: number): void {
    if (timeMs > this.newestMs) this.newestMs = timeMs;
    const span = this.spans.get(customerId);
    if (!span) this.spans.set(customerId, { fromMs: timeMs });
    else if (timeMs < span.fromMs) span.fromMs = timeMs;
  }

  /** Incident records kept. */
  get size(): number {
    return this.impacts.length;
  }

  /**
   * An incident's effect on churn over the kept history up to `untilMs` (`estimateIncidentEffect`:
   * every customer-day classed by the incidents felt in the 30 days before it), or undefined when
   * the history holds no churn or no incident to learn it from.
   */
  effect(untilMs: number): LearnedIncidentEffect | undefined {
    const fromMs = untilMs - this.keepDays * DAY_MS;
    const spans = new Map<string, CustomerSpan>();
    let first = Infinity;
    for (const [id, s] of this.spans) {
      const churned = s.churnedAt !== undefined && s.churnedAt <= untilMs;
      // Customers still here are followed to `untilMs`, as `simulate validate` follows them to its cutoff.
      const to = churned ? s.churnedAt! : untilMs;
      const from = Math.max(s.fromMs, fromMs);
      if (to < fromMs || from > to) continue;
      if (from < first) first = from;
      spans.set(id, { fromMs: from, toMs: to, churned });
    }
    const impacts = this.impacts.filter((r) => r.startMs >= fromMs - LOOKBACK_DAYS * DAY_MS && r.startMs <= untilMs);
    if (spans.size === 0 || impacts.length === 0) return undefined;
    const e = estimateIncidentEffect(impacts, spans);
    if (e.churnsExposed + e.churnsUnexposed === 0 || e.daysExposed === 0) return undefined;
    return { ...e, days: Math.round((untilMs - first) / DAY_MS) };
  }

  private prune(): void {
    const from = this.newestMs - (this.keepDays + LOOKBACK_DAYS) * DAY_MS;
    this.impacts = this.impacts.filter((r) => r.startMs >= from);
    this.pruneAt = Math.max(1024, 2 * this.impacts.length);
  }
}
