import type { TwinEvent } from '../../domain/events.js';
import { DAY_MS } from '../../domain/time.js';
import { SERVICE_CONTACT_INTENTS } from '../../intelligence/anomaly/cell-anomaly-detector.js';
import type { DocumentStore } from '../../store/document-store.js';
import { createKeptTimeLog } from './kept-time-log.js';

/**
 * When each customer last told the operator their service was bad: a call or chat about it
 * (the service-contact intents anomaly detection counts) or a network complaint (a ticket of
 * category network). Service operations reads it to say, per incident, which affected customers
 * were notified before they first called or complained. Each customer's times of the last
 * `horizonMs` (of event time) are one document of the record store, kept by `kept-time-log.ts`.
 */

/** A customer's service contacts (ms, event time), oldest first. */
export interface ServiceContacts {
  customerId: string;
  times: number[];
}

/** The log: fed with applied events, read by incident. */
export interface ServiceContactLog {
  /** Loads what the store kept (once, at start). */
  load(): Promise<void>;
  /** Notes the service contacts among applied events (the intake's `onApplied`). */
  observe(events: readonly { event: TwinEvent; time: number }[]): void;
  /** The customer's first service contact in [fromMs, toMs], or null. */
  firstContact(customerId: string, fromMs: number, toMs: number): number | null;
  /** Resolves once every change so far is written. */
  flushed(): Promise<void>;
}

/** How long contacts are kept: an incident's contacts are read until a week after it clears, and incidents last days at most. */
export const SERVICE_CONTACT_HORIZON_MS = 30 * DAY_MS;

/** Whether an event is a customer telling the operator their service is bad. */
export function isServiceContact(event: TwinEvent): boolean {
  if (event.kind === 'interaction') return event.data.phase !== 'end' && SERVICE_CONTACT_INTENTS.has(event.data.intent);
  return event.kind === 'ticket' && event.data.action === 'opened' && event.data.category === 'network';
}

/** Opens the log over a document store (`recordDocuments(records, 'service-contacts')` in the server). */
export function createServiceContactLog(o: { store: DocumentStore<ServiceContacts>; horizonMs?: number; onError: (err: Error) => void }): ServiceContactLog {
  const log = createKeptTimeLog<ServiceContacts, { t: number }>({
    store: o.store,
    horizonMs: o.horizonMs ?? SERVICE_CONTACT_HORIZON_MS,
    codec: { toDoc: (customerId, entries) => ({ customerId, times: entries.map((e) => e.t) }), fromDoc: (d) => ({ key: d.customerId, entries: d.times.map((t) => ({ t })) }), same: () => true },
    onError: o.onError,
  });
  return {
    load: () => log.load(),
    observe(events) {
      const contacts: [string, { t: number }][] = [];
      for (const { event, time } of events) if (isServiceContact(event)) contacts.push([event.customerId, { t: time }]);
      log.note(contacts);
    },
    firstContact(customerId, fromMs, toMs) {
      return log.entries(customerId).find((e) => e.t >= fromMs && e.t <= toMs)?.t ?? null;
    },
    flushed: () => log.flushed(),
  };
}
