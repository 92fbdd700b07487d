import type { Command } from 'commander';
import { benchAlarmToNotification, type ServiceOpsBenchResult } from '../../agents/flows/service-ops-bench.js';
import { createSandboxWorld, loadWorldDocument, namedWorld, WORLD_NAMES } from '../../sandbox/index.js';
import { intOption } from './cli-numbers.js';

/** The human summary of `bench alarms`. */
export function formatAlarmsBench(r: ServiceOpsBenchResult): string {
  const a = r.alarmToFirstNotification;
  const b = r.baselineNotification;
  return [
    `${r.customers} customers, ${r.backfillEvents} backfilled events; cell index ${r.cellIndex.cells} cells, ${r.cellIndex.customers} customers`,
    `alarm raised → first notification answered: p50 ${a.p50} ms, p99 ${a.p99} ms, max ${a.max} ms over ${a.count} alarms (${r.alarmsRaised} raised, ${r.alarmsWithoutCustomers} without customers)`,
    `baseline, one notification call alone: p50 ${b.p50} ms, p99 ${b.p99} ms; ratio p50 ${(a.p50 / Math.max(b.p50, 0.001)).toFixed(1)}×`,
    `${r.notificationsSent} notifications sent, ${r.workflowsSucceeded} workflows succeeded, ${r.wallSeconds.toFixed(1)} s`,
  ].join('\n');
}

/** Adds `bench alarms`: network alarm to proactive customer notification, end to end on a sandbox world. */
export function registerAlarmsBench(bench: Command): void {
  bench
    .command('alarms')
    .description('service operations: network alarm → first proactive notification answered, against one notification call alone')
    .option('--world <name>', `built-in world: ${WORLD_NAMES.join(', ')}`, 'small')
    .option('--customers <n>', 'population', intOption('--customers', 10), 2_000)
    .option('--alarms <n>', 'alarms measured', intOption('--alarms', 1), 20)
    .option('--months <n>', 'months of history backfilled first (what the cell index learns from)', intOption('--months', 1), 6)
    .option('--seed <n>', 'world seed', intOption('--seed', 0), 1)
    .option('--json', 'last line: one JSON object')
    .action(
      async (opts: { world: string; customers: number; alarms: number; months: number; seed: number; json?: boolean }) => {
        const base = namedWorld(opts.world);
        // The operator's back ends answer with the default world's latencies (the small world's
        // answer at once, which would measure nothing), and incidents are frequent enough to
        // raise the alarms asked for within the run.
        const backends = namedWorld('default').backends;
        const network = { ...base.network, incidents: { ...base.network.incidents, perCellPerMonth: Math.max(3, base.network.incidents.perCellPerMonth) } };
        const r = await benchAlarmToNotification({
          alarms: opts.alarms,
          customers: opts.customers,
          months: opts.months,
          world: (customers) => createSandboxWorld(loadWorldDocument({ ...base, backends, network, population: { ...base.population, customers } }), opts.seed),
          log: (l) => process.stderr.write(`${l}\n`),
        });
        process.stdout.write(`${formatAlarmsBench(r)}\n`);
        if (opts.json) process.stdout.write(`${JSON.stringify({ ...r, ratioP50: r.alarmToFirstNotification.p50 / Math.max(r.baselineNotification.p50, 0.001) })}\n`);
      },
    );
}
