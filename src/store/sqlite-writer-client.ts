import { Worker } from 'node:worker_threads';
import { TwinloopError, type ErrorCode } from '../domain/errors.js';
import type { AppendOutcome, Checkpoint, HistorySnapshot, NewDeadLetter, NewEvent, TwinSnapshot } from './event-store.js';
import { packEvents, unpackOutcomes, type PackedEvents, type PackedOutcomes } from './packed-events.js';
import type { SegmentLogOptions } from './sqlite-segment-log.js';

/** A write sent to the writer thread (`sqlite-append-worker.ts`); `id` pairs it with its reply. */
export type WriterRequest =
  // The events packed (`packed-events.ts`), or as objects when they are not of the shape the store takes (it refuses them).
  | { op: 'append'; id: number; events: PackedEvents | NewEvent[]; letters: NewDeadLetter[]; chain?: number }
  | { op: 'deadLetters'; id: number; letters: NewDeadLetter[] }
  | { op: 'checkpoint'; id: number; checkpoint: Checkpoint; twins: TwinSnapshot[]; history: HistorySnapshot[]; part: boolean }
  | { op: 'bulkLoadEnded'; id: number };

/** The writer thread's answer to one request: its value (an append's outcomes packed), or the TwinloopError it raised. */
export type WriterReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; code: string; message: string; context?: Record<string, unknown> };

type Pending = { resolve: (value: unknown) => void; reject: (err: unknown) => void };
type Request = WriterRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/**
 * The embedded store's side of its writer thread: sends writes in order and resolves each when
 * the thread has committed it. Running from TypeScript sources (tests), the thread loads them
 * through tsx, like the test runner does.
 */
export class SqliteWriterClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private next = 1;
  private failure: Error | undefined;

  constructor(dataDir: string, segments: SegmentLogOptions | false) {
    const fromSource = import.meta.url.endsWith('.ts');
    const script = new URL(`./sqlite-append-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
    // From sources (tests), the thread registers tsx's loader before importing the script.
    this.worker = fromSource
      ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); })`, { eval: true, workerData: { dataDir, segments } })
      : new Worker(script, { workerData: { dataDir, segments } });
    this.worker.on('message', (reply: WriterReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if (reply.ok) p.resolve(reply.value);
      else p.reject(new TwinloopError(reply.code as ErrorCode, reply.message, { context: reply.context }));
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      if (this.pending.size) this.fail(new Error(`the store's writer thread exited (code ${code})`));
    });
    // Held only while a write is waiting: an idle writer does not keep the process alive.
    this.worker.unref();
  }

  request<T>(request: Request, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.failure) return Promise.reject(this.unavailable(this.failure));
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.ref();
      this.worker.postMessage({ ...request, id }, transfer);
    });
  }

  /** Appends a batch on the writer thread, sent and answered packed (`packed-events.ts`). */
  async append(events: readonly NewEvent[], letters: readonly NewDeadLetter[], chain: number | undefined): Promise<AppendOutcome[]> {
    const packed = packEvents(events);
    const outcomes = await this.request<PackedOutcomes>({ op: 'append', events: packed?.packed ?? [...events], letters: [...letters], chain }, packed?.transfer);
    return unpackOutcomes(outcomes);
  }

  /** Resolves once every write sent so far has been answered, then stops the thread. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.pending.values()].map((p) => new Promise((r) => {
      const { resolve, reject } = p;
      p.resolve = (v) => (resolve(v), r(v));
      p.reject = (e) => (reject(e), r(e));
    })));
    await this.worker.terminate();
  }

  private fail(err: Error): void {
    this.failure = err;
    for (const p of this.pending.values()) p.reject(this.unavailable(err));
    this.pending.clear();
  }

  private unavailable(err: Error): TwinloopError {
    return new TwinloopError('UNAVAILABLE', `the event store's writer thread failed (${err.message}); restart the process`, { cause: err, context: { retryable: false } });
  }
}
