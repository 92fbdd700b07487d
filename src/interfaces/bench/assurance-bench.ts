import { join } from 'node:path';
import { reportingExecutor } from '../../agents/governance/action-report.js';
import { createAlarmInbox, forwardAlarms, type ReceivedAlarm } from '../../agents/flows/alarm-inbox.js';
import { watchAlarms } from '../../agents/flows/alarm-watcher.js';
import { AFFECTED_STEP_ID, affectedOfRun } from '../../agents/flows/service-ops-journal.js';
import { servesCustomers } from '../../agents/flows/service-ops-signals.js';
import { serviceOperationsWorkflow } from '../../agents/flows/service-operations-flow.js';
import { createBadSessionLog, type CellBadSessions } from '../../agents/flows/bad-session-log.js';
import { createServiceContactLog, type ServiceContacts } from '../../agents/flows/service-contact-log.js';
import { serviceOpsExecutor, twinScores } from '../../agents/flows/service-ops-executor.js';
import { createApprovalQueue } from '../../agents/governance/approval-queue.js';
import { createAuditTrail } from '../../agents/governance/audit-trail.js';
import { createGuardedExecutor, type ActionExecutor } from '../../agents/governance/guarded-executor.js';
import { createWorkflowEngine } from '../../agents/workflows/index.js';
import { ManualClock } from '../../domain/clock.js';
import { createBudgetLedger, DEFAULT_ACTION_POLICY, parseActionPolicy } from '../../decisioning/policy/index.js';
import { evaluateAnomalies, evaluateAssurance, type AnomalyReport, type AssuranceReport, type ObservedAlarm } from '../../evaluation/assurance-evaluation.js';
import type { SuspectedIncident } from '../../intelligence/anomaly/cell-anomaly-detector.js';
import { openKeptAnomalyDetector, type AnomalyBaseline } from '../../intelligence/anomaly/kept-anomaly-detector.js';
import { createSandboxWorld, WORLD_NAMES, type WorldConfig } from '../../sandbox/index.js';
import { memoryDocuments } from '../../store/document-store.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import { openWorkflowJournal } from '../../store/open-workflow-journal.js';
import { openTwinService } from '../../twin/twin-service.js';
import { intOption } from '../cli/cli-numbers.js';
import { resolveWorld } from '../cli/sandbox-commands.js';
import { inTempDir } from './bench-fixtures.js';
import { defineBench } from './bench-harness.js';

/**
 * Benchmark: service assurance on a sandbox world, judged against its truth. A history is
 * backfilled into twins (each learns its cells from its usage records), then the world runs live
 * for `days` simulated days in steps of 5 minutes: its network system sends every alarm into the
 * alarm inbox (TMF642's), the watcher starts service operations, which notifies, tickets and
 * compensates through the guarded executor on the sandbox's back ends. At the end each alarm
 * acted on is compared with the incident behind it (src/evaluation/assurance-evaluation.ts).
 */

/** Options of the bench. */
export interface AssuranceBenchOptions {
  config: WorldConfig;
  seed: number;
  /** Months of history first (what the twins learn their cells from). */
  months: number;
  /** Simulated days run live. */
  days: number;
  /** false: the flow finds its customers at the alarm only (no later looks at who is showing the incident), as before 2026-12-03. */
  showing?: boolean;
  log?: (line: string) => void;
}

/** What the bench returns. */
export interface AssuranceBenchResult extends Omit<AssuranceReport, 'perIncident'> {
  customers: number;
  cells: number;
  days: number;
  alarmsReceived: number;
  alarmsActedOn: number;
  /** Precision and recall of whom the flow found at the alarm alone (before its later looks for customers showing the incident). */
  atAlarm: { precision: number; recall: number };
  notificationsSent: number;
  compensations: number;
  /** Anomaly detection over the live days: suspected incidents from the twins' service calls, judged against the truth. */
  anomalies: Omit<AnomalyReport, 'falseSuspicions' | 'missedIncidents'>;
  /** What it found in the backfilled history (the server lists these too, found in history): how many, how many it marked so, and judged. */
  historyAnomalies: { suspicions: number; flagged: number; precision: number; recall: number };
  wallSeconds: number;
}

/** A live step: 5 simulated minutes (an alarm reaches the inbox at the end of the step it is raised in). */
const STEP_MS = 5 * 60_000;
/** Simulated ms per real ms of the manual live run (the step is then 250 real ms). */
const SPEED = 3600;

/** Runs the bench; see the module comment. */
export async function benchAssurance(o: AssuranceBenchOptions): Promise<AssuranceBenchResult> {
  const log = o.log ?? (() => undefined);
  const t0 = performance.now();
  return inTempDir('assurance-bench', async (dir) => {
    const world = createSandboxWorld(o.config, o.seed, { latencyScale: 0 });
    const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: join(dir, 'events') }), clock: world.clock });
    const gov = await openGovernanceStore({ kind: 'sqlite', dataDir: join(dir, 'governance') });
    const journal = await openWorkflowJournal({ kind: 'sqlite', dataDir: join(dir, 'workflows') });
    try {
      // The detector learns the base's usual rates of bad sessions and service calls from the
      // history as it comes in; a cell under an open alarm (in the inbox below) is a known incident.
      // Kept and clocked as the server keeps it: the history comes in after it happened (the
      // server loads it behind the wall clock), so what is found there is found in history.
      const known = { covers: (_c: string, _s: string | null, _t: number) => false };
      let loadingHistory = true;
      const kept = await openKeptAnomalyDetector({
        cells: twins.engine.cells,
        suspicions: memoryDocuments<SuspectedIncident>(),
        baseline: memoryDocuments<AnomalyBaseline>(),
        known: (c, s, t) => known.covers(c, s, t),
        now: () => (loadingHistory ? Number.POSITIVE_INFINITY : world.clock.now()),
        onError: (err) => log(`anomalies: ${err.message}`),
      });
      const detector = kept.detector;
      const detachDetector = twins.intake.onApplied((batch) => kept.observe(batch));
      // The evidence service operations looks at while an alarm is young (as in the server):
      // bad sessions by cell, service calls and complaints by customer.
      const fail = (err: Error) => log(`evidence: ${err.message}`);
      const badSessions = createBadSessionLog({ store: memoryDocuments<CellBadSessions>(), onError: fail });
      const contactLog = createServiceContactLog({ store: memoryDocuments<ServiceContacts>(), onError: fail });
      const detachEvidence = twins.intake.onApplied((batch) => (badSessions.observe(batch), contactLog.observe(batch)));
      const filled = await world.backfill({ months: o.months, sink: twins.intake });
      await twins.intake.drained();
      loadingHistory = false;
      log(`backfill: ${filled.events} events; cells ${JSON.stringify(twins.engine.cells.size())}; ${detector.suspicions().length} suspected incidents found in it`);

      // Network complaints as the operator receives them (ticket events), per customer.
      const complaints = new Map<string, number[]>();
      const detach = twins.intake.onApplied((batch) => {
        for (const { event, time } of batch) {
          if (event.kind !== 'ticket' || event.data.action !== 'opened' || event.data.category !== 'network') continue;
          const list = complaints.get(event.customerId) ?? [];
          complaints.set(event.customerId, [...list, time]);
        }
      });
      const notifiedAt = new Map<string, Map<string, number>>();
      let compensations = 0;
      const inner = serviceOpsExecutor({ notifications: world.backends.notifications, billingAdjustments: world.backends.billingAdjustments, openTicket: async (r) => `TT-${r.id}` });
      const executor: ActionExecutor = reportingExecutor(async (request, verdict) => {
        const out = await inner(request, verdict);
        const alarmId = request.params.alarmId;
        if (out.ok && typeof alarmId === 'string' && request.customerId) {
          if (request.actionClass === 'compensation') compensations++;
          if (request.actionClass === 'communication' && request.params.templateId === 'network-incident-notice') {
            const m = notifiedAt.get(alarmId) ?? new Map<string, number>();
            if (!m.has(request.customerId)) m.set(request.customerId, world.clock.now());
            notifiedAt.set(alarmId, m);
          }
        }
        return out;
      }, { sink: twins.intake, clock: world.clock });
      // Service notices are not marketing: no monthly communication budget caps them.
      const policyDoc = { ...DEFAULT_ACTION_POLICY, budgets: (DEFAULT_ACTION_POLICY.budgets ?? []).filter((x) => x.actionClass !== 'communication' && x.actionClass !== 'compensation') };
      const guarded = createGuardedExecutor({ policy: parseActionPolicy(policyDoc), ledger: createBudgetLedger(gov), queue: createApprovalQueue(gov, world.clock), audit: createAuditTrail(gov, world.clock), executor, clock: world.clock });
      const engine = createWorkflowEngine({ journal, workerId: 'assurance-bench', clock: world.clock, concurrency: 64 });
      engine.register(serviceOperationsWorkflow({ guarded: () => guarded, cells: twins.engine.cells, scores: twinScores(twins.engine), ...(o.showing === false ? {} : { evidence: { customersOn: badSessions.customersOn, firstContact: contactLog.firstContact } }) }));

      const inbox = createAlarmInbox({ store: memoryDocuments<ReceivedAlarm>(), clock: world.clock });
      known.covers = (c, s, t) => inbox.covers(c, s, t);
      const stopForwarding = forwardAlarms(world.backends.networkAlarms, inbox, { sourceSystemId: 'sandbox-oss', now: () => world.clock.now(), maxAgeMs: 3_600_000, onError: (err, a) => log(`forward ${a.id}: ${err.message}`) });
      // The alarms the flow acts on, as BENCHMARKS.md's figures counted them (a watched warning tells nobody).
      const watcher = watchAlarms({ alarms: inbox, engine, accept: servesCustomers, onError: (err, a) => log(`watcher ${a.id}: ${err.message}`) });

      const liveFromMs = world.clock.now();
      const real = new ManualClock(0);
      const live = world.startLive({ speed: SPEED, sink: twins.intake, realClock: real, manual: true });
      const steps = Math.round((o.days * 86_400_000) / STEP_MS);
      for (let i = 0; i < steps; i++) {
        real.advance(STEP_MS / SPEED);
        await live.tick();
        await twins.intake.drained();
        await watcher.idle();
        while ((await engine.runOnce()) > 0) await watcher.idle();
        if ((i + 1) % 288 === 0) log(`day ${(i + 1) / 288}: ${inbox.all().length} alarms in, ${notifiedAt.size} notified`);
      }
      await live.stop();
      stopForwarding();
      watcher.stop();
      await watcher.idle();
      detach();
      detachDetector();
      detachEvidence();
      await kept.close();
      const suspicions = detector.suspicions();
      const { falseSuspicions, missedIncidents, ...anomalies } = evaluateAnomalies(world, suspicions, { fromMs: liveFromMs, toMs: world.clock.now() });
      const inHistory = evaluateAnomalies(world, suspicions, { fromMs: 0, toMs: liveFromMs });
      for (const m of missedIncidents) {
        const untilMs = m.alarmAfterMin === null ? m.startMs + m.durationMin * 60_000 : m.startMs + m.alarmAfterMin * 60_000;
        const cellIds = m.impact === 'outage' ? twins.engine.cells.cellsOfSite(m.siteId) : [m.cellId];
        const seen = badSessions.customersOn(cellIds, m.startMs, untilMs).length;
        log(`incident not found ahead: ${m.alarmId} ${m.impact} ${m.severity} on ${m.cellId} (${m.siteId}), ${m.touched} touched, alarm ${m.alarmAfterMin === null ? 'never' : `+${m.alarmAfterMin} min`}, lasted ${m.durationMin} min: ${m.why}; ${seen} customers with bad sessions there before the alarm`);
      }
      for (const f of falseSuspicions) {
        const s = suspicions.find((x) => x.id === f.id);
        log(`false suspicion ${f.id} on ${f.scope} ${f.objectId} at ${new Date(f.openedMs).toISOString()}: ${s?.signal} ${s?.signals} against ${s?.expected} (p ${s?.pValue.toExponential(2)}), ${s?.customers.length} customers; ${f.touchedBy ?? 'none of them touched by an incident'}`);
      }

      // Whom the flow found in the end (at the alarm and showing it later), and at the alarm alone.
      const observed: ObservedAlarm[] = [];
      const observedAtAlarm: ObservedAlarm[] = [];
      let acted = 0;
      for (const a of inbox.all()) {
        if (a.sourceSystemId !== 'sandbox-oss' || !a.externalAlarmId) continue;
        const steps = (await journal.loadHistory(a.id)).steps;
        const step = steps.find((s) => s.key === AFFECTED_STEP_ID);
        if (!step?.output) continue;
        acted++;
        const base = { alarmId: a.externalAlarmId, reportedMs: Date.parse(a.reportingTime), ...(a.clearedTime ? { clearedMs: Date.parse(a.clearedTime) } : {}), notifiedAt: notifiedAt.get(a.id) ?? new Map<string, number>() };
        observed.push({ ...base, affected: affectedOfRun(steps) });
        observedAtAlarm.push({ ...base, affected: JSON.parse(step.output) as string[] });
      }
      const { perIncident, ...report } = evaluateAssurance(world, observed, (id) => complaints.get(id) ?? []);
      const atAlarm = evaluateAssurance(world, observedAtAlarm, (id) => complaints.get(id) ?? []);
      const missed = perIncident.filter((p) => p.touched > 0 && p.found === 0).map((p) => p.alarmId);
      if (missed.length) log(`incidents with touched customers and none found: ${missed.join(', ')}`);
      return {
        customers: o.config.population.customers,
        cells: o.config.network.cells,
        days: o.days,
        alarmsReceived: inbox.all().length,
        alarmsActedOn: acted,
        ...report,
        atAlarm: { precision: atAlarm.precision, recall: atAlarm.recall },
        notificationsSent: [...notifiedAt.values()].reduce((n, m) => n + m.size, 0),
        compensations,
        anomalies,
        historyAnomalies: { suspicions: inHistory.suspicions, flagged: suspicions.filter((s) => s.history === true).length, precision: inHistory.precision, recall: inHistory.recall },
        wallSeconds: Math.round((performance.now() - t0) / 100) / 10,
      };
    } finally {
      await journal.close();
      await gov.close();
      await twins.close({ checkpoint: false });
    }
  });
}

const minutes = (ms: number | null) => (ms === null ? '-' : `${(ms / 60_000).toFixed(1)} min`);
const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)} %`);

/** The human summary of `bench assurance`. */
export function formatAssuranceBench(r: AssuranceBenchResult): string {
  return [
    `${r.customers} customers on ${r.cells} cells, ${r.days} days live: ${r.alarmsReceived} alarms in, ${r.alarmsActedOn} acted on (${r.incidents} incidents judged)`,
    `affected customers found for ${pct(r.foundShare)} of incidents; affected sets: precision ${r.precision}, recall ${r.recall} (at the alarm alone: ${r.atAlarm.precision}, ${r.atAlarm.recall})`,
    `from the incident's start (median): alarm in ${minutes(r.medianTimeToDetectMs)}, first notice ${minutes(r.medianTimeToFirstNoticeMs)}; alarm raised → first notice ${minutes(r.medianRaiseToFirstNoticeMs)}; MTTR ${minutes(r.mttrMs)}`,
    `touched customers notified ${pct(r.notifiedShare)}; of ${r.complainers} who complained, notified first ${pct(r.notifiedBeforeComplaintShare)}`,
    `anomaly detection: ${r.anomalies.suspicions} suspected incidents, precision ${r.anomalies.precision}; found ${pct(r.anomalies.recall)} of ${r.anomalies.incidents} incidents above low severity (${pct(r.anomalies.recallAll)} of all), ${r.anomalies.silentFound} of ${r.anomalies.silentIncidents} that raised no alarm; lead before the alarm (median) ${minutes(r.anomalies.medianLeadMs)}, found before the alarm ${pct(r.anomalies.foundBeforeAlarmShare)}; of ${r.anomalies.aheadPossible} that hurt before any alarm, found first ${pct(r.anomalies.foundAheadShare)}`,
    `in the backfilled history: ${r.historyAnomalies.suspicions} suspected incidents (${r.historyAnomalies.flagged} marked found in history), precision ${r.historyAnomalies.precision}, found ${pct(r.historyAnomalies.recall)} of its incidents above low severity`,
    `not found ahead of their alarm: ${r.anomalies.missedByKind['alarmed-at-start']} alarmed the moment they began (known at once), ${r.anomalies.missedByKind['found-after-alarm']} found only after the alarm, ${r.anomalies.missedByKind.missed} never suspected`,
    `${r.notificationsSent} notices, ${r.compensations} compensations, ${r.wallSeconds.toFixed(1)} s`,
  ].join('\n');
}

/** `bench assurance`: service operations judged against the sandbox's truth. */
export const assuranceBench = defineBench({
  name: 'assurance',
  description: "service assurance: alarms in through the inbox, affected customers found and told, judged against the sandbox's truth",
  options: [
    { flags: '--world <name>', description: `built-in world: ${WORLD_NAMES.join(', ')}`, default: 'default' },
    { flags: '--config <file>', description: 'world configuration (JSON; may "extends" a built-in world)' },
    { flags: '--customers <n>', description: "population (overrides the world's)", parse: intOption('--customers', 10), default: 3_000 },
    { flags: '--months <n>', description: 'months of history backfilled first', parse: intOption('--months', 1), default: 1 },
    { flags: '--days <n>', description: 'simulated days run live', parse: intOption('--days', 1), default: 30 },
    { flags: '--seed <n>', description: 'world seed', parse: intOption('--seed', 0), default: 1 },
    { flags: '--no-showing', description: 'find affected customers at the alarm only (no later looks for customers showing the incident)' },
  ],
  run: (o: { world: string; config?: string; customers: number; months: number; days: number; seed: number; showing: boolean }, { log }) =>
    benchAssurance({ config: resolveWorld({ config: o.config, world: o.world, customers: o.customers }), seed: o.seed, months: o.months, days: o.days, showing: o.showing, log }),
  summary: formatAssuranceBench,
});
