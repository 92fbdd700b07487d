import type { EventStore } from '../../store/event-store.js';
import { DAY_MS } from '../../domain/time.js';
import { fitChurnModel, trainingStopped, type TrainedChurnModel } from './train-churn-from-twins.js';
import { combineTrainingParts, encodeTrainingPart } from './training-parts.js';
import type { CollectedTrainingRows } from './training-row-collector.js';
import { buildTwinTrainingSet, type TwinTrainingSet } from './twin-training-set.js';

/** Where the collected rows stand in the log, for the few customers whose rows must be read back. */
export interface FirstModelOptions {
  readonly horizonDays: number;
  /** The lateness the intake enforced. */
  readonly latenessMs: number;
  /** The log's seq at the end of the history the rows were collected over. */
  readonly untilSeq: number;
  readonly seed?: number;
  /** Stops the reading back (a server asked to stop): its thread is asked to end (`fitFirstChurnModelInThread`). */
  readonly signal?: AbortSignal;
}

/**
 * The first churn model of a new system, from the rows collected while its history was applied
 * (`TrainingRowCollector`): fitted once (`fit: 'first'`, `FIRST_MODEL_FIT`) and validated out of
 * time on the latest cutoff as every churn model is. Nothing is read from the log unless the
 * collector named customers it could not take exactly (`inexact`), whose rows are then built by
 * replaying their own events (`openStore` is called only then).
 */
export async function fitFirstChurnModel(rows: CollectedTrainingRows, o: FirstModelOptions, openStore: OpenStore): Promise<TrainedChurnModel> {
  const started = performance.now();
  return fitChurnModel(await firstModelRows(rows, o, openStore), o.horizonDays, { seed: o.seed, fit: 'first', customers: rows.customers }, started);
}

/** Opens a connection to the log for the rows read back (and closes it). */
export type OpenStore = () => Promise<{ store: EventStore; close(): Promise<void> }>;

/** The collected rows, with those of the `inexact` customers built from the log after them. */
export async function firstModelRows(rows: CollectedTrainingRows, o: Omit<FirstModelOptions, 'seed'>, openStore: OpenStore): Promise<TwinTrainingSet> {
  if (rows.inexact.length === 0) return rows.set;
  const { store, close } = await openStore();
  try {
    const readBack = await buildTwinTrainingSet(store, { cutoffs: rows.set.cutoffs, horizonMs: o.horizonDays * DAY_MS, latenessMs: o.latenessMs, untilSeq: o.untilSeq, customers: rows.inexact, signal: o.signal }).catch((err: unknown) => {
      throw o.signal?.aborted ? trainingStopped() : err;
    });
    return combineTrainingParts([encodeTrainingPart(rows.set), encodeTrainingPart(readBack)], rows.set.cutoffs, rows.set.horizonMs);
  } finally {
    await close();
  }
}
