import type { Worker } from 'node:worker_threads';
import { startScriptWorker } from '../domain/script-worker.js';
import { TwinloopError, type ErrorCode } from '../domain/errors.js';
import type { StoredDecision } from './record-store.js';

/** A batch sent to the decision-log thread (`sqlite-decision-log-worker.ts`); `id` pairs it with its reply. */
export interface DecisionLogRequest {
  readonly id: number;
  readonly records: readonly StoredDecision[];
}

/** The thread's answer to one batch: committed, or the TwinloopError it raised. */
export type DecisionLogReply = { id: number; ok: true } | { id: number; ok: false; code: string; message: string; context?: Record<string, unknown> };

type Pending = { resolve: () => void; reject: (err: unknown) => void };

/**
 * The SQLite record store's side of its decision-log thread: started at the first batch (most
 * record stores never log a decision), sends batches in order and resolves each once the thread
 * has committed it, so a caller that waits (the decision service's flush before an action is
 * carried out, decision 0004) still waits for the log to hold it. Running from TypeScript sources
 * (tests), the thread loads them through tsx, like the event store's writer thread.
 */
export class SqliteDecisionLogWriter {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private next = 1;
  private failure: Error | undefined;

  constructor(private readonly dataDir: string) {}

  /** Inserts a batch (already checked) on the thread; resolves when it is committed. */
  append(records: readonly StoredDecision[]): Promise<void> {
    if (this.failure) return Promise.reject(this.unavailable(this.failure));
    const worker = (this.worker ??= this.start());
    const id = this.next++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, records } satisfies DecisionLogRequest);
    });
  }

  /** Resolves once every batch sent so far has been answered, then stops the thread. */
  async close(): Promise<void> {
    await Promise.allSettled(
      [...this.pending.values()].map(
        (p) =>
          new Promise((settled) => {
            const { resolve, reject } = p;
            p.resolve = () => (resolve(), settled(undefined));
            p.reject = (e) => (reject(e), settled(undefined));
          }),
      ),
    );
    await this.worker?.terminate();
    this.worker = undefined;
  }

  private start(): Worker {
    const worker = startScriptWorker(import.meta.url, 'sqlite-decision-log-worker', { dataDir: this.dataDir });
    worker.on('message', (reply: DecisionLogReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.ok) p.resolve();
      else p.reject(new TwinloopError(reply.code as ErrorCode, reply.message, { context: reply.context }));
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => {
      // A thread gone is gone even with nothing pending: the next batch starts another rather than
      // waiting on this one for ever; batches it took with it are failed.
      if (this.worker === worker) this.worker = undefined;
      if (this.pending.size) this.fail(new Error(`the decision-log thread exited (code ${code})`));
    });
    // Held only while a batch is waiting: an idle thread does not keep the process alive.
    worker.unref();
    return worker;
  }

  private fail(err: Error): void {
    this.failure = err;
    for (const p of this.pending.values()) p.reject(this.unavailable(err));
    this.pending.clear();
  }

  private unavailable(err: Error): TwinloopError {
    return new TwinloopError('UNAVAILABLE', `the record store's decision-log thread failed (${err.message}); restart the process`, { cause: err, context: { retryable: false } });
  }
}
