import type { TwinEvent } from '../../domain/events.js';
import { DAY_MS } from '../../domain/time.js';
import { isBadSession } from '../../intelligence/anomaly/cell-anomaly-detector.js';
import type { DocumentStore } from '../../store/document-store.js';
import { createKeptTimeLog } from './kept-time-log.js';

/**
 * Who had a bad session (a dropped call, a crawling data session: the usage records anomaly
 * detection counts) on which cell, and when. Service operations reads it while an alarm is open to
 * find the customers who are showing the incident, wherever their usage usually comes from: a
 * visitor caught on the failing cell is as hurt as a home customer, and no count of past records
 * says who was visiting when it failed. Each cell's sessions of the last `horizonMs` (of event
 * time) are one document of the record store, kept by `kept-time-log.ts`.
 */

/** A bad session: when (ms, event time) and whose. */
type BadSession = { t: number; customerId: string };

/** A cell's bad sessions, oldest first (the log's document per cell). */
export interface CellBadSessions {
  cellId: string;
  sessions: BadSession[];
}

/** The log: fed with applied events, read by cells and time window. */
export interface BadSessionLog {
  /** Loads what the store kept (once, at start). */
  load(): Promise<void>;
  /** Notes the bad sessions among applied events (the intake's `onApplied`). */
  observe(events: readonly { event: TwinEvent; time: number }[]): void;
  /** Customers with a bad session on any of `cellIds` in [fromMs, toMs], first first. */
  customersOn(cellIds: readonly string[], fromMs: number, toMs: number): string[];
  /** Resolves once every change so far is written. */
  flushed(): Promise<void>;
}

/**
 * How long sessions are kept: service operations reads each alarm's window as it goes (every
 * quarter of an hour while the alarm is young), so two days ride out a long stop of the server.
 */
export const BAD_SESSION_HORIZON_MS = 2 * DAY_MS;

/** Opens the log over a document store (`recordDocuments(records, 'bad-sessions')` in the server). */
export function createBadSessionLog(o: { store: DocumentStore<CellBadSessions>; horizonMs?: number; onError: (err: Error) => void }): BadSessionLog {
  const log = createKeptTimeLog<CellBadSessions, BadSession>({
    store: o.store,
    horizonMs: o.horizonMs ?? BAD_SESSION_HORIZON_MS,
    codec: { toDoc: (cellId, sessions) => ({ cellId, sessions: [...sessions] }), fromDoc: (d) => ({ key: d.cellId, entries: d.sessions }), same: (a, b) => a.customerId === b.customerId },
    onError: o.onError,
  });
  return {
    load: () => log.load(),
    observe(events) {
      const sessions: [string, BadSession][] = [];
      for (const { event, time } of events) if (event.kind === 'usage' && event.data.cellId && isBadSession(event.data)) sessions.push([event.data.cellId, { t: time, customerId: event.customerId }]);
      log.note(sessions);
    },
    customersOn(cellIds, fromMs, toMs) {
      const first = new Map<string, number>();
      for (const cellId of cellIds) {
        for (const s of log.entries(cellId)) {
          if (s.t < fromMs || s.t > toMs) continue;
          const seen = first.get(s.customerId);
          if (seen === undefined || s.t < seen) first.set(s.customerId, s.t);
        }
      }
      return [...first].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id);
    },
    flushed: () => log.flushed(),
  };
}
