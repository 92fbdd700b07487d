import { endThread, startScriptWorker } from '../../domain/script-worker.js';
import { TwinloopError, type ErrorCode } from '../../domain/errors.js';
import type { StoreOptions } from '../../store/store-options.js';
import { trainingStopped, type ChurnTrainingOptions, type TrainedChurnModel } from './train-churn-from-twins.js';
import type { ChurnTrainingWorkerData, ChurnTrainingWorkerMessage } from './churn-training-worker.js';
import type { TrainingPart } from './training-parts.js';
import type { TwinTrainingSetOptions } from './twin-training-set.js';
import type { FirstModelOptions } from './first-churn-model.js';
import type { CollectedTrainingRows } from './training-row-collector.js';

/** A churn model trained off the event loop, with what its thread cost. */
export interface ThreadTrainedChurnModel extends TrainedChurnModel {
  /** CPU seconds of the training thread alone (null where the platform does not tell a thread's CPU). */
  readonly cpuSeconds: number | null;
}

/**
 * Trains a churn model (`trainChurnFromTwins`) in a worker thread with its own connection to the
 * event store: reading the log, replaying the sample's history and fitting never hold the event
 * loop, so a server keeps answering while its first model trains (issue 16: `/health` went
 * unanswered for minutes at load 25 while the fit ran on the loop). The thread reads what the log
 * holds up to `options.untilSeq`, as the in-process training does. `onProgress` hears the stages.
 */
export function trainChurnInThread(store: StoreOptions, options: ChurnTrainingOptions): Promise<ThreadTrainedChurnModel> {
  const { onProgress, signal, ...rest } = options;
  return inThread({ store, options: rest }, onProgress, signal);
}

/**
 * Puts together the training rows partition workers built (`training-parts.ts`) and fits a churn
 * model on them in a worker thread: the coordinator (the gateway) keeps routing requests while
 * the learner is chosen and fitted.
 */
export function fitChurnPartsInThread(parts: readonly TrainingPart[], o: { cutoffs: readonly number[]; horizonDays: number; fit: Pick<ChurnTrainingOptions, 'seed' | 'learners' | 'customers'>; onProgress?: (stage: string) => void }): Promise<ThreadTrainedChurnModel> {
  return inThread({ parts, cutoffs: o.cutoffs, horizonDays: o.horizonDays, fit: o.fit }, o.onProgress);
}

/**
 * Builds a partition worker's share of a training fanned out over the workers (the rows of its
 * sampled customers, `buildTwinTrainingSet`) in a worker thread with its own connection to the
 * event store, as a single server trains in one: replaying the customers' history as of every
 * cutoff never holds the event loop, so the worker keeps taking its partitions' events and
 * answering reads meanwhile.
 */
export function buildTrainingPartInThread(store: StoreOptions, rows: Omit<TwinTrainingSetOptions, 'onProgress' | 'signal'>, signal?: AbortSignal): Promise<TrainingPart> {
  return startThread<TrainingPart>({ store, rows }, (m) => (m.type === 'part' ? m.part : undefined), undefined, signal);
}

/**
 * Fits the first churn model on the rows collected while the history was applied
 * (`fitFirstChurnModel`) in a worker thread: the rows are copied to it, and it opens its own
 * connection to the store only for customers whose rows must be read back.
 */
export function fitFirstChurnModelInThread(store: StoreOptions, rows: CollectedTrainingRows, options: FirstModelOptions): Promise<ThreadTrainedChurnModel> {
  const { signal, ...rest } = options;
  return inThread({ first: rows, options: rest, store }, undefined, signal);
}

function inThread(data: ChurnTrainingWorkerData, onProgress?: (stage: string) => void, signal?: AbortSignal): Promise<ThreadTrainedChurnModel> {
  return startThread<ThreadTrainedChurnModel>(data, (m) => (m.type === 'done' ? { ...m.trained, cpuSeconds: m.cpuSeconds } : undefined), onProgress, signal);
}

/**
 * Runs the training thread on `data` and resolves with what `result` takes from its answer, once
 * the thread has exited: a promise settled leaves no thread of it running. `signal` asks the
 * thread to end (`endThread`): it stops reading at its next page, closes its connection and
 * exits, and the promise rejects (`trainingStopped`); a server asked to stop does not wait for
 * minutes of fitting whose model it would not serve: a thread still fitting after the grace is
 * terminated (no zlib call runs in a fit).
 */
function startThread<T>(data: ChurnTrainingWorkerData, result: (m: ChurnTrainingWorkerMessage) => T | undefined, onProgress?: (stage: string) => void, signal?: AbortSignal): Promise<T> {
  if (signal?.aborted) return Promise.reject(trainingStopped());
  const worker = startScriptWorker(import.meta.url, 'churn-training-worker', data);
  return new Promise<T>((resolve, reject) => {
    // What the thread answered (or how it failed), settled when it has exited.
    let outcome: { value: T } | { error: Error } | undefined;
    let stopped = false;
    const stop = () => {
      stopped = true;
      void endThread(worker);
    };
    signal?.addEventListener('abort', stop, { once: true });
    worker.on('message', (m: ChurnTrainingWorkerMessage) => {
      if (m.type === 'stage') onProgress?.(m.stage);
      else if (outcome) return;
      else if (m.type === 'error') outcome = { error: new TwinloopError(m.code as ErrorCode, m.message, { context: m.context }) };
      else {
        const answer = result(m);
        outcome = answer === undefined ? { error: new TwinloopError('INTERNAL', `the churn training thread answered ${m.type}, not what it was asked for`) } : { value: answer };
      }
    });
    worker.on('error', (err) => (outcome ??= { error: new TwinloopError('INTERNAL', `the churn training thread failed: ${err.message}`, { cause: err }) }));
    worker.on('exit', (code) => {
      signal?.removeEventListener('abort', stop);
      if (stopped) reject(trainingStopped());
      else if (!outcome) reject(new TwinloopError('INTERNAL', `the churn training thread exited (code ${code}) before it answered`));
      else if ('error' in outcome) reject(outcome.error);
      else resolve(outcome.value);
    });
  });
}
