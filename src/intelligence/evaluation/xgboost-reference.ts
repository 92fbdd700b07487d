import { createRequire } from 'node:module';
import type { FeatureMatrix } from '../tabular/encoder.js';

/**
 * A thin wrapper over the `ml-xgboost` dev dependency (XGBoost compiled to WebAssembly), used only
 * by the benchmark as a reference learner. Loaded lazily so production code never needs it.
 */
interface XGBoostBooster {
  train(rows: number[][], labels: number[]): void;
  predict(rows: number[][]): number[];
  free(): void;
}
type XGBoostConstructor = new (options: Record<string, string | number>) => XGBoostBooster;

/** Parameters comparable to our defaults: shallow trees, shrinkage 0.05, row subsampling. */
export const XGBOOST_PARAMS = {
  booster: 'gbtree',
  objective: 'binary:logistic',
  max_depth: 4,
  eta: 0.05,
  min_child_weight: 5,
  subsample: 0.8,
  colsample_bytree: 0.8,
  silent: 1,
  iterations: 200,
} as const;

/** Loads the WebAssembly module; rejects with the underlying error if it cannot run here. */
export async function loadXGBoost(): Promise<XGBoostConstructor> {
  const require = createRequire(import.meta.url);
  const loaded = require('ml-xgboost') as Promise<XGBoostConstructor>;
  return await loaded;
}

/** Stands in for missing values: this build rejects NaN ("you did not set missing=NAN"). */
const MISSING_SENTINEL = -999_999;

/** Dense rows for the wrapper, missing values replaced by the sentinel. */
function toRows(m: FeatureMatrix): number[][] {
  return Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols), (v) => (Number.isNaN(v) ? MISSING_SENTINEL : v)));
}

/** Trains on one matrix and returns probabilities for another, freeing the WebAssembly model. */
export function xgboostFitPredict(XGBoost: XGBoostConstructor, train: FeatureMatrix, labels: ArrayLike<number>, test: FeatureMatrix): Float64Array {
  const booster = new XGBoost({ ...XGBOOST_PARAMS });
  try {
    booster.train(toRows(train), Array.from(labels));
    return Float64Array.from(booster.predict(toRows(test)));
  } finally {
    booster.free();
  }
}
