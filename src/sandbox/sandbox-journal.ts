import type { ConnectorResult } from '../domain/connectors/connector-result.js';
import { isRetryable, TwinloopError } from '../domain/errors.js';

/**
 * The sandbox's memory across restarts. The world is rebuilt from its seed, but what its back
 * ends did (applicants drawn, orders taken, lines activated, plans changed, credits, messages)
 * happened in between its generated days and changed it: without them a restarted world draws
 * applicant A000001 again, reuses order and customer ids, and forgets activations. Every such
 * act is journaled, in order, with where in the world's time it happened, and kept durably
 * before the back end answers; a restart replays them at the same places, so the world goes on
 * as the same world.
 */

/** One act of a back end (or an applicant drawn), as journaled. */
export interface SandboxJournalEntry {
  /** Its place in the journal, from 1. */
  seq: number;
  /** The connector (`orderManagement`…), `applicants`, or `provisioning` for a job's completion. */
  backend: string;
  /** The connector method (`create`…), `next` (an applicant) or `complete` (a provisioning job). */
  method: string;
  /** The request as the back end received it (JSON). */
  request: unknown;
  /** Whether the back end's logic ran (false: a drawn refusal answered before it; the answer is kept). */
  ran: boolean;
  /** The final answer given (ok or rejected; transient answers change nothing and are not journaled). */
  result: ConnectorResult<unknown> | null;
  /** The world's next day to generate when it happened (days before it were generated). */
  day: number;
  /** The world's simulated time when it happened (ms). */
  at: number;
}

/** Where the journal is kept (the composition root gives the record store); appends are durable when they resolve. */
export interface SandboxJournalStore {
  append(entry: SandboxJournalEntry): Promise<void>;
  /** Every entry, in seq order. */
  load(): Promise<SandboxJournalEntry[]>;
}

/**
 * How the journal waits for its store when an append fails and may succeed later (a connection
 * cut off, a failover, a busy database): it appends the same entry again, waiting `firstDelayMs`,
 * then twice as long each time up to `maxDelayMs`, for as long as the store says it will come back.
 * It never gives the act up: the back end has already changed the world in memory (an order
 * numbered, a line activated), so an act answered or remembered without its entry would be lost or
 * renumbered by the next restart's replay. A failure that will not pass (a closed store: the
 * process is stopping) ends the wait, and the next start rebuilds the world from what was kept.
 */
export interface JournalRetry {
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * Defaults: 100 ms doubling to 5 s. A terminated connection comes back in well under a second, so
 * the first tries catch it; 5 s between tries is a light load on a database that is down longer.
 */
export const JOURNAL_RETRY: JournalRetry = { firstDelayMs: 100, maxDelayMs: 5_000 };

/** Appends `entry`, again after each failure that may pass (`JournalRetry`); rejects on one that will not. */
async function appendDurably(store: SandboxJournalStore, entry: SandboxJournalEntry, retry: JournalRetry): Promise<void> {
  for (let delay = retry.firstDelayMs; ; delay = Math.min(retry.maxDelayMs, delay * 2)) {
    try {
      // The same entry under the same seq each time: an append that committed before its answer was lost is written over with itself.
      return await store.append(entry);
    } catch (err) {
      if (!isRetryable(err)) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** A journal store in memory (a world without a data directory; tests). */
export function memoryJournalStore(): SandboxJournalStore & { readonly entries: SandboxJournalEntry[] } {
  const entries: SandboxJournalEntry[] = [];
  return {
    entries,
    async append(entry) {
      entries.push(structuredClone(entry));
    },
    async load() {
      return structuredClone(entries);
    },
  };
}

/**
 * The journal as the back ends use it: `record` while the world runs (resolving once the entry is
 * durable, so an answer is never given for an act a crash could forget); `replaying` names the
 * entry being replayed, whose back end then answers from it without latency or drawn failures.
 */
export class SandboxJournal {
  private seq = 0;
  private tail: Promise<void> = Promise.resolve();
  /** The entry a replay is carrying out now (set around one back-end call). */
  replaying: SandboxJournalEntry | null = null;
  /** True while a restart replays the journal (timers are not started: the journal says when jobs completed). */
  inReplay = false;

  constructor(
    private readonly store: SandboxJournalStore | null,
    private readonly where: () => { day: number; at: number },
    private readonly retry: JournalRetry = JOURNAL_RETRY,
  ) {}

  /** Continues numbering after the entries already kept. */
  resumeAfter(seq: number): void {
    this.seq = Math.max(this.seq, seq);
  }

  /**
   * Journals an act; resolves when it is durable, waiting out a store that is away for a while
   * (`JournalRetry`); rejects only on a failure that will not pass. Appends are kept in order.
   */
  record(act: Omit<SandboxJournalEntry, 'seq' | 'day' | 'at'>): Promise<void> {
    const entry: SandboxJournalEntry = { ...act, seq: ++this.seq, ...this.where() };
    if (!this.store) return Promise.resolve();
    const store = this.store;
    const appended = this.tail.then(() => appendDurably(store, entry, this.retry));
    this.tail = appended.catch(() => undefined);
    return appended;
  }

  private hold: Promise<void> = Promise.resolve();

  /** Back ends wait (`ready`) until the returned function is called: a restore is replaying. */
  holdBackends(): () => void {
    let release = () => {};
    this.hold = new Promise<void>((r) => (release = r));
    return release;
  }

  /** Resolves when the back ends may act (no restore is replaying). */
  ready(): Promise<void> {
    return this.hold;
  }

  /** Resolves when every entry recorded so far is durable. */
  flushed(): Promise<void> {
    return this.tail;
  }

  /** The entry a replayed call of `backend.method` answers from; INTERNAL when the replay went astray. */
  take(backend: string, method: string): SandboxJournalEntry | null {
    const e = this.replaying;
    if (!e) return null;
    if (e.backend !== backend || e.method !== method) {
      throw new TwinloopError('INTERNAL', `sandbox journal entry ${e.seq} is ${e.backend}.${e.method}, but the replay called ${backend}.${method}`);
    }
    this.replaying = null;
    return e;
  }
}
