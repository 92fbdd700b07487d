import { describe, expect, it } from 'vitest';
import { DEFAULT_DATA_DIR, resolveStoreOptions } from './store-options.js';

describe('resolveStoreOptions', () => {
  const url = 'postgres://app@db:5432/twinloop';
  const envUrl = 'postgres://env@db:5432/twinloop';

  it('prefers an explicit database URL over everything else', () => {
    const env = { TWINLOOP_DATABASE_URL: envUrl, TWINLOOP_DATA_DIR: '/env/dir' };
    expect(resolveStoreOptions({ databaseUrl: url, dataDir: '/arg/dir' }, env)).toEqual({ kind: 'postgres', url });
  });

  it('prefers an explicit data dir over the environment', () => {
    expect(resolveStoreOptions({ dataDir: '/arg/dir' }, { TWINLOOP_DATABASE_URL: envUrl })).toMatchObject({
      kind: 'sqlite',
      dataDir: '/arg/dir',
    });
  });

  it('falls back to TWINLOOP_DATABASE_URL, then TWINLOOP_DATA_DIR, then the default dir', () => {
    const both = { TWINLOOP_DATABASE_URL: envUrl, TWINLOOP_DATA_DIR: '/env/dir' };
    expect(resolveStoreOptions({}, both)).toEqual({ kind: 'postgres', url: envUrl });
    expect(resolveStoreOptions({}, { TWINLOOP_DATA_DIR: '/env/dir' })).toMatchObject({ kind: 'sqlite', dataDir: '/env/dir' });
    expect(resolveStoreOptions({}, {})).toMatchObject({ kind: 'sqlite', dataDir: DEFAULT_DATA_DIR });
  });

  it('never reads DATABASE_URL, which CI sets for the tests', () => {
    expect(resolveStoreOptions({}, { DATABASE_URL: url })).toMatchObject({ kind: 'sqlite', dataDir: DEFAULT_DATA_DIR });
  });

  it('treats empty values as absent', () => {
    const env = { TWINLOOP_DATABASE_URL: '', TWINLOOP_DATA_DIR: ' ' };
    expect(resolveStoreOptions({ databaseUrl: '', dataDir: '' }, env)).toMatchObject({ kind: 'sqlite', dataDir: DEFAULT_DATA_DIR });
  });

  it('writes the embedded store as the segment log unless TWINLOOP_SEGMENT_LOG=off', () => {
    expect(resolveStoreOptions({ dataDir: '/arg/dir' }, {})).toMatchObject({ kind: 'sqlite', segments: { minBatch: 1000, sealAt: 400_000 } });
    expect(resolveStoreOptions({}, { TWINLOOP_SEGMENT_LOG: 'on' })).toMatchObject({ kind: 'sqlite', dataDir: DEFAULT_DATA_DIR, segments: { minBatch: 1000 } });
    expect(resolveStoreOptions({}, { TWINLOOP_SEGMENT_LOG: 'off' })).toEqual({ kind: 'sqlite', dataDir: DEFAULT_DATA_DIR });
    expect(resolveStoreOptions({ databaseUrl: url }, {})).toEqual({ kind: 'postgres', url });
  });
});
