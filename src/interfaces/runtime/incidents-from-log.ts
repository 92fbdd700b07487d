import type { TwinEvent } from '../../domain/events.js';
import { DAY_MS } from '../../domain/time.js';
import type { TwinService } from '../../twin/twin-service.js';
import { IncidentLedger, INCIDENT_HISTORY_DAYS, SPAN_KINDS } from '../../simulation/index.js';
import type { LogConsumer } from './start-log-pass.js';

/** Days of the log's incidents and churn read: the ledger's year and the 30 days its first day's count reads. */
const LOG_DAYS = INCIDENT_HISTORY_DAYS + 30;

/** The consumer of a pass over the log that hands `ledger` its incidents, plan terminations and the events that date a customer's time, of the year (and 30 days) before `untilMs`. */
export function incidentsInto(ledger: IncidentLedger, untilMs: number): LogConsumer {
  return { kinds: SPAN_KINDS, fromMs: untilMs - LOG_DAYS * DAY_MS, untilMs, take: (events) => events.forEach((e) => ledger.add(JSON.parse(e.body) as TwinEvent)) };
}

/** The server's incident ledger, and its consumer of the start's pass over the log. */
export interface KeptIncidentLedger {
  readonly ledger: IncidentLedger;
  readonly fromLog: LogConsumer;
  /** Stops taking the intake's events. */
  detach(): void;
}

/**
 * The lab's incident ledger on the server: every event of its kinds the intake applies from now on
 * (the first start's backfill among them) and, through its consumer of the start's pass over the
 * log (`fromLog`), those of the year before the event clock a restart held already; split by seq, as
 * the billing records are. A network scenario is then run with the effect of an incident the
 * operator's history shows (docs/simulation.md, "The server's lab").
 */
export function keepIncidentLedger(twins: Pick<TwinService, 'intake' | 'engine' | 'appliedSeq'>): KeptIncidentLedger {
  const ledger = new IncidentLedger();
  const throughSeq = twins.appliedSeq();
  const detach = twins.intake.onApplied((batch) => {
    for (const { event: e, seq } of batch) if (seq > throughSeq && SPAN_KINDS.has(e.kind)) ledger.add(e);
  });
  // The log's up to the event clock at start: what the intake applies after comes from the intake.
  return { ledger, fromLog: { ...incidentsInto(ledger, twins.engine.eventClock), untilMs: Infinity }, detach };
}
