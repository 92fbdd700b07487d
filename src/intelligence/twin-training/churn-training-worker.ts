import { parentPort, workerData } from 'node:worker_threads';
import { threadCpuSeconds } from '../../domain/cpu-time.js';
import { onEndAsked } from '../../domain/script-worker.js';
import { toTwinloopError } from '../../domain/errors.js';
import { openEventStore } from '../../store/open-event-store.js';
import type { StoreOptions } from '../../store/store-options.js';
import { DAY_MS } from '../../domain/time.js';
import { fitChurnModel, trainChurnFromTwins, trainingStopped, type ChurnTrainingOptions, type TrainedChurnModel } from './train-churn-from-twins.js';
import { combineTrainingParts, encodeTrainingPart, type TrainingPart } from './training-parts.js';
import { buildTwinTrainingSet, type TwinTrainingSetOptions } from './twin-training-set.js';
import { fitFirstChurnModel, type FirstModelOptions } from './first-churn-model.js';
import type { CollectedTrainingRows } from './training-row-collector.js';

/**
 * What a churn-training thread is started with (no callbacks: they cannot cross threads): where
 * the log is and what to train; the rows partition workers built (a training fanned out over
 * them, `training-parts.ts`) to put together and fit; or, on a partition worker, where the log
 * is and which rows to build (its share of such a training).
 */
export type ChurnTrainingWorkerData =
  | { readonly store: StoreOptions; readonly options: Omit<ChurnTrainingOptions, 'onProgress' | 'signal'> }
  | { readonly parts: readonly TrainingPart[]; readonly cutoffs: readonly number[]; readonly horizonDays: number; readonly fit: Pick<ChurnTrainingOptions, 'seed' | 'learners' | 'customers'> }
  | { readonly store: StoreOptions; readonly rows: Omit<TwinTrainingSetOptions, 'onProgress' | 'signal'> }
  | { readonly first: CollectedTrainingRows; readonly options: Omit<FirstModelOptions, 'signal'>; readonly store: StoreOptions };

/** What the thread posts: its stages as they start, then the model or the rows built (with the thread's own CPU seconds), or the error. */
export type ChurnTrainingWorkerMessage =
  | { readonly type: 'stage'; readonly stage: string }
  | { readonly type: 'done'; readonly trained: TrainedChurnModel; readonly cpuSeconds: number | null }
  | { readonly type: 'part'; readonly part: TrainingPart; readonly cpuSeconds: number | null }
  | { readonly type: 'error'; readonly code: string; readonly message: string; readonly context?: Record<string, unknown> };

/** The thread's CPU where the platform tells it (Linux's /proc), else null. */
function cpuNow(): number | null {
  try {
    return threadCpuSeconds();
  } catch {
    return null;
  }
}

/** A connection that only reads (an embedded store's reads do not wait for its writer). */
const readOnly = (store: StoreOptions): StoreOptions => (store.kind === 'sqlite' ? { ...store, writes: 'inline' } : store);

async function run(port: NonNullable<typeof parentPort>, data: ChurnTrainingWorkerData, signal: AbortSignal): Promise<void> {
  const started = cpuNow();
  const onProgress = (stage: string) => port.postMessage({ type: 'stage', stage } satisfies ChurnTrainingWorkerMessage);
  if ('parts' in data) {
    const trained = fitChurnModel(combineTrainingParts(data.parts, data.cutoffs, data.horizonDays * DAY_MS), data.horizonDays, { ...data.fit, onProgress });
    const ended = cpuNow();
    port.postMessage({ type: 'done', trained, cpuSeconds: started === null || ended === null ? null : ended - started } satisfies ChurnTrainingWorkerMessage);
    return;
  }
  if ('first' in data) {
    const trained = await fitFirstChurnModel(data.first, { ...data.options, signal }, async () => {
      const store = await openEventStore(readOnly(data.store));
      return { store, close: () => store.close() };
    });
    const ended = cpuNow();
    port.postMessage({ type: 'done', trained, cpuSeconds: started === null || ended === null ? null : ended - started } satisfies ChurnTrainingWorkerMessage);
    return;
  }
  // Its own connection: the log is only read here.
  const store = await openEventStore(readOnly(data.store));
  try {
    if ('rows' in data) {
      // Encoded here: the rows cross to the caller as the strings a worker answers with.
      const part = encodeTrainingPart(await buildTwinTrainingSet(store, { ...data.rows, signal }));
      const ended = cpuNow();
      port.postMessage({ type: 'part', part, cpuSeconds: started === null || ended === null ? null : ended - started } satisfies ChurnTrainingWorkerMessage);
      return;
    }
    const trained = await trainChurnFromTwins(store, { ...data.options, onProgress, signal });
    const ended = cpuNow();
    port.postMessage({ type: 'done', trained, cpuSeconds: started === null || ended === null ? null : ended - started } satisfies ChurnTrainingWorkerMessage);
  } finally {
    await store.close();
  }
}

// Runs only as a worker thread (importing it elsewhere does nothing).
if (parentPort) {
  const port = parentPort;
  // Asked to end (the server stops): the reading stops at its next page, the store is closed and
  // the thread exits by itself (`endThread`); a fit under way is not interrupted (it holds the thread).
  const stopping = new AbortController();
  const asked = onEndAsked(() => stopping.abort(trainingStopped()));
  run(port, workerData as ChurnTrainingWorkerData, stopping.signal)
    .catch((err: unknown) => {
      const e = toTwinloopError(err);
      port.postMessage({ type: 'error', code: e.code, message: e.message, context: e.context } satisfies ChurnTrainingWorkerMessage);
    })
    .finally(() => asked.done());
}
