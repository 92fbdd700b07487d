import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { TwinloopError } from '../../domain/errors.js';
import { systemClock, type Clock } from '../../domain/clock.js';
import { openEventStore } from '../../store/open-event-store.js';
import { resolveStoreOptions } from '../../store/store-options.js';
import { openTwinService, type TwinService } from '../../twin/twin-service.js';

/** Options every command takes (see `twinloop --help`). */
export interface GlobalOptions {
  dataDir?: string;
  databaseUrl?: string;
  lateness?: string;
}

/** Parses a duration like `72h`, `3d`, `90m` or `500` (ms), given to `option`, which a refusal names. */
export function parseDuration(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new TwinloopError('BAD_INPUT', `${option}: "${text}" is not a duration (examples: 72h, 3d, 30m, 500ms)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 'ms']!;
  return Number(m[1]) * unit;
}

export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals() as GlobalOptions;
}

/**
 * What a command does with the store: `read` (no writes, allowed beside a running server),
 * `write` (refused while a server runs on the same data dir: one writer per store), `server`
 * (takes the data dir's server lock for its lifetime).
 */
export type StoreAccess = 'read' | 'write' | 'server';

interface ServerLock {
  pid: number;
  url?: string;
}

const LOCK_FILE = 'server.json';

function alive(pid: number): boolean {
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
    return lock.pid !== process.pid && alive(lock.pid) ? lock : undefined;
  } catch {
    return undefined;
  }
}

/** Records this process as the data dir's server (with its URL once listening). */
export function writeServerLock(dataDir: string, url?: string): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify({ pid: process.pid, url } satisfies ServerLock));
}

export function removeServerLock(dataDir: string): void {
  rmSync(join(dataDir, LOCK_FILE), { force: true });
}

/** Opens the configured store and the twin layer on it, recovered to the log's end. */
export async function openTwins(options: GlobalOptions, clock: Clock = systemClock, access: StoreAccess = 'write', onProgress?: (seq: number) => void): Promise<TwinService> {
  const storeOptions = resolveStoreOptions({ dataDir: options.dataDir, databaseUrl: options.databaseUrl }, process.env);
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
  return openTwinService({
    store,
    clock,
    latenessMs: options.lateness ? parseDuration(options.lateness, '--lateness') : undefined,
    onRecoveryProgress: onProgress,
  });
}
