import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TwinEvent } from '../domain/events.js';
import { NDJSON_CHUNK_CHARS, usageEvent, type EventOutput } from './event-output.js';
import { createSandboxWorld } from './sandbox-world.js';
import type { WorldConfig } from './world-config.js';

/** What `twinloop bench sandbox` reports. */
export interface SandboxBenchResult {
  bench: 'sandbox';
  customers: number;
  months: number;
  events: number;
  bytes: number;
  /** Events per second generated and written as NDJSON by the fast path. */
  eventsPerSec: number;
  /** Same world and seed, each event built as an object and written with JSON.stringify. */
  baselineStringifyEventsPerSec: number;
  ratioVsStringify: number;
  /** Writing the very same bytes again in 1 MB chunks: the disk's ceiling for this run. */
  rawWriteMBPerSec: number;
  /** Share of the raw-write ceiling the generator reaches (1 = as fast as copying the file). */
  ratioVsRawWrite: number;
  identicalOutput: boolean;
}

/**
 * Measures generation to a file against two same-process baselines: the naive writer
 * (objects + JSON.stringify per event) and a plain rewrite of the produced bytes. Both writers
 * are warmed up first and alternated; each keeps its best of `rounds`.
 */
export async function runSandboxBench(config: WorldConfig, months: number, seed = 1, rounds = 2): Promise<SandboxBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-sandbox-bench-'));
  try {
    const fast = join(dir, 'fast.ndjson');
    const slow = join(dir, 'slow.ndjson');
    // Warm both paths up on a small copy of the world so neither is measured cold (JIT).
    const warm = { ...config, population: { ...config.population, customers: Math.min(2000, config.population.customers) } };
    await fastPath(warm, seed, 1, fast);
    naivePath(warm, seed, 1, slow);
    let fastSec = Infinity;
    let slowSec = Infinity;
    let events = 0;
    let bytes = 0;
    // Alternate the two paths and keep each one's best round: the machine may be shared.
    for (let r = 0; r < rounds; r++) {
      const f = await fastPath(config, seed, months, fast);
      fastSec = Math.min(fastSec, f.sec);
      events = f.events;
      bytes = f.bytes;
      slowSec = Math.min(slowSec, naivePath(config, seed, months, slow));
    }
    const data = readFileSync(fast);
    const identicalOutput = data.equals(readFileSync(slow));
    const copy = openSync(join(dir, 'copy.ndjson'), 'w');
    const t = performance.now();
    for (let off = 0; off < data.length; off += NDJSON_CHUNK_CHARS) writeSync(copy, data, off, Math.min(NDJSON_CHUNK_CHARS, data.length - off));
    closeSync(copy);
    const rawSec = Math.max(1e-6, (performance.now() - t) / 1000);
    const eventsPerSec = events / fastSec;
    return {
      bench: 'sandbox',
      customers: config.population.customers,
      months,
      events,
      bytes,
      eventsPerSec: Math.round(eventsPerSec),
      baselineStringifyEventsPerSec: Math.round(events / slowSec),
      ratioVsStringify: Math.round((eventsPerSec / (events / slowSec)) * 100) / 100,
      rawWriteMBPerSec: Math.round(bytes / rawSec / 1e6),
      ratioVsRawWrite: Math.round((eventsPerSec / (events / rawSec)) * 1000) / 1000,
      identicalOutput,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function fastPath(config: WorldConfig, seed: number, months: number, path: string): Promise<{ sec: number; events: number; bytes: number }> {
  const t = performance.now();
  const r = await createSandboxWorld(config, seed, { latencyScale: 0 }).backfillToFile(path, { months });
  return { sec: (performance.now() - t) / 1000, ...r };
}

/** The naive writer: an object per event and JSON.stringify, in 1 MB chunks. Returns seconds. */
function naivePath(config: WorldConfig, seed: number, months: number, path: string): number {
  const fd = openSync(path, 'w');
  const t = performance.now();
  let chunk = '';
  const push = (e: TwinEvent) => {
    chunk += JSON.stringify(e) + '\n';
    if (chunk.length > NDJSON_CHUNK_CHARS) {
      writeSync(fd, chunk);
      chunk = '';
    }
  };
  const naive: EventOutput = {
    usage: (_slot, idPrefix, idSeq, customerId, time, subscriptionId, dataMb, voiceMin, sms, roaming) => push(usageEvent(idPrefix + idSeq, customerId, time, subscriptionId, dataMb, voiceMin, sms, roaming)),
    event: push,
  };
  createSandboxWorld(config, seed, { latencyScale: 0 }).generate(naive, { months });
  writeSync(fd, chunk);
  closeSync(fd);
  return (performance.now() - t) / 1000;
}
