import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../domain/clock.js';
import type { BillingAdjustmentsConnector } from '../../domain/connectors/billing-adjustments.js';
import type { Alarm, NetworkAlarmsConnector } from '../../domain/connectors/network-alarms.js';
import type { NotificationChannel, NotificationPurpose, NotificationsConnector } from '../../domain/connectors/notifications.js';
import type { EventSink } from '../../domain/event-sink.js';
import { createBudgetLedger, DEFAULT_ACTION_POLICY, parseActionPolicy, type ActionRequest } from '../../decisioning/policy/index.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import { openWorkflowJournal } from '../../store/open-workflow-journal.js';
import { CellIndex } from '../../twin/cell-index.js';
import { FEATURE_INDEX } from '../../twin/twin-features.js';
import type { TwinEngine } from '../../twin/twin-engine.js';
import { openTwinService } from '../../twin/twin-service.js';
import { createApprovalQueue } from '../governance/approval-queue.js';
import { createAuditTrail } from '../governance/audit-trail.js';
import { createGuardedExecutor, type ActionExecutor } from '../governance/guarded-executor.js';
import { createWorkflowEngine } from '../workflows/index.js';
import { watchAlarms } from './alarm-watcher.js';
import { serviceOperationsWorkflow, type ScoreLookup } from './service-operations-flow.js';

/**
 * Benchmark: alarm raised → first proactive notification answered by the notification back end,
 * with everything real in between (alarm watcher, workflow engine on SQLite, cell index, guarded
 * executor with policy, budget and hash-chained audit on SQLite, the sandbox back ends at their
 * configured latencies). The baseline is the notification back end's own latency, measured in the
 * same process. The sandbox is passed in (agents do not import it): see `BenchWorld`.
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
  /** Alarms to measure (accepted ones: the watcher ignores warnings). */
  alarms: number;
  /** Customers in the world. */
  customers: number;
  /** Builds the world for `customers` (e.g. the `small` world with default back-end latencies). */
  world: (customers: number) => BenchWorld;
  /** History backfilled before the live run, so that the cell index knows who is where (default 12). */
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
  cellIndex: { cells: number; customers: number; presences: number };
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

/** p50/p99/max of samples (nearest rank). */
export function summarize(samples: readonly number[]): LatencySummary {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => (s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]);
  const r = (x: number) => Math.round(x * 10) / 10;
  return { count: s.length, p50: r(at(0.5)), p99: r(at(0.99)), max: r(s[s.length - 1] ?? 0) };
}

/**
 * The action executor for the service-operations classes over the connectors: `communication` →
 * notification (purpose and channel from the params), `compensation` and `credit` → billing
 * credit, `trouble_ticket` → a `human_task` notification to the network operations queue is not
 * possible without a customer, so tickets are handed to `openTicket`. The request id is the
 * connector's idempotency key.
 */
export function serviceOpsExecutor(c: { notifications: NotificationsConnector; billingAdjustments: BillingAdjustmentsConnector; openTicket: (request: ActionRequest) => Promise<string> }): ActionExecutor {
  return async (request) => {
    const p = request.params;
    if (request.actionClass === 'communication' && request.customerId) {
      const r = await c.notifications.send({
        idempotencyKey: request.id,
        customerId: request.customerId,
        channel: (p.notificationChannel as NotificationChannel | undefined) ?? 'sms',
        purpose: (p.purpose as NotificationPurpose | undefined) ?? 'service',
        templateId: typeof p.templateId === 'string' ? p.templateId : undefined,
      });
      return r.status === 'ok' ? { ok: true, detail: { notificationId: r.value.notificationId } } : { ok: false, error: `${r.status}: ${r.reason}` };
    }
    if ((request.actionClass === 'compensation' || request.actionClass === 'credit') && request.customerId) {
      const r = await c.billingAdjustments.credit({ idempotencyKey: request.id, customerId: request.customerId, amount: request.cost, reason: typeof p.reason === 'string' ? p.reason : request.actionClass });
      return r.status === 'ok' ? { ok: true, detail: { adjustmentId: r.value.adjustmentId } } : { ok: false, error: `${r.status}: ${r.reason}` };
    }
    if (request.actionClass === 'trouble_ticket') return { ok: true, detail: { ticketId: await c.openTicket(request) } };
    return { ok: false, error: `no connector for ${request.actionClass}${request.customerId ? '' : ' without a customer'}` };
  };
}

/** Live value and activity from twin features: a lifetime value proxy of 24 months of ARPU (no model needed). */
export function twinScores(engine: TwinEngine): ScoreLookup {
  return (customerId) => {
    const f = engine.features(customerId);
    if (!f) return undefined;
    return { clv: f[FEATURE_INDEX.arpu_3m] * 24, active: f[FEATURE_INDEX.churned] === 0 };
  };
}

/** Runs the bench; see the module comment. Returns plain data. */
export async function benchAlarmToNotification(o: ServiceOpsBenchOptions): Promise<ServiceOpsBenchResult> {
  const log = o.log ?? (() => undefined);
  const t0 = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'twinloop-svcops-bench-'));
  const world = o.world(o.customers);
  const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: join(dir, 'events') }), clock: { now: () => Math.max(Date.now(), world.clock.now()) } });
  const cells = new CellIndex();
  const detach = cells.attach(twins.intake);
  const gov = await openGovernanceStore({ kind: 'sqlite', dataDir: join(dir, 'governance') });
  const journal = await openWorkflowJournal({ kind: 'sqlite', dataDir: join(dir, 'workflows') });
  try {
    const filled = await world.backfill({ months: o.months ?? 12, sink: twins.intake });
    await twins.intake.drained();
    log(`backfill: ${filled.events} events; cell index ${JSON.stringify(cells.size)}`);

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
    const watcher = watchAlarms({ alarms: b.networkAlarms, engine, onError: (err) => log(`watcher: ${err.message}`) });
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
      cellIndex: cells.size,
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
    detach();
    await journal.close();
    await gov.close();
    await twins.close({ checkpoint: false });
    await rm(dir, { recursive: true, force: true });
  }
}
