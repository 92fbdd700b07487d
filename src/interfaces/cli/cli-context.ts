import type { Command } from 'commander';
import { systemClock, type Clock } from '../../domain/clock.js';
import { openEventStore, resolveStoreOptions } from '../../store/open-event-store.js';
import { openTwinService, type TwinService } from '../../twin/twin-service.js';

/** Options every command takes (see `twinloop --help`). */
export interface GlobalOptions {
  dataDir?: string;
  databaseUrl?: string;
  lateness?: string;
}

/** Parses a duration like `72h`, `3d`, `90m` or `500` (ms). */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a duration (examples: 72h, 3d, 30m)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 'ms']!;
  return Number(m[1]) * unit;
}

export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals() as GlobalOptions;
}

/** Opens the configured store and the twin layer on it, recovered to the log's end. */
export async function openTwins(options: GlobalOptions, clock: Clock = systemClock, onProgress?: (seq: number) => void): Promise<TwinService> {
  const store = await openEventStore(resolveStoreOptions({ dataDir: options.dataDir, databaseUrl: options.databaseUrl }, process.env));
  return openTwinService({
    store,
    clock,
    latenessMs: options.lateness ? parseDuration(options.lateness) : undefined,
    onRecoveryProgress: onProgress,
  });
}
