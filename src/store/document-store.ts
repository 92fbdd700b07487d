import { MAX_PAGE_SIZE, type RecordStore } from './record-store.js';

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
