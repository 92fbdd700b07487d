import { DEFAULT_SEAL_AT, DEFAULT_SEGMENT_MIN_BATCH, type SegmentLogOptions } from './sqlite-segment-log.js';

/** Which store to open: the embedded SQLite file or a PostgreSQL database. Every port opens from these. */
export type StoreOptions =
  | { kind: 'sqlite'; dataDir: string; /** See SqliteEventStoreOptions. */ writes?: 'inline' | 'thread'; /** See SqliteEventStoreOptions. */ segments?: SegmentLogOptions | false }
  | { kind: 'postgres'; url: string; schema?: string };

/** Data directory used when nothing else is configured: beside the working directory, hidden. */
export const DEFAULT_DATA_DIR = './.twinloop';

/** What the environment may say about the store; `process.env` fits. */
export type StoreEnv = Readonly<Record<string, string | undefined>>;

/**
 * Picks the store from explicit arguments and the environment. First match wins:
 * 1. an explicit database URL (`--database-url`),
 * 2. an explicit data directory (`--data-dir`),
 * 3. `TWINLOOP_DATABASE_URL`,
 * 4. `TWINLOOP_DATA_DIR`,
 * 5. the default data directory `./.twinloop` (embedded SQLite).
 * Empty values count as absent. `DATABASE_URL` is deliberately never read: CI sets it for the
 * PostgreSQL tests, and `npm start` there must still use the embedded store.
 */
export function resolveStoreOptions(args: { dataDir?: string; databaseUrl?: string }, env: StoreEnv): StoreOptions {
  const given = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';
  if (given(args.databaseUrl)) return { kind: 'postgres', url: args.databaseUrl };
  const segments = segmentLogFromEnv(env);
  if (given(args.dataDir)) return { kind: 'sqlite', dataDir: args.dataDir, ...segments };
  const envUrl = env.TWINLOOP_DATABASE_URL;
  if (given(envUrl)) return { kind: 'postgres', url: envUrl };
  const envDir = env.TWINLOOP_DATA_DIR;
  if (given(envDir)) return { kind: 'sqlite', dataDir: envDir, ...segments };
  return { kind: 'sqlite', dataDir: DEFAULT_DATA_DIR, ...segments };
}

/**
 * The embedded store writes bulk history as the segment log of decision 0013 (on by default since
 * 2026-12-04: cheaper than a row per event in CPU as well as bytes once the log kept no hashes,
 * decision 0020); `TWINLOOP_SEGMENT_LOG=off` keeps a row per event.
 */
function segmentLogFromEnv(env: StoreEnv): { segments?: SegmentLogOptions } {
  return env.TWINLOOP_SEGMENT_LOG === 'off' ? {} : { segments: { minBatch: DEFAULT_SEGMENT_MIN_BATCH, sealAt: DEFAULT_SEAL_AT } };
}
