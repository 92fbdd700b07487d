import type { TwinEvent } from '../../domain/events.js';
import { DAY_MS } from '../../domain/time.js';
import { SERVICE_CONTACT_INTENTS } from '../../intelligence/anomaly/cell-anomaly-detector.js';
import type { DocumentStore } from '../../store/document-store.js';

/**
 * When each customer last told the operator their service was bad: a call or chat about it
 * (the service-contact intents anomaly detection counts) or a network complaint (a ticket of
 * category network). Service operations reads it to say, per incident, which affected customers
 * were notified before they first called or complained. Each customer's times of the last
 * `horizonMs` (of event time) are one document of the record store, written behind in order, so a
 * restart keeps them.
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
  const horizon = o.horizonMs ?? SERVICE_CONTACT_HORIZON_MS;
  const byCustomer = new Map<string, number[]>();
  let latest = -Infinity;
  let writing: Promise<void> = Promise.resolve();
  return {
    async load() {
      for (const d of await o.store.list()) {
        byCustomer.set(d.customerId, d.times);
        for (const t of d.times) latest = Math.max(latest, t);
      }
    },
    observe(events) {
      const changed = new Set<string>();
      for (const { event, time } of events) {
        if (!isServiceContact(event)) continue;
        latest = Math.max(latest, time);
        const times = byCustomer.get(event.customerId) ?? [];
        if (times.includes(time)) continue;
        times.push(time);
        times.sort((a, b) => a - b);
        byCustomer.set(event.customerId, times);
        changed.add(event.customerId);
      }
      if (changed.size === 0) return;
      const docs: ServiceContacts[] = [];
      for (const id of changed) {
        const kept = byCustomer.get(id)!.filter((t) => t >= latest - horizon);
        byCustomer.set(id, kept);
        docs.push({ customerId: id, times: kept });
      }
      writing = writing
        .then(async () => {
          for (const d of docs) await o.store.put(d.customerId, d);
        })
        .catch((err: Error) => o.onError(err));
    },
    firstContact(customerId, fromMs, toMs) {
      const t = byCustomer.get(customerId)?.find((x) => x >= fromMs && x <= toMs);
      return t ?? null;
    },
    flushed: () => writing,
  };
}
