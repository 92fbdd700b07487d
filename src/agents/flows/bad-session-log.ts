import type { TwinEvent } from '../../domain/events.js';
import { DAY_MS } from '../../domain/time.js';
import { isBadSession } from '../../intelligence/anomaly/cell-anomaly-detector.js';
import type { DocumentStore } from '../../store/document-store.js';

/**
 * Who had a bad session (a dropped call, a crawling data session: the usage records anomaly
 * detection counts) on which cell, and when. Service operations reads it while an alarm is open to
 * find the customers who are showing the incident, wherever their usage usually comes from: a
 * visitor caught on the failing cell is as hurt as a home customer, and no count of past records
 * says who was visiting when it failed. Each cell's sessions of the last `horizonMs` (of event
 * time) are one document of the record store, written behind in order, so a restart keeps them.
 */

/** A cell's bad sessions (ms, event time; customer), oldest first. */
export interface CellBadSessions {
  cellId: string;
  sessions: { t: number; customerId: string }[];
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
  const horizon = o.horizonMs ?? BAD_SESSION_HORIZON_MS;
  const byCell = new Map<string, { t: number; customerId: string }[]>();
  let latest = -Infinity;
  let writing: Promise<void> = Promise.resolve();
  return {
    async load() {
      for (const d of await o.store.list()) {
        byCell.set(d.cellId, d.sessions);
        for (const s of d.sessions) latest = Math.max(latest, s.t);
      }
    },
    observe(events) {
      const changed = new Set<string>();
      for (const { event, time } of events) {
        if (event.kind !== 'usage' || !event.data.cellId || !isBadSession(event.data)) continue;
        latest = Math.max(latest, time);
        const list = byCell.get(event.data.cellId) ?? [];
        // Sessions mostly arrive in time order: the place to insert is found from the end.
        let i = list.length;
        while (i > 0 && list[i - 1].t > time) i--;
        let dup = false;
        for (let j = i - 1; j >= 0 && list[j].t === time; j--) if (list[j].customerId === event.customerId) dup = true;
        if (dup) continue;
        list.splice(i, 0, { t: time, customerId: event.customerId });
        byCell.set(event.data.cellId, list);
        changed.add(event.data.cellId);
      }
      if (changed.size === 0) return;
      const docs: CellBadSessions[] = [];
      for (const cellId of changed) {
        const kept = byCell.get(cellId)!.filter((s) => s.t >= latest - horizon);
        byCell.set(cellId, kept);
        docs.push({ cellId, sessions: kept });
      }
      writing = writing
        .then(async () => {
          for (const d of docs) await o.store.put(d.cellId, d);
        })
        .catch((err: Error) => o.onError(err));
    },
    customersOn(cellIds, fromMs, toMs) {
      const first = new Map<string, number>();
      for (const cellId of cellIds) {
        for (const s of byCell.get(cellId) ?? []) {
          if (s.t < fromMs || s.t > toMs) continue;
          const seen = first.get(s.customerId);
          if (seen === undefined || s.t < seen) first.set(s.customerId, s.t);
        }
      }
      return [...first].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id);
    },
    flushed: () => writing,
  };
}
