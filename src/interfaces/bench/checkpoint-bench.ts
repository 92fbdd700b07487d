import { join } from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { ManualClock } from '../../domain/clock.js';
import { threadCpuSeconds } from '../../domain/cpu-time.js';
import { openEventStore } from '../../store/open-event-store.js';
import { DEFAULT_SEAL_AT, DEFAULT_SEGMENT_MIN_BATCH } from '../../store/sqlite-segment-log.js';
import { syntheticEvents } from '../../twin/synthetic-events.js';
import { RECORD_BYTES } from '../../twin/twin-layout.js';
import { packTwinRecord, unpackTwinRecord } from '../../twin/twin-record-bytes.js';
import { openTwinService } from '../../twin/twin-service.js';
import { intOption } from '../cli/cli-numbers.js';
import { inTempDir } from './bench-fixtures.js';
import { defineBench } from './bench-harness.js';
import { consume, longestHold, median, ratio, round } from './bench-stats.js';

/** Figures of `bench checkpoint`; see BENCHMARKS.md ("The checkpoint's packing"). */
export interface CheckpointBenchResult {
  twins: number;
  events: number;
  record_bytes: number;
  /**
   * CPU to pack (and unpack) one twin's record as the store keeps it, in µs: as deployed
   * (`packTwinRecord`) and the baseline, raw deflate at level 1 with a zlib handle per record
   * (`deflateRawSync`), each its best of alternating turns.
   */
  pack_us_per_twin: { deployed: number; deflate_baseline: number; ratio: number };
  unpack_us_per_twin: { deployed: number; inflate_baseline: number; ratio: number };
  kept_bytes_per_twin: { deployed: number; deflate_baseline: number; ratio: number };
  /**
   * A checkpoint of every twin through the twin service on the embedded store as deployed (the
   * segment log on the writer thread; slices of `CHECKPOINT_SLICE_TWINS`), the median of `runs`:
   * the intake thread's CPU (what it takes from the server's event loop), the process's (every
   * thread), its wall time and the longest the event loop was held meanwhile.
   */
  checkpoint: { runs: number; main_thread_cpu_ms: number; main_thread_cpu_us_per_twin: number; process_cpu_ms: number; wall_ms: number; longest_hold_ms: number };
}

/** Alternating turns of the deployed packing and the baseline (each keeps its best). */
const TURNS = 6;

/**
 * CPU µs per item of the best of `turns` of each side, in alternating order (A B, B A, …). The
 * process's CPU, in µs (the thread's is counted in ticks of 10 ms, coarse for a turn of tens of
 * ms): each side is synchronous work on this thread while the store's thread is idle.
 */
function alternate(items: number, sides: { a: () => number; b: () => number }, turns: number): { a: number; b: number } {
  const best = { a: Infinity, b: Infinity };
  for (let t = 0; t < turns; t++) {
    for (const side of t % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const)) {
      const cpu = process.cpuUsage();
      consume(sides[side]());
      const used = process.cpuUsage(cpu);
      best[side] = Math.min(best[side], used.user + used.system);
    }
  }
  return { a: round(best.a / items, 2), b: round(best.b / items, 2) };
}

/** Twins from synthetic events, packed both ways, then checkpointed whole on the embedded store. */
export async function runCheckpointBench(options: { twins: number; days: number; runs: number; log: (line: string) => void }): Promise<CheckpointBenchResult> {
  const { log } = options;
  return inTempDir('checkpoint-bench', async (dir) => {
    const store = await openEventStore({ kind: 'sqlite', dataDir: join(dir, 'store'), writes: 'thread', segments: { minBatch: DEFAULT_SEGMENT_MIN_BATCH, sealAt: DEFAULT_SEAL_AT } });
    // No checkpoint by count while the twins are filled: the bench takes its own.
    const twins = await openTwinService({ store, clock: new ManualClock(Date.parse('2100-01-01')), checkpointEvery: Number.MAX_SAFE_INTEGER });
    try {
      // The twins are filled straight through the engine: the checkpoint reads only their records.
      const engine = twins.engine;
      let events = 0;
      for (const e of syntheticEvents({ customers: options.twins, days: options.days, seed: 17 })) {
        engine.apply(e, Date.parse(e.time));
        events++;
      }
      const ids = [...engine.customerIds()];
      const records = ids.map((id) => engine.snapshot(id)!);
      log(`${ids.length} twins from ${events} events (${options.days} days), ${RECORD_BYTES} bytes a record`);

      let deployedBytes = 0;
      let deflatedBytes = 0;
      const pack = alternate(
        records.length,
        {
          a: () => {
            deployedBytes = 0;
            for (const r of records) deployedBytes += packTwinRecord(r).length;
            return deployedBytes;
          },
          b: () => {
            deflatedBytes = 0;
            for (const r of records) deflatedBytes += deflateRawSync(r, { level: 1 }).length;
            return deflatedBytes;
          },
        },
        TURNS,
      );
      log(`pack a record: ${pack.a} µs CPU as deployed, ${pack.b} µs deflating it (baseline), ratio ${ratio(pack.a, pack.b)}; ${Math.round(deployedBytes / records.length)} against ${Math.round(deflatedBytes / records.length)} bytes kept`);
      const kept = records.map((r) => packTwinRecord(r));
      const deflated = records.map((r) => deflateRawSync(r, { level: 1 }));
      const unpack = alternate(
        records.length,
        {
          a: () => {
            let n = 0;
            for (const k of kept) n += unpackTwinRecord(k)!.length;
            return n;
          },
          b: () => {
            let n = 0;
            for (const k of deflated) n += inflateRawSync(k).length;
            return n;
          },
        },
        TURNS,
      );
      log(`unpack a record: ${unpack.a} µs CPU as deployed, ${unpack.b} µs inflating it (baseline), ratio ${ratio(unpack.a, unpack.b)}`);

      // Whole checkpoints, every twin changed (a live day touches them all), as the server's timer takes them.
      const mainMs: number[] = [];
      const processMs: number[] = [];
      const wallMs: number[] = [];
      const holdMs: number[] = [];
      await twins.checkpoint(); // the first writes every twin's history snapshot too; the timed ones are the steady state
      for (let r = 0; r < options.runs; r++) {
        engine.markDirty(ids);
        const thread = threadCpuSeconds();
        const cpu = process.cpuUsage();
        const { holdMs: hold, wallMs: wall } = await longestHold(() => twins.checkpoint());
        const used = process.cpuUsage(cpu);
        mainMs.push((threadCpuSeconds() - thread) * 1000);
        processMs.push((used.user + used.system) / 1000);
        wallMs.push(wall);
        holdMs.push(hold);
      }
      const main = median(mainMs);
      log(`checkpoint of ${ids.length} twins (median of ${options.runs}): ${round(main, 1)} ms CPU of the intake thread (${round((main * 1000) / ids.length, 2)} µs a twin), ${round(median(processMs), 1)} ms of the process, ${round(median(wallMs), 1)} ms wall, the event loop held at most ${round(median(holdMs), 1)} ms`);
      return {
        twins: ids.length,
        events,
        record_bytes: RECORD_BYTES,
        pack_us_per_twin: { deployed: pack.a, deflate_baseline: pack.b, ratio: ratio(pack.a, pack.b) },
        unpack_us_per_twin: { deployed: unpack.a, inflate_baseline: unpack.b, ratio: ratio(unpack.a, unpack.b) },
        kept_bytes_per_twin: { deployed: Math.round(deployedBytes / records.length), deflate_baseline: Math.round(deflatedBytes / records.length), ratio: ratio(deployedBytes, deflatedBytes) },
        checkpoint: {
          runs: options.runs,
          main_thread_cpu_ms: round(main, 1),
          main_thread_cpu_us_per_twin: round((main * 1000) / ids.length, 2),
          process_cpu_ms: round(median(processMs), 1),
          wall_ms: round(median(wallMs), 1),
          longest_hold_ms: round(median(holdMs), 1),
        },
      };
    } finally {
      await twins.close({ checkpoint: false });
    }
  });
}

/** `bench checkpoint`: a twin record's packing against deflate, and whole checkpoints on the embedded store. */
export const checkpointBench = defineBench({
  name: 'checkpoint',
  description: "A twin record's packing for the store (as deployed against deflate, the baseline) and whole checkpoints of every twin on the embedded store",
  options: [
    { flags: '--twins <n>', description: 'twins in the checkpoint', parse: intOption('--twins', 100), default: 20_000 },
    { flags: '--days <n>', description: 'days of synthetic history each twin is filled from', parse: intOption('--days', 1), default: 120 },
    { flags: '--runs <n>', description: 'whole checkpoints timed (the median is reported)', parse: intOption('--runs', 1), default: 5 },
  ],
  run: (o: { twins: number; days: number; runs: number }, { log }) => runCheckpointBench({ ...o, log }),
});
