import { MAX_PAGE_SIZE, versionConflict, type RecordStore } from './record-store.js';

/**
 * Documents of one kind by id, whole: the shape in which intents and simulation runs are kept.
 * The record store gives it durability (`recordDocuments`); `memoryDocuments` serves tests.
 */
export interface DocumentStore<T> {
  put(id: string, doc: T): Promise<void>;
  get(id: string): Promise<T | undefined>;
  /** Every document, in id order. */
  list(): Promise<T[]>;
}

/** One collection of the record store as a document store (last write wins; `list` pages through all). */
export function recordDocuments<T>(records: RecordStore, collection: string): DocumentStore<T> {
  return {
    async put(id, doc) {
      await records.put(collection, id, doc);
    },
    async get(id) {
      return (await records.get<T>(collection, id))?.body;
    },
    async list() {
      const out: T[] = [];
      for (let after: string | undefined; ; ) {
        const page = await records.list<T>(collection, { after, limit: MAX_PAGE_SIZE });
        for (const r of page) out.push(r.body);
        if (page.length < MAX_PAGE_SIZE) return out;
        after = page[page.length - 1].id;
      }
    },
  };
}

/** Documents in memory; copies on the way in and out, like a real store. */
export function memoryDocuments<T>(): DocumentStore<T> {
  const docs = new Map<string, T>();
  return {
    async put(id, doc) {
      docs.set(id, structuredClone(doc));
    },
    async get(id) {
      const doc = docs.get(id);
      return doc === undefined ? undefined : structuredClone(doc);
    },
    async list() {
      return [...docs.keys()].sort().map((id) => structuredClone(docs.get(id)!));
    },
  };
}

/** A document with the version it was read at: what a compare-and-set write names. */
export interface VersionedDocument<T> {
  readonly version: number;
  readonly body: T;
}

/**
 * Documents written only over the version their writer read (compare and set): two writers that
 * read one version cannot both write over it, the second is CONFLICT and reads again. What the
 * record store's `expectedVersion` gives every adapter (SQLite, PostgreSQL), across processes.
 */
export interface VersionedDocuments<T> {
  get(id: string): Promise<VersionedDocument<T> | undefined>;
  /** Writes `doc` if the stored version is still `expectedVersion` (0: none yet); CONFLICT otherwise. */
  put(id: string, doc: T, expectedVersion: number): Promise<void>;
}

/** One collection of the record store, written by compare and set. */
export function recordVersioned<T>(records: RecordStore, collection: string): VersionedDocuments<T> {
  return {
    async get(id) {
      const r = await records.get<T>(collection, id);
      return r ? { version: r.version, body: r.body } : undefined;
    },
    async put(id, doc, expectedVersion) {
      await records.put(collection, id, doc, { expectedVersion });
    },
  };
}

/** Versioned documents in memory (tests, a store-less executor); CONFLICT as the record store says it. */
export function memoryVersioned<T>(collection = 'memory'): VersionedDocuments<T> {
  const docs = new Map<string, VersionedDocument<T>>();
  return {
    async get(id) {
      const d = docs.get(id);
      return d === undefined ? undefined : { version: d.version, body: structuredClone(d.body) };
    },
    async put(id, doc, expectedVersion) {
      const current = docs.get(id)?.version ?? 0;
      if (current !== expectedVersion) throw versionConflict(collection, id, expectedVersion, current);
      docs.set(id, { version: current + 1, body: structuredClone(doc) });
    },
  };
}
