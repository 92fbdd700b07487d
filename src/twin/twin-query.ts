import { TwinloopError } from '../domain/errors.js';
import type { TwinEngine } from './twin-engine.js';
import { FEATURE_COUNT, FEATURE_INDEX, FEATURE_NAMES, type FeatureName } from './twin-features.js';

export const FILTER_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

export interface FeatureFilter {
  feature: FeatureName;
  op: FilterOp;
  value: number;
}

/** Parses `feature.op=value` pairs (e.g. `data_mb_30d.gt=1000`), naming what is wrong. */
export function parseFeatureFilters(pairs: Record<string, string>): FeatureFilter[] {
  const filters: FeatureFilter[] = [];
  for (const [key, raw] of Object.entries(pairs)) {
    const dot = key.lastIndexOf('.');
    const feature = (dot > 0 ? key.slice(0, dot) : key) as FeatureName;
    const op = (dot > 0 ? key.slice(dot + 1) : 'eq') as FilterOp;
    if (!(feature in FEATURE_INDEX)) {
      throw new TwinloopError('BAD_INPUT', `${key}: unknown feature "${feature}"; known features: ${FEATURE_NAMES.join(', ')}`);
    }
    if (!FILTER_OPS.includes(op)) throw new TwinloopError('BAD_INPUT', `${key}: unknown operator "${op}"; use one of ${FILTER_OPS.join(', ')}`);
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) throw new TwinloopError('BAD_INPUT', `${key}: "${raw}" is not a number`);
    filters.push({ feature, op, value });
  }
  return filters;
}

function passes(x: number, f: FeatureFilter): boolean {
  switch (f.op) {
    case 'eq': return x === f.value;
    case 'ne': return x !== f.value;
    case 'gt': return x > f.value;
    case 'gte': return x >= f.value;
    case 'lt': return x < f.value;
    case 'lte': return x <= f.value;
  }
}

export interface TwinPage {
  items: { customerId: string; features: Record<FeatureName, number> }[];
  /** Matches found so far when the scan stopped (all matches when `next` is null). */
  next: number | null;
}

/** Scans twins in slot order from `offset`, returning up to `limit` whose features pass every filter. */
export function queryTwins(engine: TwinEngine, filters: readonly FeatureFilter[], offset: number, limit: number): TwinPage {
  const vec = new Float64Array(FEATURE_COUNT);
  const items: TwinPage['items'] = [];
  const idx = filters.map((f) => FEATURE_INDEX[f.feature]);
  let slot = offset;
  for (; slot < engine.table.size && items.length < limit; slot++) {
    const id = engine.table.idAt(slot);
    engine.features(id, engine.eventClock, vec);
    if (!filters.every((f, i) => passes(vec[idx[i]], f))) continue;
    const features = {} as Record<FeatureName, number>;
    FEATURE_NAMES.forEach((n, i) => (features[n] = vec[i]));
    items.push({ customerId: id, features });
  }
  return { items, next: slot < engine.table.size ? slot : null };
}
