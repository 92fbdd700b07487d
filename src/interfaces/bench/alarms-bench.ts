import { join } from 'node:path';
import { watchAlarms } from '../../agents/flows/alarm-watcher.js';
import { servesCustomers } from '../../agents/flows/service-ops-signals.js';
import { serviceOperationsWorkflow } from '../../agents/flows/service-operations-flow.js';
import { serviceOpsExecutor, twinScores } from '../../agents/flows/service-ops-executor.js';
import { createApprovalQueue } from '../../agents/governance/approval-queue.js';
import { createAuditTrail } from '../../agents/governance/audit-trail.js';
import { createGuardedExecutor, type ActionExecutor } from '../../agents/governance/guarded-executor.js';
import { createWorkflowEngine } from '../../agents/workflows/index.js';
import type { Clock } from '../../domain/clock.js';
import type { BillingAdjustmentsConnector } from '../../domain/connectors/billing-adjustments.js';
import type { Alarm, NetworkAlarmsConnector } from '../../domain/connectors/network-alarms.js';
import type { NotificationsConnector } from '../../domain/connectors/notifications.js';
import type { EventSink } from '../../domain/event-sink.js';
import { createBudgetLedger, DEFAULT_ACTION_POLICY, parseActionPolicy } from '../../decisioning/policy/index.js';
import { createSandboxWorld, loadWorldDocument, namedWorld, WORLD_NAMES } from '../../sandbox/index.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import { openWorkflowJournal } from '../../store/open-workflow-journal.js';
import { openTwinService } from '../../twin/twin-service.js';
import { intOption } from '../cli/cli-numbers.js';
import { inTempDir } from './bench-fixtures.js';
import { defineBench } from './bench-harness.js';
import { ratio, sampleStats } from './bench-stats.js';

/**
 * Benchmark: alarm raised → first proactive notification answered by the notification back end,
 * with everything real in between (alarm watcher, workflow engine on SQLite, the twins' cells, guarded
 * executor with policy, budget and hash-chained audit on SQLite, the sandbox back ends at their
 * configured latencies). The baseline is the notification back end's own latency, measured in the
 * same process. The world is passed in: see `BenchWorld`.
 */

/** The parts of a sandbox world the bench uses (`createSandboxWorld(...)` fits). */
export interface BenchWorld {
  readonly clock: Clock;
  readonly backends: { notifications: NotificationsConnector; billingAdjustments: BillingAdjustmentsConnector; networkAlarms: NetworkAlarmsConnector };
  backfill(options: { months: number; sink: EventSink }): Promise<{ events: number }>;
  startLive(options: { speed: number; sink: EventSink; tickMs?: number }): { stop(): Promise<unknown> };
}

/** Options of the bench. */
export interface ServiceOpsBenchOptions {
  /** Alarms to measure (those the flow acts on: a warning's run only watches, so the bench's watcher leaves warnings out). */
  alarms: number;
  /** Customers in the world. */
  customers: number;
  /** Builds the world for `customers` (e.g. the `small` world with default back-end latencies). */
  world: (customers: number) => BenchWorld;
  /** History backfilled before the live run, so that the twins know who is where (default 12). */
  months?: number;
  /** Simulated ms per real ms during the live run (default 21 600: a simulated day every 4 s). */
  speed?: number;
  /** Notification calls of the baseline (default 200). */
  baselineCalls?: number;
  /** Real-time cap of the live run (default 120 s). */
  maxSeconds?: number;
  log?: (line: string) => void;
}

/** Latency figures in ms. */
export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** What the bench returns. */
export interface ServiceOpsBenchResult {
  customers: number;
  backfillEvents: number;
  /** Cells named by the twins' usage records, and customers with a cell. */
  cellIndex: { cells: number; customers: number };
  alarmsRaised: number;
  alarmsMeasured: number;
  /** Alarms whose cell had no known active customers (nothing to notify). */
  alarmsWithoutCustomers: number;
  /** Alarm raised (feed callback) → first notification answered. */
  alarmToFirstNotification: LatencySummary;
  /** One notification call on the same back end, alone. */
  baselineNotification: LatencySummary;
  notificationsSent: number;
  workflowsSucceeded: number;
  wallSeconds: number;
}

/** p50/p99/max of latencies in ms, to 0.1 ms. */
const summarize = (samples: readonly number[]): LatencySummary => sampleStats(samples, ['count', 'p50', 'p99', 'max'], 1);

/** Runs the bench; see the module comment. Returns plain data. */
export async function benchAlarmToNotification(o: ServiceOpsBenchOptions): Promise<ServiceOpsBenchResult> {
  const log = o.log ?? (() => undefined);
  const t0 = performance.now();
  return inTempDir('svcops-bench', async (dir) => {
    const world = o.world(o.customers);
    const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: join(dir, 'events') }), clock: { now: () => Math.max(Date.now(), world.clock.now()) } });
    const cells = twins.engine.cells;
    const gov = await openGovernanceStore({ kind: 'sqlite', dataDir: join(dir, 'governance') });
    const journal = await openWorkflowJournal({ kind: 'sqlite', dataDir: join(dir, 'workflows') });
    try {
      const filled = await world.backfill({ months: o.months ?? 12, sink: twins.intake });
      await twins.intake.drained();
      log(`backfill: ${filled.events} events; cells ${JSON.stringify(cells.size())}`);

      const b = world.backends;
      const baseline: number[] = [];
      for (let i = 0; i < (o.baselineCalls ?? 200); i++) {
        const s = performance.now();
        await b.notifications.send({ idempotencyKey: `baseline-${i}`, customerId: `no-such-customer-${i}`, channel: 'sms', purpose: 'service' });
        baseline.push(performance.now() - s);
      }

      const raisedAt = new Map<string, number>();
      const firstAt = new Map<string, number>();
      let sent = 0;
      const inner = serviceOpsExecutor({ notifications: b.notifications, billingAdjustments: b.billingAdjustments, openTicket: async (r) => `TT-${r.id}` });
      const executor: ActionExecutor = async (request, verdict) => {
        const out = await inner(request, verdict);
        const alarmId = request.params.alarmId;
        if (out.ok && request.actionClass === 'communication' && typeof alarmId === 'string') {
          sent++;
          if (!firstAt.has(alarmId)) firstAt.set(alarmId, performance.now());
        }
        return out;
      };
      // Service notices are not marketing: no monthly communication budget caps the bench.
      const policyDoc = { ...DEFAULT_ACTION_POLICY, budgets: (DEFAULT_ACTION_POLICY.budgets ?? []).filter((x) => x.actionClass !== 'communication') };
      const guarded = createGuardedExecutor({ policy: parseActionPolicy(policyDoc), ledger: createBudgetLedger(gov), queue: createApprovalQueue(gov, world.clock), audit: createAuditTrail(gov, world.clock), executor, clock: world.clock });
      // The engine runs on simulated time, as the alarms' times and the compensation threshold do.
      const engine = createWorkflowEngine({ journal, workerId: 'svcops-bench', pollIntervalMs: 50, clock: world.clock, concurrency: 64 });
      engine.register(serviceOperationsWorkflow({ guarded: () => guarded, cells, scores: twinScores(twins.engine) }));
      await engine.run();

      // Subscribed before the watcher: this callback sees the alarm first, which is when it is raised.
      const unsubscribe = b.networkAlarms.subscribe((a: Alarm) => {
        if (a.state !== 'cleared' && !raisedAt.has(a.id)) raisedAt.set(a.id, performance.now());
      });
      const watcher = watchAlarms({ alarms: b.networkAlarms, engine, accept: servesCustomers, onError: (err) => log(`watcher: ${err.message}`) });
      const live = world.startLive({ speed: o.speed ?? 21_600, sink: twins.intake, tickMs: 100 });
      const deadline = Date.now() + (o.maxSeconds ?? 120) * 1000;
      while (Date.now() < deadline && watcher.stats.started < o.alarms) await new Promise((r) => setTimeout(r, 100));
      await live.stop();
      unsubscribe();
      watcher.stop();
      await watcher.idle();
      // Let the flows still on their way reach their first notice (stops once nothing changes for 2 s).
      for (let last = -1, quietSince = Date.now(); Date.now() - quietSince < 2_000 && Date.now() < deadline + 10_000; ) {
        await new Promise((r) => setTimeout(r, 100));
        if (firstAt.size !== last) [last, quietSince] = [firstAt.size, Date.now()];
      }
      const samples = [...raisedAt.keys()].filter((id) => firstAt.has(id)).map((id) => firstAt.get(id)! - raisedAt.get(id)!);
      const runs = await engine.list({ definitionId: 'service-operations' });
      await engine.stop();
      return {
        customers: o.customers,
        backfillEvents: filled.events,
        cellIndex: cells.size(),
        alarmsRaised: raisedAt.size,
        alarmsMeasured: samples.length,
        alarmsWithoutCustomers: watcher.stats.started - samples.length,
        alarmToFirstNotification: summarize(samples),
        baselineNotification: summarize(baseline),
        notificationsSent: sent,
        workflowsSucceeded: runs.filter((r) => r.status === 'succeeded').length,
        wallSeconds: Math.round((performance.now() - t0) / 100) / 10,
      };
    } finally {
      await journal.close();
      await gov.close();
      await twins.close({ checkpoint: false });
    }
  });
}

/** The human summary of `bench alarms`. */
export function formatAlarmsBench(r: ServiceOpsBenchResult): string {
  const a = r.alarmToFirstNotification;
  const b = r.baselineNotification;
  return [
    `${r.customers} customers, ${r.backfillEvents} backfilled events; twins' cells ${r.cellIndex.cells} cells, ${r.cellIndex.customers} customers`,
    `alarm raised → first notification answered: p50 ${a.p50} ms, p99 ${a.p99} ms, max ${a.max} ms over ${a.count} alarms (${r.alarmsRaised} raised, ${r.alarmsWithoutCustomers} without customers)`,
    `baseline, one notification call alone: p50 ${b.p50} ms, p99 ${b.p99} ms; ratio p50 ${ratio(a.p50, b.p50, 1)}×`,
    `${r.notificationsSent} notifications sent, ${r.workflowsSucceeded} workflows succeeded, ${r.wallSeconds.toFixed(1)} s`,
  ].join('\n');
}

/** `bench alarms`: network alarm to proactive customer notification, end to end on a sandbox world. */
export const alarmsBench = defineBench({
  name: 'alarms',
  description: 'service operations: network alarm → first proactive notification answered, against one notification call alone',
  options: [
    { flags: '--world <name>', description: `built-in world: ${WORLD_NAMES.join(', ')}`, default: 'small' },
    { flags: '--customers <n>', description: 'population', parse: intOption('--customers', 10), default: 2_000 },
    { flags: '--alarms <n>', description: 'alarms measured', parse: intOption('--alarms', 1), default: 20 },
    { flags: '--months <n>', description: 'months of history backfilled first (the usage records the twins learn their cells from)', parse: intOption('--months', 1), default: 6 },
    { flags: '--seed <n>', description: 'world seed', parse: intOption('--seed', 0), default: 1 },
  ],
  run: (o: { world: string; customers: number; alarms: number; months: number; seed: number }, { log }) => {
    const base = namedWorld(o.world);
    // The operator's back ends answer with the default world's latencies (the small world's
    // answer at once, which would measure nothing), and incidents are frequent enough to
    // raise the alarms asked for within the run.
    const backends = namedWorld('default').backends;
    const network = { ...base.network, incidents: { ...base.network.incidents, perCellPerMonth: Math.max(3, base.network.incidents.perCellPerMonth) } };
    return benchAlarmToNotification({
      alarms: o.alarms,
      customers: o.customers,
      months: o.months,
      world: (customers) => createSandboxWorld(loadWorldDocument({ ...base, backends, network, population: { ...base.population, customers } }), o.seed),
      log,
    });
  },
  summary: formatAlarmsBench,
  json: (r) => ({ ...r, ratioP50: ratio(r.alarmToFirstNotification.p50, r.baselineNotification.p50) }),
});
