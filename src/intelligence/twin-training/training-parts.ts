import { TwinloopError } from '../../domain/errors.js';
import { fnv1a32 } from '../../domain/string-hash.js';
import { CHURN_MODEL_FEATURES, type TwinTrainingSet } from './twin-training-set.js';

/**
 * Training fanned out over partition workers (issue 16, docs/scale.md): each worker builds the
 * rows of its own customers from the shared log, the coordinator (the gateway) puts them
 * together and fits once. The costly part, replaying each sampled customer's history as of every
 * cutoff, is split by partition; the fit needs all rows at once (a learner chosen by
 * cross-validation, gradient-boosted trees), which is why rows travel rather than statistics.
 */

/** Where a customer sorts in the training sample: FNV-1a of its id, then the id (`sampleTrainingCustomers`' order). */
export interface SampleKey {
  readonly h: number;
  readonly id: string;
}

export function sampleKey(id: string): SampleKey {
  return { h: fnv1a32(id), id };
}

export function compareSampleKeys(a: SampleKey, b: SampleKey): number {
  return a.h - b.h || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The `max` lowest keys of these customers, ascending: all a coordinator needs to find the whole population's sample. */
export function lowestSampleKeys(ids: Iterable<string>, max: number): SampleKey[] {
  return [...ids].map(sampleKey).sort(compareSampleKeys).slice(0, Math.max(0, max));
}

/**
 * The last key of the population's sample of `max` customers, from each part's `max` lowest
 * keys (parts holding disjoint customers): the same customers `sampleTrainingCustomers` picks
 * from the whole population. Null when the sample is everyone.
 */
export function sampleCut(parts: readonly (readonly SampleKey[])[], max: number): SampleKey | null {
  const all = parts.flat();
  if (!(max > 0) || all.length <= max) return null;
  return [...all].sort(compareSampleKeys)[max - 1];
}

/** Whether a customer is in the sample that ends at `cut` (null: everyone). */
export function inSample(id: string, cut: SampleKey | null): boolean {
  return cut === null || compareSampleKeys(sampleKey(id), cut) <= 0;
}

/** A part's training rows as JSON carries them: numbers exactly, as base64 of their bytes. */
export interface TrainingPart {
  readonly featureNames: readonly string[];
  readonly cutoffs: readonly number[];
  readonly rows: number;
  readonly data: string;
  readonly labels: string;
  readonly cutoffIndex: string;
  readonly customerIds: readonly string[];
  readonly eligibleRows: number;
  readonly eventsRead: number;
}

const b64 = (a: ArrayBufferView): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

export function encodeTrainingPart(set: TwinTrainingSet): TrainingPart {
  return {
    featureNames: set.featureNames,
    cutoffs: set.cutoffs,
    rows: set.matrix.rows,
    data: b64(set.matrix.data),
    labels: b64(set.labels),
    cutoffIndex: b64(set.cutoffIndex),
    customerIds: set.customerIds,
    eligibleRows: set.eligibleRows,
    eventsRead: set.eventsRead,
  };
}

/** Bytes of a base64 field, checked to be `bytes` long (BAD_INPUT naming the field otherwise). */
function bytesOf(text: string, bytes: number, what: string): Buffer {
  const b = Buffer.from(text, 'base64');
  if (b.length !== bytes) throw new TwinloopError('BAD_INPUT', `training part: ${what} holds ${b.length} bytes where ${bytes} were expected`);
  return b;
}

/**
 * One training set from the parts (every part built at the same cutoffs and horizon, each over
 * its own customers), rows in the parts' order. BAD_INPUT when a part does not fit the others.
 */
export function combineTrainingParts(parts: readonly TrainingPart[], cutoffs: readonly number[], horizonMs: number): TwinTrainingSet {
  const P = CHURN_MODEL_FEATURES.length;
  const n = parts.reduce((s, p) => s + p.rows, 0);
  const data = new Float64Array(n * P);
  const labels = new Uint8Array(n);
  const cutoffIndex = new Uint16Array(n);
  const customerIds: string[] = [];
  let at = 0;
  for (const [k, part] of parts.entries()) {
    if (part.featureNames.join() !== CHURN_MODEL_FEATURES.join()) throw new TwinloopError('BAD_INPUT', `training part ${k}: its features are not this version's (${part.featureNames.length} against ${P}): every process must run the same version`);
    if (part.cutoffs.join() !== cutoffs.join()) throw new TwinloopError('BAD_INPUT', `training part ${k}: built at other cutoffs than asked`);
    if (part.customerIds.length !== part.rows) throw new TwinloopError('BAD_INPUT', `training part ${k}: ${part.customerIds.length} customer ids for ${part.rows} rows`);
    const d = bytesOf(part.data, part.rows * P * 8, 'data');
    data.set(new Float64Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.length)), at * P);
    labels.set(bytesOf(part.labels, part.rows, 'labels'), at);
    const c = bytesOf(part.cutoffIndex, part.rows * 2, 'cutoffIndex');
    cutoffIndex.set(new Uint16Array(c.buffer.slice(c.byteOffset, c.byteOffset + c.length)), at);
    customerIds.push(...part.customerIds);
    at += part.rows;
  }
  let positives = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] > 1 || cutoffIndex[i] >= cutoffs.length) throw new TwinloopError('BAD_INPUT', `training row ${i}: label ${labels[i]} or cutoff ${cutoffIndex[i]} out of range`);
    positives += labels[i];
  }
  return {
    featureNames: CHURN_MODEL_FEATURES,
    matrix: { rows: n, cols: P, data },
    labels,
    cutoffIndex,
    customerIds,
    cutoffs,
    horizonMs,
    positives,
    eligibleRows: parts.reduce((s, p) => s + p.eligibleRows, 0),
    eventsRead: parts.reduce((s, p) => s + p.eventsRead, 0),
  };
}
