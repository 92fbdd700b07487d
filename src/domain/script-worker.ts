import { once } from 'node:events';
import { parentPort, Worker } from 'node:worker_threads';

/**
 * Starts a worker thread on the module `name` (without extension) beside `base` (the caller's
 * `import.meta.url`): its compiled `.js` in a build, its `.ts` source under the test runner, where
 * the thread registers tsx's loader before importing it. One way for every layer's threads.
 */
export function startScriptWorker(base: string, name: string, workerData: unknown): Worker {
  const fromSource = base.endsWith('.ts');
  const script = new URL(`./${name}.${fromSource ? 'ts' : 'js'}`, base);
  return fromSource
    ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); })`, { eval: true, workerData })
    : new Worker(script, { workerData });
}

/** The message a thread of ours is asked to end by (`endThread`, `onEndAsked`). */
export interface EndThreadMessage {
  readonly endThread: true;
}

const END: EndThreadMessage = { endThread: true };

/** Whether a message a thread heard is the end message. */
export const isEndThread = (m: unknown): m is EndThreadMessage => typeof m === 'object' && m !== null && (m as Partial<EndThreadMessage>).endThread === true;

/**
 * How long a thread asked to end has to finish the call it is in and exit before it is
 * terminated: a page of the log read or a block written takes milliseconds, seconds on a loaded
 * machine; a thread still busy after this is in a long computation (a model's fit), where
 * terminating it stops no zlib call halfway.
 */
export const THREAD_END_GRACE_MS = 5_000;

/** How a thread ended: its exit code, and whether it had to be terminated. */
export interface ThreadEnd {
  readonly code: number;
  readonly terminated: boolean;
}

/**
 * Ends a thread we own: asks it to end (`ask`; by default the end message, which `onEndAsked`
 * hears), waits for it to exit, and terminates it only when it has not exited after `graceMs`.
 * Never `terminate()` first: Node ends a terminated thread wherever it is, and one stopped inside
 * a zlib call (the event store's blocks, a twin's record bytes) can abort the whole process as it
 * frees the thread (`node_zlib.cc: Assertion init_done_ && "close before init"`). A thread asked
 * finishes its call, closes what it holds and exits with code 0. Resolves once it has exited.
 */
export async function endThread(worker: Worker, o: { ask?: () => void; graceMs?: number } = {}): Promise<ThreadEnd> {
  // A thread already gone has no exit to wait for (its id is -1 once it has stopped).
  if (worker.threadId === -1) return { code: 0, terminated: false };
  const exited = once(worker, 'exit') as Promise<[number]>;
  // Held while it ends: an unref'd thread would otherwise let the process leave before it exits.
  worker.ref();
  (o.ask ?? (() => worker.postMessage(END)))();
  let terminated = false;
  const timer = setTimeout(() => {
    terminated = true;
    void worker.terminate();
  }, o.graceMs ?? THREAD_END_GRACE_MS);
  try {
    const [code] = await exited;
    return { code, terminated };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The thread's side of `endThread`, run by a thread's script: `onEnd` is called when the thread
 * is asked to end (it stops its work at the next turn of its event loop: a signal it checks).
 * The returned `done()` is called once the thread's work is over, so that the listening port does
 * not hold the thread: it exits when what it closes is closed.
 */
export function onEndAsked(onEnd: () => void): { done(): void } {
  const port = parentPort;
  if (!port) throw new Error('onEndAsked runs on a worker thread, started by startScriptWorker');
  const listener = (m: unknown) => {
    if (isEndThread(m)) onEnd();
  };
  port.on('message', listener);
  return {
    done() {
      port.off('message', listener);
      port.unref();
    },
  };
}
