import type { DocumentStore } from '../../store/document-store.js';

/**
 * The one way service operations keeps a bounded log of timed entries per key (a cell's bad
 * sessions, a customer's calls about their service): each key's entries in time order (event
 * time), an entry noted again (a redelivered event) kept once, and those older than `horizonMs`
 * behind the newest entry of any key dropped from a key whenever it changes. Each key's entries
 * are one document of a document store, written behind in the order of the changes, so a restart
 * keeps them; a failed write is reported and written again with the next entries noted.
 */

/** An entry of the log: its time (ms, event time) and what else the log keeps of it. */
export interface TimedEntry {
  t: number;
}

/** A log of timed entries per key over a document store. */
export interface KeptTimeLog<E extends TimedEntry> {
  /** Loads what the store kept (once, at start). */
  load(): Promise<void>;
  /** Notes entries (each under its key) and writes the keys that changed behind. */
  note(entries: Iterable<readonly [key: string, entry: E]>): void;
  /** A key's entries, oldest first (empty for an unknown key). */
  entries(key: string): readonly E[];
  /** Resolves once every change so far is written. */
  flushed(): Promise<void>;
}

/** How a log's entries become its documents and back (each log keeps the document shape it always wrote). */
export interface TimeLogCodec<D, E extends TimedEntry> {
  toDoc(key: string, entries: readonly E[]): D;
  fromDoc(doc: D): { key: string; entries: E[] };
  /** Whether two entries of the same time are one (the same event noted twice). */
  same(a: E, b: E): boolean;
}

/** Opens a log over `store`, keeping `horizonMs` of event time behind the newest entry. */
export function createKeptTimeLog<D, E extends TimedEntry>(o: { store: DocumentStore<D>; horizonMs: number; codec: TimeLogCodec<D, E>; onError: (err: Error) => void }): KeptTimeLog<E> {
  const byKey = new Map<string, E[]>();
  let latest = -Infinity;
  let writing: Promise<void> = Promise.resolve();
  /** Each key's latest document not written yet (a failed write's stays until a later pass writes it). */
  const unwritten = new Map<string, D>();
  return {
    async load() {
      for (const d of await o.store.list()) {
        const { key, entries } = o.codec.fromDoc(d);
        byKey.set(key, entries);
        for (const e of entries) latest = Math.max(latest, e.t);
      }
    },
    note(entries) {
      const changed = new Set<string>();
      for (const [key, entry] of entries) {
        latest = Math.max(latest, entry.t);
        const list = byKey.get(key) ?? [];
        // Entries mostly arrive in time order: the place to insert is found from the end.
        let i = list.length;
        while (i > 0 && list[i - 1].t > entry.t) i--;
        let dup = false;
        for (let j = i - 1; j >= 0 && list[j].t === entry.t; j--) if (o.codec.same(list[j], entry)) dup = true;
        if (dup) continue;
        list.splice(i, 0, entry);
        byKey.set(key, list);
        changed.add(key);
      }
      // What a failed write left is tried again with the next entries, changed or not.
      if (changed.size === 0 && unwritten.size === 0) return;
      for (const key of changed) {
        const kept = byKey.get(key)!.filter((e) => e.t >= latest - o.horizonMs);
        byKey.set(key, kept);
        unwritten.set(key, o.codec.toDoc(key, kept));
      }
      writing = writing
        .then(async () => {
          for (const [key, doc] of [...unwritten]) {
            await o.store.put(key, doc);
            // A later change of the key made a newer document meanwhile: that one is still to write.
            if (unwritten.get(key) === doc) unwritten.delete(key);
          }
        })
        .catch((err: Error) => o.onError(err));
    },
    entries: (key) => byKey.get(key) ?? [],
    flushed: () => writing,
  };
}
