import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import type { SuspectedIncident, SuspicionReview } from '../../intelligence/anomaly/cell-anomaly-detector.js';
import { memoryDocuments } from '../../store/document-store.js';
import { createAlarmInbox, type ReceivedAlarm } from './alarm-inbox.js';
import { ANOMALY_SOURCE_SYSTEM_ID, linkConfirmedIncidents, reviewSuspicion } from './suspected-incidents.js';

const T = Date.parse('2026-11-10T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const suspicion = (id: string, objectId: string, scope: 'Cell' | 'Site' = 'Cell'): SuspectedIncident => ({
  id,
  scope,
  objectId,
  siteId: 'site-1',
  openedMs: T - 10 * 60_000,
  lastSignalMs: T,
  state: 'open',
  signals: 4,
  expected: 0.01,
  pValue: 1e-8,
  customers: ['C1', 'C2', 'C3'],
  signal: 'bad-session-burst',
});

function setup() {
  const clock = new ManualClock(T);
  const alarms = createAlarmInbox({ store: memoryDocuments<ReceivedAlarm>(), clock });
  const kept = new Map([suspicion('anomaly-1', 'cell-1'), suspicion('anomaly-2', 'cell-2'), suspicion('anomaly-3', 'site-1', 'Site')].map((s) => [s.id, s]));
  const audited: { actor: unknown; action: { params: Record<string, unknown> }; why: { summary?: string } }[] = [];
  const deps = {
    anomalies: {
      suspicions: () => [...kept.values()].map((s) => structuredClone(s)),
      review: async (id: string, review: SuspicionReview) => {
        kept.get(id)!.review = review;
        return structuredClone(kept.get(id)!);
      },
    },
    alarms,
    audit: { record: async (e: unknown) => (audited.push(e as (typeof audited)[number]), { seq: audited.length, at: T, entry: e, hash: '', prevHash: '' }) as never },
    clock,
    cellsOfSite: (site: string) => (site === 'site-1' ? ['cell-1', 'cell-2', 'cell-3'] : []),
  };
  return { clock, alarms, kept, audited, deps };
}

describe('suspected incidents', () => {
  it('a confirmation raises an alarm on the place (audited, with who and why); a dismissal raises none; neither twice', async () => {
    const { alarms, audited, deps, kept } = setup();
    const nora = { kind: 'human' as const, id: 'nora' };
    const r = await reviewSuspicion(deps, 'anomaly-1', { decision: 'confirm', reason: 'drive test: no 4G on cell-1', by: nora });
    expect(r.alarm).toMatchObject({ sourceSystemId: ANOMALY_SOURCE_SYSTEM_ID, externalAlarmId: 'anomaly-1', perceivedSeverity: 'minor', alarmedObject: { id: 'cell-1', '@referredType': 'Cell' }, raisedTime: iso(T - 10 * 60_000), state: 'raised' });
    expect(r.suspicion.review).toMatchObject({ decision: 'confirmed', by: nora, reason: 'drive test: no 4G on cell-1', alarmId: r.alarm!.id });
    expect(audited[0]).toMatchObject({ actor: nora, action: { params: { event: 'suspicion.confirmed', anomalyId: 'anomaly-1', alarmId: r.alarm!.id } }, why: { summary: 'drive test: no 4G on cell-1' } });
    await expect(reviewSuspicion(deps, 'anomaly-1', { decision: 'dismiss', reason: 'changed my mind', by: nora })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(reviewSuspicion(deps, 'anomaly-9', { decision: 'dismiss', reason: 'x', by: nora })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(reviewSuspicion(deps, 'anomaly-2', { decision: 'dismiss', reason: '  ', by: nora })).rejects.toMatchObject({ code: 'BAD_INPUT' });

    // A suspicion whose signals stopped is not confirmed (nobody left to warn), only dismissed.
    kept.get('anomaly-2')!.state = 'closed';
    await expect(reviewSuspicion(deps, 'anomaly-2', { decision: 'confirm', reason: 'late', by: nora })).rejects.toMatchObject({ code: 'CONFLICT' });
    const d = await reviewSuspicion(deps, 'anomaly-2', { decision: 'dismiss', reason: 'planned maintenance window', by: nora });
    expect(d).toMatchObject({ alarm: null, suspicion: { review: { decision: 'dismissed', alarmId: null } } });
    // The site's suspicion is covered by the open alarm on one of its cells: confirmed onto it, nothing raised twice.
    const s = await reviewSuspicion(deps, 'anomaly-3', { decision: 'confirm', reason: 'same fault', by: nora, severity: 'major' });
    expect(s.alarm?.id).toBe(r.alarm!.id);
    expect(alarms.all()).toHaveLength(1);
  });

  it("the network's alarm on a confirmed incident's place continues it, and its clear clears it", async () => {
    const { clock, alarms, deps } = setup();
    const link = linkConfirmedIncidents({ alarms, cellsOfSite: deps.cellsOfSite, onError: (err) => expect.fail(err.message) });
    const confirmed = (await reviewSuspicion(deps, 'anomaly-1', { decision: 'confirm', reason: 'seen on the OSS dashboards', by: { kind: 'human', id: 'nora' } })).alarm!;
    const network = await alarms.raise({ sourceSystemId: 'nms', externalAlarmId: 'N-1', alarmType: 'equipmentAlarm', perceivedSeverity: 'critical', probableCause: 'powerProblem', alarmedObject: { id: 'site-1', '@referredType': 'Site' }, raisedTime: iso(T), state: 'raised' });
    const elsewhere = await alarms.raise({ sourceSystemId: 'nms', externalAlarmId: 'N-2', alarmType: 'equipmentAlarm', perceivedSeverity: 'critical', probableCause: 'powerProblem', alarmedObject: { id: 'cell-9', '@referredType': 'Cell' }, raisedTime: iso(T), state: 'raised' });
    expect(link.incidentOf(network)).toBe(confirmed.id);
    expect(link.incidentOf(elsewhere)).toBeUndefined();
    expect(link.incidentOf(confirmed)).toBeUndefined();
    clock.advance(3_600_000);
    await alarms.update(network.id, { state: 'cleared' });
    await new Promise((r) => setTimeout(r, 10));
    expect(alarms.get(confirmed.id)).toMatchObject({ state: 'cleared', clearedTime: iso(T + 3_600_000) });
    expect(alarms.get(elsewhere.id)?.state).toBe('raised');
    link.stop();
  });
});
