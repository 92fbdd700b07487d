import { TwinloopError } from '../../domain/errors.js';
import type { SandboxJournalEntry, SandboxJournalStore } from '../../sandbox/index.js';
import { recordDocuments } from '../../store/document-store.js';
import type { RecordStore } from '../../store/record-store.js';

/** Which world a record belongs to: a new name, seed, size or first day is a new world. */
export interface WorldIdentity {
  name: string;
  seed: number;
  customers: number;
  start: string;
}

const worldKey = (w: WorldIdentity) => `${w.name}:${w.seed}:${w.customers}:${w.start}`;

/** Digits of a journal entry's id: its seq zero-padded, so the record store's id order is seq order. */
const SEQ_DIGITS = 12;

/**
 * The sandbox's journal in the record store: one collection per world (its name, seed, size and
 * first day), one record per act, so a new world in the same data directory starts afresh. The
 * store may open after the world is built (`records` resolves later); nothing is appended before.
 */
export function recordJournalStore(records: Promise<RecordStore>, world: WorldIdentity): SandboxJournalStore {
  const collection = `sandbox-journal:${worldKey(world)}`;
  const documents = records.then((r) => recordDocuments<SandboxJournalEntry>(r, collection));
  return {
    append: async (entry) => (await documents).put(String(entry.seq).padStart(SEQ_DIGITS, '0'), entry),
    load: async () => (await documents).list(),
  };
}

/** What the record saying a world's history is in holds. */
export interface HistoryIn {
  /** When the backfill ended (wall time, ISO). */
  at: string;
  /** Days of history delivered. */
  days: number;
}

/**
 * The record saying a world's history is all in: written once, when its backfill ends (awaited
 * before the world goes live), and read by every later start, which then goes live at once;
 * without it a start resumes the backfill from the saved position. Kept in the record store beside
 * the journal, so the two cannot disagree as a position file and a store could.
 */
export interface HistoryMark {
  read(): Promise<HistoryIn | undefined>;
  /** Writes the mark; a mark already there is kept (the first backfill's end). */
  write(mark: HistoryIn): Promise<void>;
}

const HISTORY_ID = 'history-in';

/** The history mark of `world` in the record store (collection `sandbox-history:<world>`). */
export function recordHistoryMark(records: Promise<RecordStore>, world: WorldIdentity): HistoryMark {
  const collection = `sandbox-history:${worldKey(world)}`;
  return {
    read: async () => (await (await records).get<HistoryIn>(collection, HISTORY_ID))?.body,
    async write(mark) {
      try {
        await (await records).put(collection, HISTORY_ID, mark, { expectedVersion: 0 });
      } catch (err) {
        if (!(err instanceof TwinloopError && err.code === 'CONFLICT')) throw err;
      }
    },
  };
}
