import { parentPort, type Worker } from 'node:worker_threads';
import { endThread, isEndThread, startScriptWorker, type EndThreadMessage } from '../domain/script-worker.js';
import { toTwinloopError, TwinloopError, type ErrorCode } from '../domain/errors.js';

/** What the client posts: a request with the `id` that pairs it with its reply, or the end message (`endThread`). */
export type ThreadMessage<R> = (R & { id: number; endThread?: undefined }) | EndThreadMessage;

/**
 * How long a store's thread asked to end has before it is terminated: its close ends a seal under
 * way (zlib compressing blocks) at a block's end and checkpoints its connection, seconds on a
 * loaded machine; terminating it in the middle could abort the process (`endThread`), so only a
 * thread that hangs is.
 */
const STORE_THREAD_END_GRACE_MS = 60_000;

/** The thread's answer to one request: its value, or the TwinloopError it raised. */
export type ThreadReply = { id: number; ok: true; value?: unknown } | { id: number; ok: false; code: string; message: string; context?: Record<string, unknown> };

type Pending = { resolve: (value: unknown) => void; reject: (err: unknown) => void };

/**
 * A store's side of a thread that does its writes on a connection of its own (the event store's
 * writer, the record store's decision log): started at the first request, sends requests in
 * order and resolves each once the thread has answered it (the thread answers in order). The
 * thread is held only while a request waits, so an idle one does not keep the process alive.
 * After `close()` it refuses every request: a write accepted then would be lost with the thread.
 */
export class ThreadClient<R extends object> {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private next = 1;
  private failure: Error | undefined;
  private closed = false;
  /** The last request sent, settled either way: answers come in order, so once it is, all are. */
  private last: Promise<unknown> = Promise.resolve();

  /**
   * @param base, script, workerData: the thread's module beside `base` (`startScriptWorker`).
   * @param what The thread in words, for the errors ("the event store's writer thread").
   */
  constructor(
    private readonly base: string,
    private readonly script: string,
    private readonly workerData: unknown,
    private readonly what: string,
  ) {}

  /**
   * Sends one request; resolves with the thread's value once it has answered. `outOfTurn`: the
   * thread answers it later than the requests after it (`serveThread`'s `later`: the event
   * store's seal), and `close()` does not wait for it (the thread's close ends it).
   */
  request<T>(request: R, transfer: ArrayBuffer[] = [], options: { outOfTurn?: boolean } = {}): Promise<T> {
    if (this.closed) return Promise.reject(new TwinloopError('UNAVAILABLE', `${this.what} is closed: the store was closed before this write; open it again`, { context: { retryable: false } }));
    if (this.failure) return Promise.reject(this.unavailable(this.failure));
    const worker = (this.worker ??= this.start());
    const id = this.next++;
    const answer = new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.ref();
      worker.postMessage({ ...request, id } satisfies ThreadMessage<R>, transfer);
    });
    if (!options.outOfTurn) {
      this.last = answer.then(
        () => undefined,
        () => undefined,
      );
    }
    return answer;
  }

  /**
   * Refuses further requests, waits for every one sent to be answered, then has the thread close
   * its connection and exit (the end message: terminating it would skip the connection's close),
   * and waits for it to exit.
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.last;
    const worker = this.worker;
    if (!worker) return;
    await endThread(worker, { graceMs: STORE_THREAD_END_GRACE_MS });
  }

  private start(): Worker {
    const worker = startScriptWorker(this.base, this.script, this.workerData);
    worker.on('message', (reply: ThreadReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.ok) p.resolve(reply.value);
      else p.reject(new TwinloopError(reply.code as ErrorCode, reply.message, { context: reply.context }));
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => {
      // A thread gone is gone even with nothing pending: the next request starts another rather
      // than waiting on this one for ever; requests it took with it are failed.
      if (this.worker === worker) this.worker = undefined;
      if (this.pending.size) this.fail(new Error(`${this.what} exited (code ${code})`));
    });
    worker.unref();
    return worker;
  }

  private fail(err: Error): void {
    this.failure = err;
    for (const p of this.pending.values()) p.reject(this.unavailable(err));
    this.pending.clear();
  }

  private unavailable(err: Error): TwinloopError {
    return new TwinloopError('UNAVAILABLE', `${this.what} failed (${err.message}); restart the process`, { cause: err, context: { retryable: false } });
  }
}

/**
 * The thread's side of a `ThreadClient`, run by the thread's script: handles requests one at a
 * time in the order sent (so batches commit in order) and answers each; on the end message,
 * after every request before it, closes its connection and lets the thread exit. A handler that
 * gives `later` has started work that goes on between the next requests (the event store's seal,
 * decision 0027): the request is answered when that settles, and the next ones are served meanwhile.
 */
export function serveThread<R extends object>(
  handle: (request: R) => Promise<{ value?: unknown; transfer?: ArrayBuffer[]; later?: Promise<unknown> } | void>,
  close: () => Promise<void>,
): void {
  const port = parentPort;
  if (!port) throw new Error('serveThread runs on a worker thread, started by ThreadClient');
  let queue = Promise.resolve();
  port.on('message', (message: ThreadMessage<R>) => {
    queue = queue.then(async () => {
      if (isEndThread(message)) {
        try {
          await close();
        } finally {
          port.close();
        }
        return;
      }
      const fail = (err: unknown) => {
        const e = toTwinloopError(err);
        port.postMessage({ id: message.id, ok: false, code: e.code, message: e.message, context: e.context } satisfies ThreadReply);
      };
      try {
        const answer = (await handle(message)) ?? {};
        if (answer.later) {
          answer.later.then((value) => port.postMessage({ id: message.id, ok: true, value } satisfies ThreadReply), fail);
          return;
        }
        port.postMessage({ id: message.id, ok: true, value: answer.value } satisfies ThreadReply, answer.transfer ?? []);
      } catch (err) {
        fail(err);
      }
    });
  });
}
