import type { Command } from 'commander';
import { TwinloopError } from '../../domain/errors.js';
import { systemClock, type Clock } from '../../domain/clock.js';
import { resolveStoreOptions } from '../../store/store-options.js';
import type { TwinService } from '../../twin/twin-service.js';
import { openTwins as openStoreTwins, type StoreAccess } from '../runtime/open-twins.js';
import { DAY_MS } from '../../domain/time.js';

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
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS }[m[2] ?? 'ms']!;
  return Number(m[1]) * unit;
}

export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals() as GlobalOptions;
}

/** Opens the configured store and the twin layer on it, recovered to the log's end (see `StoreAccess` for the data dir's lock). */
export async function openTwins(options: GlobalOptions, clock: Clock = systemClock, access: StoreAccess = 'write', onProgress?: (seq: number) => void): Promise<TwinService> {
  const storeOptions = resolveStoreOptions({ dataDir: options.dataDir, databaseUrl: options.databaseUrl }, process.env);
  return openStoreTwins(storeOptions, { clock, access, latenessMs: options.lateness ? parseDuration(options.lateness, '--lateness') : undefined, onProgress });
}
