import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEEP_REFUSED_MS, type RecordOutcome } from '../../domain/event-sink.js';
import type { TwinEvent } from '../../domain/events.js';
import { DAY_MS } from '../../domain/time.js';
import type { DecisionOutcome } from '../../decisioning/decision-record.js';
import { openRecordStore } from '../../store/open-record-store.js';
import type { RecordStore, StoredDecision } from '../../store/record-store.js';
import type { AcceptedEvent, AppliedListener } from '../../twin/intake.js';
import { TwinloopError } from '../../domain/errors.js';
import { answerAmong } from './offer-settlement.js';
import { startOutcomeWatch, type OutcomeWatch, type OutcomeWatchOptions } from './outcome-watch.js';

const T0 = Date.UTC(2026, 2, 2, 14, 0);
const iso = (ms: number) => new Date(ms).toISOString();

/** An intake that applies at once what it is given, in order, and remembers it. */
function fakeIntake() {
  const listeners: AppliedListener[] = [];
  const written: TwinEvent[] = [];
  /** Everything applied, as the event log keeps it. */
  const log: AcceptedEvent[] = [];
  let seq = 0;
  const apply = (events: readonly TwinEvent[]) => {
    const batch = events.map((event) => ({ event, time: Date.parse(event.time), seq: ++seq }));
    log.push(...batch);
    for (const l of listeners) l(batch);
  };
  return {
    written,
    log,
    logAfter: async (afterSeq: number, limit: number) => log.filter((a) => a.seq > afterSeq).slice(0, limit),
    apply,
    onApplied: (l: AppliedListener) => (listeners.push(l), () => void listeners.splice(listeners.indexOf(l), 1)),
    submit: async (events: readonly TwinEvent[]): Promise<RecordOutcome[]> => {
      written.push(...events);
      apply(events);
      return events.map((e) => ({ status: 'accepted' as const, id: e.id }));
    },
  };
}

const decision = (id: string, at: number): StoredDecision => ({ decisionId: id, customerId: 'C1', at, channel: 'call', contextKey: 'call|high-risk', candidates: [], chosen: 'retain-10', propensity: 1 });
const presented = (requestId: string, at: number, decisionId?: string): TwinEvent =>
  ({ id: `p-${requestId}`, kind: 'offer', customerId: 'C1', time: iso(at), source: 'sandbox', v: 1, data: { action: 'presented', offerId: 'retain-10', channel: 'call', treatment: 'discount', requestId, ...(decisionId ? { decisionId } : {}) } }) as TwinEvent;
const acted = (requestId: string, at: number, customerId = 'C1'): TwinEvent =>
  ({ id: `a-${requestId}`, kind: 'action', customerId, time: iso(at), source: 'twinloop', v: 1, data: { requestId, actionClass: 'credit', channel: 'call', status: 'delivered', amount: 5 } }) as TwinEvent;

describe('outcome watch', () => {
  let dir: string;
  let records: RecordStore;
  let watch: OutcomeWatch | undefined;
  let now = T0;
  const closed = new Map<string, DecisionOutcome>();
  const leftAt = new Map<string, number>();
  const start = (intake: ReturnType<typeof fakeIntake>, extra: Partial<OutcomeWatchOptions> = {}) =>
    startOutcomeWatch({
      ...extra,
      intake,
      twin: (id) => ({ contacts: { leftAt: leftAt.get(id) ?? 0 } as never }),
      recordOutcome: async (id, outcome) => {
        if (!closed.has(id)) closed.set(id, outcome);
        await records.recordOutcome(id, outcome);
      },
      records,
      clock: { now: () => now },
      sweepEveryMs: 0,
    });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'twinloop-outcomes-'));
    records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    now = T0;
    closed.clear();
    leftAt.clear();
  });
  afterEach(async () => {
    await watch?.close();
    await records.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes ignored for an offer unanswered within the window, against its decision, and nothing for an answered one', async () => {
    const intake = fakeIntake();
    watch = await start(intake);
    await records.appendDecisions([decision('d1', T0), decision('d2', T0)]);
    intake.apply([presented('d1:retain-10', T0, 'd1'), presented('d2:retain-10', T0, 'd2')]);
    intake.apply([{ ...presented('d2:retain-10', T0, 'd2'), id: 'answer', data: { action: 'declined', offerId: 'retain-10', channel: 'call', requestId: 'd2:retain-10', decisionId: 'd2' } } as TwinEvent]);
    now = T0 + 6 * DAY_MS;
    expect(await watch.sweep()).toEqual({ ignored: 0, notActed: 0, stayed: 0, churned: 0 });
    now = T0 + 7 * DAY_MS + 1;
    expect((await watch.sweep()).ignored).toBe(1);
    expect(intake.written).toEqual([
      { id: 'ignored:d1:retain-10', kind: 'offer', customerId: 'C1', time: iso(T0 + 7 * DAY_MS), source: 'twinloop', v: 1, data: { action: 'ignored', offerId: 'retain-10', channel: 'call', requestId: 'd1:retain-10', decisionId: 'd1', treatment: 'discount' } },
    ]);
    expect(closed.get('d1')).toEqual({ accepted: false, reward: 0, at: T0 + 7 * DAY_MS, result: 'ignored', requestId: 'd1:retain-10' });
    expect((await watch.sweep()).ignored).toBe(0);
  });

  it('closes every decision still open after its window as not acted on', async () => {
    const intake = fakeIntake();
    watch = await start(intake);
    await records.appendDecisions([decision('old', T0), { ...decision('done', T0), outcome: { accepted: true, reward: 1, at: T0 + 1 } }, decision('young', T0 + 3 * DAY_MS)]);
    now = T0 + 8 * DAY_MS;
    expect((await watch.sweep()).notActed).toBe(1);
    expect([...closed.keys()]).toEqual(['old']);
    expect(closed.get('old')).toMatchObject({ result: 'not-acted', at: T0 + 7 * DAY_MS });
    now = T0 + 11 * DAY_MS;
    expect((await watch.sweep()).notActed).toBe(1);
    const log = await records.listDecisions();
    expect(log.every((d) => d.outcome)).toBe(true);
  });

  it('leaves open a decision whose offer was presented after it and waits for its answer: the answer, or ignored, closes it', async () => {
    const intake = fakeIntake();
    watch = await start(intake);
    await records.appendDecisions([decision('late', T0), decision('later', T0)]);
    // Accepted on the card two days after the decision: its answer window ends at T0 + 9 days.
    intake.apply([presented('late:retain-10', T0 + 2 * DAY_MS, 'late'), presented('later:retain-10', T0 + 2 * DAY_MS, 'later')]);
    now = T0 + 8 * DAY_MS;
    expect((await watch.sweep()).notActed).toBe(0);
    expect(closed.size).toBe(0);
    intake.apply([{ ...presented('late:retain-10', T0 + 8 * DAY_MS, 'late'), id: 'answer', data: { action: 'accepted', offerId: 'retain-10', channel: 'call', requestId: 'late:retain-10', decisionId: 'late' } } as TwinEvent]);
    now = T0 + 9 * DAY_MS + 1;
    expect(await watch.sweep()).toMatchObject({ ignored: 1, notActed: 0 });
    expect(closed.get('later')).toMatchObject({ result: 'ignored', at: T0 + 9 * DAY_MS });
    // (`late` is closed by its answer through the decision service, which this test stands in for: never by the sweep.)
    expect(closed.has('late')).toBe(false);
  });

  it('writes stayed at the horizon and churned as soon as the customer leaves within it, and remembers across a restart', async () => {
    const intake = fakeIntake();
    watch = await start(intake);
    intake.apply([acted('r-stay', T0), acted('r-churn', T0, 'C2')]);
    await watch.close();
    // A new run of the server: what was waited for is read back.
    watch = await start(intake);
    now = T0 + 20.5 * DAY_MS;
    leftAt.set('C2', T0 + 20 * DAY_MS);
    intake.apply([{ id: 'term', kind: 'subscription', customerId: 'C2', time: iso(T0 + 20 * DAY_MS), source: 'sandbox', v: 1, data: { action: 'terminated', subscriptionId: 'S2', productKind: 'plan' } } as TwinEvent]);
    expect(await watch.sweep()).toMatchObject({ churned: 1, stayed: 0 });
    now = T0 + 90 * DAY_MS;
    expect(await watch.sweep()).toMatchObject({ churned: 0, stayed: 1 });
    expect(intake.written.map((e) => [e.id, e.time, e.data])).toEqual([
      ['outcome:r-churn', iso(T0 + 20 * DAY_MS), { requestId: 'r-churn', actionClass: 'credit', horizonDays: 90, actedAt: iso(T0), result: 'churned', churnedAt: iso(T0 + 20 * DAY_MS) }],
      ['outcome:r-stay', iso(T0 + 90 * DAY_MS), { requestId: 'r-stay', actionClass: 'credit', horizonDays: 90, actedAt: iso(T0), result: 'stayed' }],
    ]);
    expect((await watch.sweep()).stayed).toBe(0);
  });
  it("keeps an answer or a stay the intake refused as dated ahead of its clock (a restart's world behind the last run's) and writes it at the next sweep", async () => {
    const intake = fakeIntake();
    // The intake's clock stands `behind` ms before the watch's: what is dated after it is refused, for now.
    let behind = 2 * DAY_MS;
    const taken = intake.submit;
    intake.submit = async (events) => {
      const due = events.filter((e) => Date.parse(e.time) <= now - behind);
      const answers = await taken(due);
      return events.map((e) => (due.includes(e) ? answers[due.indexOf(e)] : { status: 'rejected' as const, id: e.id, reason: 'time: in the future', retryable: true as const }));
    };
    watch = await start(intake);
    await records.appendDecisions([decision('d1', T0)]);
    intake.apply([presented('d1:retain-10', T0, 'd1'), acted('r-stay', T0), acted('r-churn', T0, 'C2')]);
    now = T0 + 90 * DAY_MS + 1;
    leftAt.set('C2', T0 + 89 * DAY_MS);
    intake.apply([{ id: 'term', kind: 'subscription', customerId: 'C2', time: iso(T0 + 89 * DAY_MS), source: 'sandbox', v: 1, data: { action: 'terminated', subscriptionId: 'S2', productKind: 'plan' } } as TwinEvent]);
    // The ignore (day 7) is behind the intake's clock; the stay (day 90) and the churn (day 89) are not.
    expect(await watch.sweep()).toMatchObject({ ignored: 1, stayed: 0, churned: 0 });
    expect(intake.written.map((e) => e.id)).toEqual(['ignored:d1:retain-10']);
    behind = 0;
    expect(await watch.sweep()).toMatchObject({ ignored: 0, stayed: 1, churned: 1 });
    expect(intake.written.map((e) => e.id).sort()).toEqual(['ignored:d1:retain-10', 'outcome:r-churn', 'outcome:r-stay']);
    expect(await watch.sweep()).toMatchObject({ ignored: 0, stayed: 0, churned: 0 });
  });

  it('writes off what the intake still refuses as ahead of its clock after a quarter of an hour, saying so (a world reset behind would be retried for ever)', async () => {
    const intake = fakeIntake();
    intake.submit = async (events) => events.map((e) => ({ status: 'rejected' as const, id: e.id, reason: 'time: in the future', retryable: true as const }));
    const lines: string[] = [];
    // Real time, driven here: the world's clock stands still while the quarter of an hour passes.
    let wall = Date.parse('2026-12-07T22:00:00Z');
    watch = await start(intake, { log: (l) => void lines.push(l), wallClock: { now: () => wall, realMsUntil: () => 0 } });
    intake.apply([acted('r-stay', T0)]);
    now = T0 + 90 * DAY_MS;
    expect((await watch.sweep()).stayed).toBe(0);
    wall += KEEP_REFUSED_MS - 1;
    expect((await watch.sweep()).stayed).toBe(0);
    wall += 1;
    expect((await watch.sweep()).stayed).toBe(1);
    expect((await watch.sweep()).stayed).toBe(0);
    expect(lines.at(-1)).toBe('outcomes: outcome:r-stay was refused: time: in the future; refused for 15 min, written off');
  });

  it("dates an ignore at its window's end however late the sweep, and looks for the answer after the presentation while the timeline cannot be read", async () => {
    const intake = fakeIntake();
    // The customer's whole timeline cannot be read (a first start's history, seqs 1 and 2, still written behind); the events after it can.
    const HISTORY_END = 2;
    const asked: (number | undefined)[] = [];
    const answerOf: OutcomeWatchOptions['answerOf'] = async (customerId, requestId, afterSeq) => {
      asked.push(afterSeq);
      if (afterSeq === undefined || afterSeq < HISTORY_END) throw new TwinloopError('UNAVAILABLE', "reading the events of customer C1 reaches the first start's history, which is still being written");
      return answerAmong(intake.log.filter((a) => a.seq > afterSeq && a.event.customerId === customerId).map((a) => a.event), requestId);
    };
    watch = await start(intake, { answerOf });
    intake.apply([acted('r-h1', T0 - 2 * DAY_MS), acted('r-h2', T0 - DAY_MS)]);
    await records.appendDecisions([decision('d1', T0), decision('d2', T0)]);
    intake.apply([presented('d1:retain-10', T0, 'd1'), presented('d2:retain-10', T0, 'd2')]);
    intake.apply([{ ...presented('d2:retain-10', T0 + DAY_MS, 'd2'), id: 'answer', data: { action: 'declined', offerId: 'retain-10', channel: 'call', requestId: 'd2:retain-10', decisionId: 'd2' } } as TwinEvent]);
    // The first sweep after the window comes two weeks late.
    now = T0 + 21 * DAY_MS;
    expect((await watch.sweep()).ignored).toBe(1);
    expect(intake.written.map((e) => [e.id, e.time])).toEqual([['ignored:d1:retain-10', iso(T0 + 7 * DAY_MS)]]);
    expect(closed.get('d1')).toMatchObject({ result: 'ignored', at: T0 + 7 * DAY_MS });
    expect(asked).toEqual([undefined, HISTORY_END]);
    // Written again (a sweep repeated after a crash), it is the same event, dated the same.
    now = T0 + 30 * DAY_MS;
    expect((await watch.sweep()).ignored).toBe(0);
  });

  it("reads again at start what was applied after its last save: a presentation then is written off, not closed not-acted", async () => {
    const intake = fakeIntake();
    watch = await start(intake, { logAfter: intake.logAfter });
    await records.appendDecisions([decision('d1', T0), decision('d2', T0 + DAY_MS)]);
    intake.apply([presented('d1:retain-10', T0, 'd1')]);
    await watch.close();
    // The process dies after d2's offer was presented and an action carried out, before the watch saved them.
    intake.apply([presented('d2:retain-10', T0 + DAY_MS, 'd2'), acted('r-credit', T0 + DAY_MS)]);
    const lines: string[] = [];
    watch = await start(intake, { logAfter: intake.logAfter, log: (line) => lines.push(line) });
    // A presentation the new run sees live is not read twice.
    intake.apply([acted('r-live', T0 + 2 * DAY_MS)]);
    now = T0 + 8 * DAY_MS + 1;
    expect(await watch.sweep()).toMatchObject({ ignored: 2, notActed: 0 });
    expect(lines).toEqual(['outcomes: read again the 2 events applied after the last save (after seq 1) and before this start\'s first: 1 offer(s) presented then wait for their answers']);
    expect(closed.get('d2')).toMatchObject({ result: 'ignored', at: T0 + 8 * DAY_MS });
    now = T0 + 92 * DAY_MS;
    expect((await watch.sweep()).stayed).toBe(2);
    expect(intake.written.filter((e) => e.kind === 'outcome').map((e) => e.id).sort()).toEqual(['outcome:r-credit', 'outcome:r-live']);
  });

  it('writes no ignored after an answer it did not see: a restart its last save did not cover, an offer presented again', async () => {
    const intake = fakeIntake();
    /** The customer's logged events: what the twins' history holds, whatever the watch saw. */
    const logged: TwinEvent[] = [];
    const log = (events: TwinEvent[]) => (logged.push(...events), intake.apply(events));
    const answerOf: OutcomeWatchOptions['answerOf'] = async (customerId, requestId) => answerAmong(logged.filter((e) => e.customerId === customerId), requestId);
    watch = await start(intake, { answerOf });
    await records.appendDecisions([decision('d1', T0), decision('d2', T0)]);
    log([presented('d1:retain-10', T0, 'd1'), presented('d2:retain-10', T0, 'd2')]);
    // Saved while both wait for an answer; the decline of d1 comes after the save, and the process
    // dies before the next one (no close): the next run reads d1 as still waiting.
    await watch.close();
    watch = undefined;
    const declined = { ...presented('d1:retain-10', T0 + 1000, 'd1'), id: 'answer-d1', data: { action: 'declined', offerId: 'retain-10', channel: 'call', requestId: 'd1:retain-10', decisionId: 'd1' } } as TwinEvent;
    logged.push(declined);
    watch = await start(intake, { answerOf });
    // d2 was declined, and then presented again (a request carried out again after a crash): the
    // watch, new, sees only the second presentation.
    logged.push({ ...declined, id: 'answer-d2', data: { ...declined.data, requestId: 'd2:retain-10', decisionId: 'd2' } } as TwinEvent);
    log([{ ...presented('d2:retain-10', T0 + 2 * DAY_MS, 'd2'), id: 'p-again' }]);
    now = T0 + 10 * DAY_MS;
    expect((await watch.sweep()).ignored).toBe(0);
    expect(intake.written.filter((e) => e.kind === 'offer')).toEqual([]);
    expect(closed.get('d1')?.result).not.toBe('ignored');
    expect(closed.get('d2')?.result).not.toBe('ignored');
    // Nothing is waited for any more: a later sweep writes nothing either.
    now = T0 + 30 * DAY_MS;
    expect((await watch.sweep()).ignored).toBe(0);
  });
});
