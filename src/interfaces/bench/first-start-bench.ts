import { threadCpuSeconds, threadCpuSecondsIfKnown } from '../../domain/cpu-time.js';
import { TwinloopError } from '../../domain/errors.js';
import { createSandboxWorld } from '../../sandbox/index.js';
import { resolveWorld } from '../cli/sandbox-commands.js';
import { DEFAULT_RETENTION_BUDGET, DEFAULT_SANDBOX_SPEED, startOperator, type ReadyReport } from '../runtime/operator.js';
import { historyDays } from '../runtime/sandbox-operator.js';
import { inTempDir, worldOptions } from './bench-fixtures.js';
import { defineBench } from './bench-harness.js';
import { longestHold, ratio, round } from './bench-stats.js';
import { intOption } from '../cli/cli-numbers.js';

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
  /**
   * The event loop over the `--after-ready` seconds after the ready line, the world live (the first
   * proactive churn run, the sweeps, the history written behind): how late a 20-ms timer ran, its
   * longest (what a request arriving then waited, on top of its own work), its p99, and how many
   * times it was held more than a second.
   */
  after_ready: { seconds: number; longest_hold_ms: number; p99_ms: number; holds_over_1s: number };
  /**
   * The proactive churn scan of every twin once the window ends, the event loop's longest hold
   * while it runs: as one process's run scans now (`ChurnWorkHere.scan`, in slices) against the same
   * scan in one go (the baseline, as it ran until 2026-12-07); ratio = slices / one go.
   */
  churn_scan_hold_ms: { in_one_go: number; in_slices: number; ratio: number; scanned: number };
}

/** How late a 20-ms timer runs over `seconds`: what the server's own `/health` eventLoopDelay measures. */
async function loopDelayOver(seconds: number): Promise<FirstStartBenchResult['after_ready']> {
  const every = 20;
  const late: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    late.push(Math.max(0, now - last - every));
    last = now;
  }, every);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  clearInterval(timer);
  late.sort((a, b) => a - b);
  const at = (q: number) => (late.length ? late[Math.min(late.length - 1, Math.floor(q * late.length))] : 0);
  return { seconds, longest_hold_ms: round(late.at(-1) ?? 0, 1), p99_ms: round(at(0.99), 1), holds_over_1s: late.filter((x) => x > 1000).length };
}

/**
 * The first start as `twinloop start` runs it (the operator with every listener the server
 * attaches, a fresh data dir, the sandbox's world backfilled through the intake and the first
 * model trained), without the HTTP edge, on a smaller population; then the operator is closed.
 */
export async function runFirstStartBench(o: { world: string; customers: number; months: number; seed: number; history: HistoryPath; afterReady: number; log: (s: string) => void }): Promise<FirstStartBenchResult> {
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
      o.log(`ready; the event loop watched for ${o.afterReady} s…`);
      const afterReady = await loopDelayOver(o.afterReady);
      const offers = (await operator.services.churnPolicy.get()).offers;
      let scanned = 0;
      const oneGo = await longestHold(async () => void (scanned = operator.churnHere.scanPage([], offers, null, Infinity, () => true).items.length));
      const sliced = await longestHold(async () => void (await operator.churnHere.scan([], offers)));
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
        after_ready: afterReady,
        churn_scan_hold_ms: { in_one_go: round(oneGo.holdMs, 1), in_slices: round(sliced.holdMs, 1), ratio: ratio(sliced.holdMs, oneGo.holdMs), scanned },
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
  description: "The server's first start in process (every listener, no HTTP edge) on a fresh data dir: the ready report and the intake thread's CPU an event in the history phase, against generating the same world alone; then the event loop's holds in the minute after ready, and the proactive churn scan's longest hold in slices against in one go",
  options: [
    ...worldOptions({ customers: 2_000, months: 12 }),
    { flags: '--history <seeded|durable>', description: 'the history from its seed, written behind (decision 0021), or each batch written before it is applied (decision 0011)', parse: historyOption, default: 'seeded' },
    { flags: '--after-ready <s>', description: 'seconds the event loop is watched after the ready line, the world live', parse: intOption('--after-ready', 1, 3_600), default: 60 },
  ],
  run: (o: { world: string; customers: number; months: number; seed: number; history: HistoryPath; afterReady: number }, { log }) => runFirstStartBench({ ...o, log }),
});
