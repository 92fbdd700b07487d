import type { Command } from 'commander';
import type { IncidentSummary, IncidentView } from '../../agents/flows/service-operations-view.js';
import type { ServiceOpsSettings } from '../../agents/flows/service-ops-settings.js';
import { CONFIRM_SEVERITIES } from '../../agents/flows/suspected-incidents.js';
import { intOption } from './cli-numbers.js';
import { callServer, requireServer } from './server-client.js';

/**
 * `twinloop service-ops …`: service operations on the running server, for network operations:
 * each alarm's treatment with its per-incident figures, the suspected incidents anomaly
 * detection raised, and confirming or dismissing one with a reason (as the signed-in key).
 */

/** A suspected incident as GET /service-operations/anomalies answers it. */
export interface AnomalyAnswer {
  id: string;
  scope: string;
  objectId: string;
  openedTime: string;
  state: string;
  signal: string;
  signals: number;
  expected: number;
  customers: string[];
  history: boolean;
  review: { decision: string; by: string; reason: string; alarmId: string | null } | null;
}

const minutes = (ms: number | null) => (ms === null ? '-' : `${(ms / 60_000).toFixed(1)} min`);

/**
 * When the first suspicion on the alarm's place came, against the raise: before it, anomaly
 * detection was ahead (its lead); after it, the alarm was first and the suspicion only followed
 * (no lead: said as such, never as a negative time "before the raise").
 */
export function leadText(leadMs: number): string {
  return leadMs >= 0 ? `${minutes(leadMs)} before the raise` : `the first suspicion came ${minutes(-leadMs)} after the raise`;
}
const share = (x: number | null) => (x === null ? '-' : `${Math.round(100 * x)} %`);

/**
 * When the incident was known, in words: a suspicion's opening (detected by anomaly detection), or
 * for one the alarm told of, the network's raise and when the alarm reached us (never a detection
 * after the raise).
 */
export function detectionText(i: Pick<IncidentView, 'detectedTime' | 'detectedBy' | 'raisedTime' | 'anomalyLeadMs'>): string {
  if (i.detectedBy === 'anomaly') return `detected ${i.detectedTime} by anomaly detection${i.anomalyLeadMs !== null ? ` (${leadText(i.anomalyLeadMs)})` : ''}`;
  const late = Date.parse(i.detectedTime) - Date.parse(i.raisedTime);
  return `raised ${i.raisedTime} by the network, reached us ${late > 0 ? `${minutes(late)} later (${i.detectedTime})` : 'at once'}${i.anomalyLeadMs !== null ? `; ${leadText(i.anomalyLeadMs)}` : ''}`;
}

/** One incident on one line: the alarm, its place and state, and its figures. */
export function formatIncident(i: IncidentView): string {
  return [
    `${i.alarmId.padEnd(10)} ${`${i.alarmedObject['@referredType']} ${i.alarmedObject.id}`.padEnd(16)} ${i.perceivedSeverity.padEnd(8)} ${i.state.padEnd(8)} run ${i.runStatus.padEnd(9)}`,
    detectionText(i),
    `affected ${i.affectedCustomers.length}, notified ${i.notifiedCustomers.length}, compensated ${i.compensatedCustomers.length}${i.compensationRaisedCustomers.length > 0 ? ` (${i.compensationRaisedCustomers.length} topped up after an escalation)` : ''}, paid ${i.compensationPaid}${i.compensationApproved > 0 ? `, approved not paid yet ${i.compensationApproved}` : ''}`,
    `raise → first notice ${minutes(i.timeToFirstNoticeMs)}, repair ${minutes(i.timeToRepairMs)}`,
    `called or complained ${i.contactedCustomers}, notified first ${i.notifiedBeforeContact} (${share(i.notifiedBeforeContactShare)})`,
  ].join('  ');
}

/** The totals line. */
export function formatIncidentSummary(s: IncidentSummary): string {
  const notTold = s.notNotified.length ? ` (not notified: ${s.notNotified.slice(0, 3).map((r) => `${r.customers} ${r.why}`).join('; ')}${s.notNotified.length > 3 ? `; ${s.notNotified.slice(3).reduce((n, r) => n + r.customers, 0)} for other reasons` : ''})` : '';
  return `${s.incidents} alarms, ${s.actedOn} told or paid someone: ${s.affected} affected, ${s.notified} notified${notTold}, ${s.compensated} compensated (paid ${s.compensationPaid}${s.compensationApproved > 0 ? `, approved not paid yet ${s.compensationApproved}` : ''}); median raise → first notice ${minutes(s.medianTimeToFirstNoticeMs)}; MTTR ${minutes(s.mttrMs)}; of ${s.contactedCustomers} who called or complained, notified first ${share(s.notifiedBeforeContactShare)}; ${s.anomalies} suspected incidents (${s.anomaliesInHistory} found in history), ${s.anomaliesWithoutAlarm} of the others without an alarm`;
}

const hours = (ms: number) => `${Math.round((ms / 3_600_000) * 10) / 10} h`;

/** The settings line: what the server acts on. */
export function formatServiceOpsSettings(s: ServiceOpsSettings): string {
  const paid = s.compensation.length ? `compensated past ${hours(s.compensateAfterMs)}: ${s.compensation.map((c) => `${c.severity} ${c.amount}`).join(', ')}` : 'no severity compensated';
  return `in force: flows act on ${s.actingSeverities.join(', ')}; ${paid}; quiet spell ${hours(s.quietSpellMs)}; chains reach ${hours(s.chainReachMs)}`;
}

/** One suspected incident on one line; one found in history has nothing to review (the server refuses a review of it). */
export function formatAnomaly(a: AnomalyAnswer): string {
  const review = a.review ? `${a.review.decision} by ${a.review.by}${a.review.alarmId ? ` → ${a.review.alarmId}` : ''}: ${a.review.reason}` : a.history ? 'nothing to review: over before anyone could act' : 'not reviewed';
  return `${a.id.padEnd(12)} ${`${a.scope} ${a.objectId}`.padEnd(16)} ${a.openedTime}  ${a.state.padEnd(6)}${a.history ? ' (found in history)' : ''} ${a.signal} ${a.signals} against ${a.expected} expected, ${a.customers.length} customers  ${review}`;
}


/** Adds `service-ops incidents|anomalies|confirm|dismiss`. */
export function registerServiceOpsCommands(program: Command): void {
  const ops = program.command('service-ops').description('service operations on the running server: alarms with their treatment and figures, suspected incidents, and reviewing them');
  ops
    .command('incidents')
    .description('each alarm with whom it found, told and compensated, time to detect, to first notice and to repair, and the affected customers told before they called; newest first, with totals')
    .option('--limit <n>', 'alarms at most', intOption('--limit', 1, 500), 20)
    .option('--url <url>', 'server URL (default: the server running on the data dir)')
    .option('--json', 'the answer of GET /service-operations/incidents')
    .action(async (opts: { limit: number; url?: string; json?: boolean }, command: Command) => {
      const answer = (await callServer(requireServer(command, opts.url), 'GET', `/service-operations/incidents?limit=${opts.limit}`)) as { settings: ServiceOpsSettings; summary: IncidentSummary; items: IncidentView[] };
      if (opts.json) return void process.stdout.write(`${JSON.stringify(answer)}\n`);
      process.stdout.write(`${formatIncidentSummary(answer.summary)}\n${formatServiceOpsSettings(answer.settings)}\n`);
      for (const i of answer.items) process.stdout.write(`${formatIncident(i)}\n`);
    });
  ops
    .command('anomalies')
    .description('suspected incidents anomaly detection raised (bursts of bad sessions or service calls on a cell or site), newest first, with their review')
    .option('--state <state>', 'open or closed')
    .option('--history', "those found in history instead (signals that came in a day or more late, such as the first start's loaded history: nobody could act on them)")
    .option('--limit <n>', 'at most', intOption('--limit', 1, 500), 20)
    .option('--url <url>', 'server URL (default: the server running on the data dir)')
    .option('--json', 'the answer of GET /service-operations/anomalies')
    .action(async (opts: { state?: string; history?: boolean; limit: number; url?: string; json?: boolean }, command: Command) => {
      const target = requireServer(command, opts.url);
      const query = `limit=${opts.limit}&history=${opts.history ? 'true' : 'false'}${opts.state ? `&state=${encodeURIComponent(opts.state)}` : ''}`;
      const answer = (await callServer(target, 'GET', `/service-operations/anomalies?${query}`)) as AnomalyAnswer[];
      if (opts.json) return void process.stdout.write(`${JSON.stringify(answer)}\n`);
      if (answer.length === 0) process.stdout.write(opts.history ? 'no suspected incident found in history\n' : 'no suspected incident found as it happened\n');
      for (const a of answer) process.stdout.write(`${formatAnomaly(a)}\n`);
      if (opts.history) return;
      // Those found in history are left out of the live list (hundreds after a first start's loaded history): counted, not listed.
      const { summary } = (await callServer(target, 'GET', '/service-operations/incidents?limit=1')) as { summary: IncidentSummary };
      if (summary.anomaliesInHistory > 0) process.stdout.write(`${summary.anomaliesInHistory} more found in history (signals that came in a day or more late: nobody could act on them); --history lists them\n`);
    });
  const review = (decision: 'confirm' | 'dismiss') =>
    ops
      .command(`${decision} <anomalyId>`)
      .description(
        decision === 'confirm'
          ? 'confirm a suspected incident (audited as you): an alarm is raised on its cell or site and service operations tells the affected customers'
          : 'dismiss a suspected incident (audited as you): nobody is told',
      )
      .requiredOption('--reason <text>', 'why (kept in the audit trail)')
      .option('--url <url>', 'server URL (default: the server running on the data dir)')
      .option('--json', 'print the answer as JSON');
  review('confirm')
    .option('--severity <severity>', `the alarm's severity: ${CONFIRM_SEVERITIES.join(', ')} (minor: notices only, no compensation)`, 'minor')
    .action(async (id: string, opts: { reason: string; severity: string; url?: string; json?: boolean }, command: Command) => {
      const answer = (await callServer(requireServer(command, opts.url), 'POST', `/service-operations/anomalies/${encodeURIComponent(id)}/confirm`, { reason: opts.reason, severity: opts.severity })) as { anomaly: AnomalyAnswer; alarmId: string | null; alarmRaised: boolean; continues?: string | null; over?: boolean };
      const said = !answer.alarmRaised
        ? `it belongs to ${answer.alarmId}, already in: nothing raised, nobody told twice`
        : [
            `service operations acts on ${answer.alarmId}`,
            ...(answer.over ? ['raised cleared at its last signal (over by its evidence): nobody is told, compensated only if it lasted past the threshold'] : []),
            ...(answer.continues ? [`the incident of ${answer.continues} back after its clear: its customers are told it is back, not paid twice`] : []),
          ].join('; ');
      process.stdout.write(opts.json ? `${JSON.stringify(answer)}\n` : `${formatAnomaly(answer.anomaly)}\n${said}: twinloop service-ops incidents\n`);
    });
  review('dismiss').action(async (id: string, opts: { reason: string; url?: string; json?: boolean }, command: Command) => {
    const answer = (await callServer(requireServer(command, opts.url), 'POST', `/service-operations/anomalies/${encodeURIComponent(id)}/dismiss`, { reason: opts.reason })) as { anomaly: AnomalyAnswer };
    process.stdout.write(opts.json ? `${JSON.stringify(answer)}\n` : `${formatAnomaly(answer.anomaly)}\n`);
  });
}
