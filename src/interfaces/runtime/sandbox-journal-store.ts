import type { SandboxJournalEntry, SandboxJournalStore } from '../../sandbox/index.js';
import { recordDocuments } from '../../store/document-store.js';
import type { RecordStore } from '../../store/record-store.js';

/** Digits of a journal entry's id: its seq zero-padded, so the record store's id order is seq order. */
const SEQ_DIGITS = 12;

/**
 * The sandbox's journal in the record store: one collection per world (its name, seed, size and
 * first day), one record per act, so a new world in the same data directory starts afresh. The
 * store may open after the world is built (`records` resolves later); nothing is appended before.
 */
export function recordJournalStore(records: Promise<RecordStore>, world: { name: string; seed: number; customers: number; start: string }): SandboxJournalStore {
  const collection = `sandbox-journal:${world.name}:${world.seed}:${world.customers}:${world.start}`;
  const documents = records.then((r) => recordDocuments<SandboxJournalEntry>(r, collection));
  return {
    append: async (entry) => (await documents).put(String(entry.seq).padStart(SEQ_DIGITS, '0'), entry),
    load: async () => (await documents).list(),
  };
}
