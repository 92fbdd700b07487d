import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import type { SuspectedIncident, SuspicionReview } from '../../intelligence/anomaly/cell-anomaly-detector.js';
import { memoryDocuments } from '../../store/document-store.js';
import { createAlarmInbox, type ReceivedAlarm } from './alarm-inbox.js';
import { ANOMALY_SOURCE_SYSTEM_ID, linkConfirmedIncidents, reviewSuspicion } from './suspected-incidents.js';

const T = Date.parse('2026-11-10T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const HOUR = 3_600_000;
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
    quietMs: 6 * HOUR,
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
    // One found in history was over before anyone could act on it: nothing to confirm (no alarm raised) or dismiss.
    kept.set('anomaly-4', { ...suspicion('anomaly-4', 'cell-3'), state: 'closed', history: true });
    await expect(reviewSuspicion(deps, 'anomaly-4', { decision: 'confirm', reason: 'seen in the counters', by: nora })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/found in history/) });
    expect(alarms.all()).toHaveLength(1);

    const d = await reviewSuspicion(deps, 'anomaly-2', { decision: 'dismiss', reason: 'planned maintenance window', by: nora });
    expect(d).toMatchObject({ alarm: null, suspicion: { review: { decision: 'dismissed', alarmId: null } } });
    // The site's suspicion is covered by the open alarm on one of its cells: confirmed onto it, nothing raised twice.
    const s = await reviewSuspicion(deps, 'anomaly-3', { decision: 'confirm', reason: 'same fault', by: nora, severity: 'major' });
    expect(s.alarm?.id).toBe(r.alarm!.id);
    expect(alarms.all()).toHaveLength(1);
  });

  it("the network's alarm on a confirmed incident's place continues it, and its clear clears it", async () => {
    const { clock, alarms, deps } = setup();
    const link = linkConfirmedIncidents({ alarms, cellsOfSite: deps.cellsOfSite, sameIncidentMs: deps.quietMs, onError: (err) => expect.fail(err.message) });
    const confirmed = (await reviewSuspicion(deps, 'anomaly-1', { decision: 'confirm', reason: 'seen on the OSS dashboards', by: { kind: 'human', id: 'nora' } })).alarm!;
    const network = await alarms.raise({ sourceSystemId: 'nms', externalAlarmId: 'N-1', alarmType: 'equipmentAlarm', perceivedSeverity: 'critical', probableCause: 'powerProblem', alarmedObject: { id: 'site-1', '@referredType': 'Site' }, raisedTime: iso(T), state: 'raised' });
    const elsewhere = await alarms.raise({ sourceSystemId: 'nms', externalAlarmId: 'N-2', alarmType: 'equipmentAlarm', perceivedSeverity: 'critical', probableCause: 'powerProblem', alarmedObject: { id: 'cell-9', '@referredType': 'Cell' }, raisedTime: iso(T), state: 'raised' });
    expect(link.incidentOf(network)).toEqual({ incident: confirmed.id });
    expect(link.incidentOf(elsewhere)).toBeUndefined();
    expect(link.incidentOf(confirmed)).toBeUndefined();
    clock.advance(3_600_000);
    await alarms.update(network.id, { state: 'cleared' });
    await new Promise((r) => setTimeout(r, 10));
    expect(alarms.get(confirmed.id)).toMatchObject({ state: 'cleared', clearedTime: iso(T + 3_600_000) });
    expect(alarms.get(elsewhere.id)?.state).toBe('raised');
    link.stop();
  });

  it("a suspicion whose last signal is further back than the quiet spell on the world's clock is confirmed as over: its alarm raised cleared at that signal", async () => {
    const { clock, alarms, audited, deps, kept } = setup();
    const nora = { kind: 'human' as const, id: 'nora' };
    // The intake trails the world: the detector still holds it open, 7 h after its last signal.
    clock.advance(7 * HOUR);
    const late = await reviewSuspicion(deps, 'anomaly-1', { decision: 'confirm', reason: 'OSS logs: the cell was down this morning', by: nora, severity: 'major' });
    expect(late).toMatchObject({ raised: true, over: true, continues: null });
    expect(late.alarm).toMatchObject({ state: 'cleared', raisedTime: iso(T - 10 * 60_000), clearedTime: iso(T), perceivedSeverity: 'major' });
    expect(late.alarm!.alarmDetails).toContain(`over by its evidence: last signal ${iso(T)}, 7 h before the confirmation (quiet spell 6 h)`);
    expect(audited.at(-1)).toMatchObject({ action: { params: { alarmId: late.alarm!.id, alarmRaised: true, over: true } } });
    // One the detector closed is the same: the NOC's yes is kept as an incident over at its last signal, not refused.
    kept.get('anomaly-2')!.state = 'closed';
    kept.get('anomaly-2')!.lastSignalMs = T + 6 * HOUR;
    const closed = await reviewSuspicion(deps, 'anomaly-2', { decision: 'confirm', reason: 'seen in the counters', by: nora });
    expect(closed).toMatchObject({ over: true, alarm: { state: 'cleared', clearedTime: iso(T + 6 * HOUR) } });
    // Within the quiet spell it may still go on: raised open, its customers told it is.
    kept.get('anomaly-3')!.lastSignalMs = T + 2 * HOUR;
    const fresh = await reviewSuspicion({ ...deps, alarms: { ...alarms, all: () => [] } }, 'anomaly-3', { decision: 'confirm', reason: 'the site is flapping', by: nora });
    expect(fresh).toMatchObject({ over: false, alarm: { state: 'raised' } });
  });

  it('a suspicion opened within the quiet spell after an alarm on its place cleared goes on that incident: its alarm asks under the first one', async () => {
    const { clock, alarms, deps } = setup();
    const nora = { kind: 'human' as const, id: 'nora' };
    const link = linkConfirmedIncidents({ alarms, cellsOfSite: deps.cellsOfSite, sameIncidentMs: deps.quietMs, onError: (err) => expect.fail(err.message) });
    const raise = (id: string, object: string, scope: 'Cell' | 'Site', raisedMs: number, clearedMs?: number) =>
      alarms.raise({ sourceSystemId: 'nms', externalAlarmId: id, alarmType: 'equipmentAlarm', perceivedSeverity: 'critical', probableCause: 'powerProblem', alarmedObject: { id: object, '@referredType': scope }, raisedTime: iso(raisedMs), ...(clearedMs === undefined ? { state: 'raised' as const } : { state: 'cleared' as const, clearedTime: iso(clearedMs) }) });
    // The site's alarm cleared 2 h before the cell's suspicion opened; another, 7 h before anomaly-2's (a long quiet: a new outage).
    const site = await raise('N-1', 'site-1', 'Site', T - 5 * HOUR, T - 10 * 60_000 - 2 * HOUR);
    const r = await reviewSuspicion(deps, 'anomaly-1', { decision: 'confirm', reason: 'calls drop again', by: nora });
    expect(r).toMatchObject({ raised: true, continues: site.id, over: false });
    expect(r.alarm!.alarmDetails).toContain(`goes on with ${site.id}`);
    // Compensation is the incident's; the notices are the confirmed alarm's own (its customers were told the site's was resolved).
    expect(link.incidentOf(r.alarm!)).toEqual({ incident: site.id, noticesUnder: r.alarm!.id, toldOf: [site.id] });
    // The network's alarm on the confirmed one goes on the first alarm too: one incident, one payment, one 'back' notice.
    clock.advance(HOUR);
    const network = await raise('N-2', 'cell-1', 'Cell', T);
    expect(link.incidentOf(network)).toEqual({ incident: site.id, noticesUnder: r.alarm!.id, toldOf: [site.id] });
    // A chain reaches back at most maxChainMs from the alarm's raise.
    const short = linkConfirmedIncidents({ alarms, cellsOfSite: deps.cellsOfSite, sameIncidentMs: deps.quietMs, maxChainMs: 4 * HOUR, onError: (err) => expect.fail(err.message) });
    expect(short.incidentOf(network)).toEqual({ incident: r.alarm!.id });
    short.stop();
    link.stop();

    const { alarms: alarms2, deps: deps2 } = setup();
    await alarms2.raise({ sourceSystemId: 'nms', externalAlarmId: 'N-3', alarmType: 'equipmentAlarm', perceivedSeverity: 'critical', probableCause: 'powerProblem', alarmedObject: { id: 'cell-2', '@referredType': 'Cell' }, raisedTime: iso(T - 9 * HOUR), state: 'cleared', clearedTime: iso(T - 10 * 60_000 - 7 * HOUR) });
    const later = await reviewSuspicion(deps2, 'anomaly-2', { decision: 'confirm', reason: 'down again', by: nora });
    expect(later).toMatchObject({ raised: true, continues: null });
    const link2 = linkConfirmedIncidents({ alarms: alarms2, cellsOfSite: deps2.cellsOfSite, sameIncidentMs: deps2.quietMs, onError: (err) => expect.fail(err.message) });
    expect(link2.incidentOf(later.alarm!)).toBeUndefined();
    link2.stop();
  });

  it("a fault back twice names every earlier alarm of the chain as told, so the third's 'back' reaches those the second told", async () => {
    const { alarms, deps } = setup();
    const link = linkConfirmedIncidents({ alarms, cellsOfSite: deps.cellsOfSite, sameIncidentMs: deps.quietMs, onError: (err) => expect.fail(err.message) });
    const raise = (id: string, source: string, raisedMs: number, clearedMs?: number) =>
      alarms.raise({ sourceSystemId: source, externalAlarmId: id, alarmType: 'equipmentAlarm', perceivedSeverity: 'critical', probableCause: 'powerProblem', alarmedObject: { id: 'cell-1', '@referredType': 'Cell' }, raisedTime: iso(raisedMs), ...(clearedMs === undefined ? { state: 'raised' as const } : { state: 'cleared' as const, clearedTime: iso(clearedMs) }) });
    // The network's alarm, cleared; back an hour later (confirmed), cleared; back again an hour after that (confirmed).
    const first = await raise('N-1', 'nms', T - 6 * HOUR, T - 5 * HOUR);
    const second = await raise('anomaly-7', ANOMALY_SOURCE_SYSTEM_ID, T - 4 * HOUR, T - 3 * HOUR);
    const third = await raise('anomaly-8', ANOMALY_SOURCE_SYSTEM_ID, T - 2 * HOUR);
    expect(link.incidentOf(second)).toEqual({ incident: first.id, noticesUnder: second.id, toldOf: [first.id] });
    expect(link.incidentOf(third)).toEqual({ incident: first.id, noticesUnder: third.id, toldOf: [first.id, second.id] });
    link.stop();
  });
});
