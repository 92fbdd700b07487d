import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock, type Clock } from '../../domain/clock.js';
import { TwinloopError } from '../../domain/errors.js';
import type { EventStore } from '../../store/event-store.js';
import { openEventStore } from '../../store/open-event-store.js';
import type { StoreOptions } from '../../store/store-options.js';
import { openTwinService, type TwinService } from '../../twin/twin-service.js';
import { startHistoryWriter, type HistoryWriter } from './history-writer.js';

/**
 * What a process does with the store: `read` (no writes, allowed beside a running server),
 * `write` (refused while a server runs on the same data dir: one writer per store), `server`
 * (takes the data dir's server lock for its lifetime).
 */
export type StoreAccess = 'read' | 'write' | 'server';

/** The server holding a data dir, as its lock file says. */
export interface ServerLock {
  pid: number;
  url?: string;
}

const LOCK_FILE = 'server.json';

/** Whether process `pid` is running (EPERM: it is, as another user's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The server holding the data dir, if one runs. */
export function runningServer(dataDir: string): ServerLock | undefined {
  const file = join(dataDir, LOCK_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const lock = JSON.parse(readFileSync(file, 'utf8')) as ServerLock;
    return lock.pid !== process.pid && processAlive(lock.pid) ? lock : undefined;
  } catch {
    return undefined;
  }
}

/** Records this process as the data dir's server (with its URL once listening). */
export function writeServerLock(dataDir: string, url?: string): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify({ pid: process.pid, url } satisfies ServerLock));
}

/** Frees the data dir for other writers. */
export function removeServerLock(dataDir: string): void {
  rmSync(join(dataDir, LOCK_FILE), { force: true });
}

/** Options of `openTwins`. */
export interface OpenTwinsOptions {
  readonly clock?: Clock;
  readonly access?: StoreAccess;
  /** How late an event may arrive and still be applied in order (the twin layer's default when absent). */
  readonly latenessMs?: number;
  /** How far ahead of `clock` an event may be dated and still be taken (the intake's default when absent). */
  readonly maxFutureMs?: number;
  readonly onProgress?: (seq: number) => void;
  /** A partition worker's twins (decision 0012): opened empty, each partition recovered when taken. */
  readonly partitioned?: boolean;
  /** Where to say what happens to a seeded history left by an earlier run (discarded, or written on). */
  readonly log?: (line: string) => void;
}

/** The twins opened, with the writing of a seeded history left unfinished by an earlier run, if one is going on. */
export type OpenedTwins = TwinService & { readonly historyWriter?: HistoryWriter };

/**
 * A seeded history an earlier run left (decision 0021): one that never finished going through the
 * intake is discarded (the sandbox's position stayed at day 0, so the first start runs again); one
 * that finished but is not all written is written on from its seed, in a thread. The twins' replay
 * must not pass its unwritten seqs: a server whose checkpoint is past the history goes on while it
 * is written, any other process waits for it first.
 */
async function resumeSeededHistory(store: EventStore, dataDir: string, waitForIt: boolean, log: (line: string) => void): Promise<HistoryWriter | undefined> {
  const record = await store.seededHistory?.read();
  if (!store.seededHistory || !record) return undefined;
  if (record.lastSeq === null) {
    const { events } = await store.seededHistory.discardUnfinished();
    log(`twins: the first start's history had not finished going through the intake when the last run stopped: discarded (${events} events of it written), taken again from its seed`);
    return undefined;
  }
  if (record.writtenThrough >= record.lastSeq) return undefined;
  const writer = startHistoryWriter(dataDir, record, log);
  const checkpoint = await store.loadCheckpoint();
  log(`twins: writing the rest of the first start's history from its seed (${Math.floor(writer.written() * 100)} % written)${waitForIt || (checkpoint?.seq ?? 0) < record.lastSeq ? '; the twins open once it is in' : ''}`);
  if (waitForIt || (checkpoint?.seq ?? 0) < record.lastSeq) {
    await writer.done;
    await store.bulkLoadEnded();
    return undefined;
  }
  return writer;
}

/** Opens the store and the twin layer on it, recovered to the log's end, respecting the data dir's server lock. */
export async function openTwins(storeOptions: StoreOptions, options: OpenTwinsOptions = {}): Promise<OpenedTwins> {
  const access = options.access ?? 'write';
  if (storeOptions.kind === 'sqlite' && access !== 'read') {
    const server = runningServer(storeOptions.dataDir);
    if (server) {
      throw new TwinloopError(
        'CONFLICT',
        access === 'server'
          ? `another Twinloop server (pid ${server.pid}${server.url ? `, ${server.url}` : ''}) runs on ${storeOptions.dataDir}; stop it or use another --data-dir`
          : `a Twinloop server (pid ${server.pid}) runs on ${storeOptions.dataDir}; send the events to it (${server.url ?? 'its URL'}/events, or 'twinloop publish') or stop it first: one process writes a store`,
      );
    }
    if (access === 'server') writeServerLock(storeOptions.dataDir);
  }
  // The commands and the server commit on the store's writer thread, so the intake checks the
  // next batch while one commits (about 1.4x the inline rate on two cores; BENCHMARKS.md).
  const store = await openEventStore(storeOptions.kind === 'sqlite' ? { ...storeOptions, writes: 'thread' } : storeOptions);
  const historyWriter = storeOptions.kind === 'sqlite' && access !== 'read' ? await resumeSeededHistory(store, storeOptions.dataDir, access !== 'server', options.log ?? (() => {})) : undefined;
  const twins = await openTwinService({ store, clock: options.clock ?? systemClock, latenessMs: options.latenessMs, onRecoveryProgress: options.onProgress, partitioned: options.partitioned, ...(options.maxFutureMs === undefined ? {} : { intake: { maxFutureMs: options.maxFutureMs } }) });
  return historyWriter ? Object.assign(twins, { historyWriter }) : twins;
}
