/**
 * How a connection on the event loop waits for the database's write lock: off the loop, in order,
 * without losing an operation. SQLite's own busy handler sleeps on the calling thread; on the main
 * thread a write that met the lock held by the event store's writer thread (a 5,000-event batch,
 * a checkpoint: a second or more at load 30 on two cores) held the event loop that long, and past
 * the busy timeout failed with "database is locked", losing the derived record (a suspicion, a
 * drift check, a cell's bad sessions). Here a connection waits at most `LOOP_BUSY_TIMEOUT_MS` at a
 * time on the loop; an operation that still meets the lock waits in a queue, retried on a timer,
 * and every later operation of the connection waits behind it, so they run in the order they
 * were asked for (a later put of a document never overtaken by an earlier one).
 */

/**
 * The most a connection on the event loop sleeps in SQLite's busy handler per attempt: long
 * enough to catch the lock in the gaps between the writer thread's commits (its fsync after each
 * one, a few ms to tens of ms), short enough that nobody notices the loop held.
 */
export const LOOP_BUSY_TIMEOUT_MS = 20;

/**
 * How long an operation keeps trying for the lock before it fails UNAVAILABLE: far beyond any
 * lock hold seen (the writer's longest, a checkpoint of every twin, took seconds at load 40), so
 * a derived record is not lost to a busy writer; a lock held this long is a stuck process.
 */
export const LOCK_RETRY_FOR_MS = 120_000;

/** The first retry comes soon (most holds are short); later ones back off to this interval. */
const FIRST_RETRY_MS = 5;
const MAX_RETRY_MS = 50;

/** One try of an operation: its value, or what it threw and whether trying again is safe. */
export type LockAttempt<T> = { ok: true; value: T } | { ok: false; error: unknown; lockHeld: boolean };

interface Waiting {
  operation: string;
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  since: number;
}

/** The queue of one connection's operations that wait for the write lock (`SqliteConnection` owns it). */
export class LockWaits {
  private readonly waiting: Waiting[] = [];
  private timer: NodeJS.Timeout | undefined;
  private delay = FIRST_RETRY_MS;
  private idleWaiters: (() => void)[] = [];
  /** Operations that had to wait for the lock, and those that gave up: for tests and reports. */
  readonly counts = { waited: 0, gaveUp: 0 };

  constructor(
    /** Runs `work` once: `lockHeld` when it failed only because the lock was held and changed nothing. */
    private readonly attempt: <T>(work: () => T) => LockAttempt<T>,
    /** The error an operation fails with (the connection's mapping of SQLite's errors). */
    private readonly toError: (operation: string, err: unknown, waitedMs: number) => Error,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs `work` at once unless earlier operations wait; if the lock is held, waits for it off the event loop. */
  run<T>(operation: string, work: () => T): Promise<T> {
    if (this.waiting.length === 0) {
      const first = this.attempt(work);
      if (first.ok) return Promise.resolve(first.value);
      if (!first.lockHeld) return Promise.reject(this.toError(operation, first.error, 0));
    }
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ operation, work, resolve: resolve as (v: unknown) => void, reject, since: this.now() });
      this.counts.waited++;
      this.schedule();
    });
  }

  /** Whether no operation waits for the lock. */
  get idle(): boolean {
    return this.waiting.length === 0;
  }

  /** Resolves once no operation waits (at once when none does). */
  drained(): Promise<void> {
    if (this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, this.delay);
  }

  /** Runs the waiting operations in order until one meets the lock again (then retries later) or none is left. */
  private drain(): void {
    while (this.waiting.length > 0) {
      const head = this.waiting[0];
      const tried = this.attempt(head.work);
      if (!tried.ok && tried.lockHeld && this.now() - head.since < LOCK_RETRY_FOR_MS) {
        this.delay = Math.min(MAX_RETRY_MS, this.delay * 2);
        this.schedule();
        return;
      }
      this.waiting.shift();
      this.delay = FIRST_RETRY_MS;
      if (tried.ok) head.resolve(tried.value);
      else {
        if (tried.lockHeld) this.counts.gaveUp++;
        head.reject(this.toError(head.operation, tried.error, this.now() - head.since));
      }
    }
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
