import { threadCpuSeconds, threadCpuSecondsIfKnown } from '../../domain/cpu-time.js';
import { TwinloopError } from '../../domain/errors.js';
import { createSandboxWorld } from '../../sandbox/index.js';
import { resolveWorld } from '../cli/sandbox-commands.js';
import { DEFAULT_RETENTION_BUDGET, DEFAULT_SANDBOX_SPEED, startOperator, type ReadyReport } from '../runtime/operator.js';
import { historyDays } from '../runtime/sandbox-operator.js';
import { inTempDir, worldOptions } from './bench-fixtures.js';
import { defineBench } from './bench-harness.js';
import { ratio, round } from './bench-stats.js';

/** How the first start's history goes in: from its seed, written behind (decision 0021), or each batch written before it is applied (decision 0011). */
export type HistoryPath = 'seeded' | 'durable';

/** Figures of `bench first-start`. */
export interface FirstStartBenchResult {
  world: string;
  customers: number;
  months: number;
  history: HistoryPath;
  events: number;
  /** The server's own ready report (seconds and CPU of each phase). */
  ready: ReadyReport;
  /**
   * CPU µs an event of the thread the intake runs on, in the history phase: the sandbox's
   * generation, the intake's checks, the twins, the listeners and that thread's garbage
   * collection. On two idle cores the history's wall time follows it (the other threads work beside it).
   */
  intake_thread_cpu_us_per_event: number;
  /** CPU µs an event of every thread of the process in the history phase (the ready line's figure). */
  process_cpu_us_per_event: number;
  /** Same-process baseline: the same world's events generated on this thread and dropped. */
  generate_only_cpu_us_per_event: number;
  /** The intake thread's CPU an event against the generation's alone (the load moves both alike). */
  ratio_to_generate: number;
}

/**
 * The first start as `twinloop start` runs it (the operator with every listener the server
 * attaches, a fresh data dir, the sandbox's world backfilled through the intake and the first
 * model trained), without the HTTP edge, on a smaller population; then the operator is closed.
 */
export async function runFirstStartBench(o: { world: string; customers: number; months: number; seed: number; history: HistoryPath; log: (s: string) => void }): Promise<FirstStartBenchResult> {
  if (threadCpuSecondsIfKnown() === undefined) throw new TwinloopError('UNAVAILABLE', "bench first-start reads a thread's CPU from /proc (Linux only)");
  const config = resolveWorld({ world: o.world, customers: o.customers });
  // The baseline: the world's events made on this thread and dropped.
  const counter = createSandboxWorld(config, o.seed, { latencyScale: 0 });
  let generated = 0;
  const g0 = threadCpuSeconds();
  counter.generate({ usage: () => void generated++, event: () => void generated++ }, { days: historyDays(o.months) });
  const generateUs = ((threadCpuSeconds() - g0) * 1e6) / generated;
  o.log(`generate only: ${generated} events, ${round(generateUs)} µs CPU an event on this thread`);

  return inTempDir('first-start-bench', async (dataDir) => {
    const operator = await startOperator({
      store: { kind: 'sqlite', dataDir },
      sandbox: { config, worldName: o.world, seed: o.seed, months: o.months, speed: DEFAULT_SANDBOX_SPEED, seededHistory: o.history === 'seeded' },
      retentionBudget: DEFAULT_RETENTION_BUDGET,
      log: (line) => o.log(`  ${line}`),
      warn: (line) => o.log(`  ${line}`),
    });
    try {
      const ready = await operator.scored;
      if (ready.historyEvents === 0) throw new TwinloopError('INTERNAL', 'bench first-start: the history phase took no events (a store that was not fresh?)');
      const threadUs = ((ready.historyThreadCpuSeconds ?? 0) * 1e6) / ready.historyEvents;
      return {
        world: o.world,
        customers: o.customers,
        months: o.months,
        history: o.history,
        events: ready.historyEvents,
        ready,
        intake_thread_cpu_us_per_event: round(threadUs),
        process_cpu_us_per_event: round((ready.historyCpuSeconds * 1e6) / ready.historyEvents),
        generate_only_cpu_us_per_event: round(generateUs),
        ratio_to_generate: ratio(threadUs, generateUs),
      };
    } finally {
      await operator.close();
    }
  });
}

function historyOption(value: string): HistoryPath {
  if (value === 'seeded' || value === 'durable') return value;
  throw new TwinloopError('BAD_INPUT', `--history must be seeded or durable, got "${value}"`);
}

/** `bench first-start`: the server's first start in process, and the intake thread's CPU an event in its history phase. */
export const firstStartBench = defineBench({
  name: 'first-start',
  description: "The server's first start in process (every listener, no HTTP edge) on a fresh data dir: the ready report and the intake thread's CPU an event in the history phase, against generating the same world alone",
  options: [
    ...worldOptions({ customers: 2_000, months: 12 }),
    { flags: '--history <seeded|durable>', description: 'the history from its seed, written behind (decision 0021), or each batch written before it is applied (decision 0011)', parse: historyOption, default: 'seeded' },
  ],
  run: (o: { world: string; customers: number; months: number; seed: number; history: HistoryPath }, { log }) => runFirstStartBench({ ...o, log }),
});
