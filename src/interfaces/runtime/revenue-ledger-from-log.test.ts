import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DAY_MS, DAYS_PER_MONTH } from '../../domain/time.js';
import { TwinloopError } from '../../domain/errors.js';
import { revenueSd, type RevenueRecord } from '../../simulation/index.js';
import type { NewEvent } from '../../store/event-store.js';
import { openEventStore } from '../../store/open-event-store.js';
import { ManualClock } from '../../domain/clock.js';
import type { TwinEvent } from '../../domain/events.js';
import { openTwinService, type TwinService } from '../../twin/twin-service.js';
import { contactsFromLog } from './contacts-from-log.js';
import { keepRevenueLedger, revenueCaveat, revenueLedgerFromLog } from './revenue-ledger-from-log.js';
import { keepIncidentLedger } from './incidents-from-log.js';
import { startLogPass } from './start-log-pass.js';
import { ACCEPTANCE_RETENTION_DAYS, ContactLedger } from '../../decisioning/contact-ledger.js';
import { resolveContactPolicy, sameOfferRefusal } from '../../decisioning/contact-policy.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
/** What the ledger and the start's pass read of the twins, for the tests that stand a store in for them. */
type StubTwins = Pick<TwinService, 'intake' | 'store' | 'engine' | 'appliedSeq'>;
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const event = (id: string, customerId: string, kind: string, timeMs: number, data: Record<string, unknown>): NewEvent => ({
  id,
  customerId,
  kind,
  time: timeMs,
  // Received long after it happened and out of time order (a backfill), as the log may hold them.
  receivedAt: T0 + 400 * DAY_MS,
  body: JSON.stringify({ id, customerId, kind, time: new Date(timeMs).toISOString(), data }),
});

describe('revenueLedgerFromLog', () => {
  it('reads the bills and top-ups of the months before the clock from the log, as revenueSd reads its records', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twinloop-revenue-log-'));
    dirs.push(dir);
    const store = await openEventStore({ kind: 'sqlite', dataDir: dir });
    const until = T0 + 365 * DAY_MS;
    const records: RevenueRecord[] = [];
    const events: NewEvent[] = [];
    // Newest months first in the log: its order says nothing of event time. One record of each
    // kind in the middle of each of revenueSd's months before the clock.
    for (let m = 0; m < 12; m++) {
      const t = until - (m + 0.5) * DAYS_PER_MONTH * DAY_MS;
      const bill = 40 + ((m * 7) % 5) * 6;
      const topup = 10 + (m % 3) * 5;
      events.push(event(`b${m}`, 'A', 'bill', t, { amount: bill }), event(`t${m}`, 'P', 'topup', t + 1000, { amount: topup }), event(`u${m}`, 'A', 'usage', t, { dataMb: 100 }));
      records.push({ customerId: 'A', timeMs: t, amount: bill }, { customerId: 'P', timeMs: t + 1000, amount: topup });
      // A customer whose bill never changes varies by nothing.
      events.push(event(`c${m}`, 'C', 'bill', t, { amount: 30 }));
      records.push({ customerId: 'C', timeMs: t, amount: 30 });
    }
    // A record after the clock is not read.
    events.push(event('late', 'C', 'bill', until + DAY_MS, { amount: 500 }));
    await store.append(events);
    try {
      const ledger = await revenueLedgerFromLog(store, until);
      const fromLog = ledger.sd(until);
      const direct = revenueSd(records, { untilMs: until });
      for (const id of ['A', 'P', 'C']) expect(fromLog(id)).toBeCloseTo(direct(id), 9);
      expect(fromLog('A')).toBeGreaterThan(1);
      expect(fromLog('P')).toBeGreaterThan(1);
      expect(fromLog('C')).toBe(0);
      // Only the months revenueSd reads (and a part month) are kept, not the whole year.
      expect(ledger.size).toBeLessThan(records.length);
    } finally {
      await store.close();
    }
  });
});

describe('the ledger while the store cannot give the log yet (the first start\'s history written behind)', () => {
  const opened = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twinloop-revenue-wait-'));
    dirs.push(dir);
    const store = await openEventStore({ kind: 'sqlite', dataDir: dir });
    const until = T0 + 365 * DAY_MS;
    await store.append([event('b1', 'A', 'bill', until - 10 * DAY_MS, { amount: 40 }), event('b2', 'A', 'bill', until - 40 * DAY_MS, { amount: 60 })]);
    let refused = 0;
    const notYet = {
      readLog: (after: number, limit: number) =>
        refused++ === 0 ? Promise.reject(new TwinloopError('UNAVAILABLE', 'the history is still being written')) : store.readLog(after, limit),
      refused: () => refused,
    };
    return { store, until, notYet };
  };

  it("the server's waits for it instead of leaving the records out", async () => {
    const { store, until, notYet } = await opened();
    const twins = { intake: { onApplied: () => () => {} }, store: { ...store, readLog: notYet.readLog }, engine: { eventClock: until }, appliedSeq: () => 2 } as unknown as StubTwins;
    try {
      const kept = keepRevenueLedger(twins, (line) => expect.fail(line));
      const pass = startLogPass(twins, [kept.fromLog]);
      // Said while it is read (what a planning that does not wait for it says it went without).
      expect(kept.progress(pass.progress())).toEqual({ done: false, readSeq: 0, throughSeq: 2 });
      await pass.loaded;
      expect(kept.progress(pass.progress())).toEqual({ done: true, readSeq: 2, throughSeq: 2 });
      expect(notYet.refused()).toBeGreaterThan(1);
      expect(kept.ledger.size).toBe(2);
    } finally {
      await store.close();
    }
  }, 30_000);

  it("the server's that fails keeps saying what the lab goes without until the intake's records make up for it (a failed read left an intent's plan without its caveat)", async () => {
    const { store, until } = await opened();
    const broken = { ...store, readLog: () => Promise.reject(new Error('disk I/O error')) };
    const twins = { intake: { onApplied: () => () => {} }, store: broken, engine: { eventClock: until }, appliedSeq: () => 2 } as unknown as StubTwins;
    const said: string[] = [];
    try {
      const kept = keepRevenueLedger(twins, (line) => said.push(line));
      const pass = startLogPass(twins, [kept.fromLog, contactsFromLog(until, ACCEPTANCE_RETENTION_DAYS, () => expect.fail('nothing was read'), (line) => said.push(line))]);
      expect(revenueCaveat(kept.progress(pass.progress()), until)).toMatch(/still being read after the restart \(0 % of the log\)/);
      await pass.loaded;
      const progress = kept.progress(pass.progress());
      expect(progress).toMatchObject({ done: true, failed: { reason: 'disk I/O error', madeUpAt: until + 4 * DAYS_PER_MONTH * DAY_MS } });
      expect(said.join('\n')).toMatch(/could not be read \(disk I\/O error\)/);
      // The contact rules say what they go without too (the review of 80a232c found them silent).
      expect(said.join('\n')).toMatch(/contact rules: the contacts in the log could not be read \(disk I\/O error\)/);
      expect(revenueCaveat(progress, until + 30 * DAY_MS)).toMatch(/could not be read after the restart \(disk I\/O error\), so the net value's interval leaves out .* until 4 months of new records are in/);
      expect(revenueCaveat(progress, progress.failed!.madeUpAt)).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it("a command's is refused with the store's reason: it waited on a timer that held no process, and `twinloop simulate FILE` exited 0 having printed nothing", async () => {
    const { store, until, notYet } = await opened();
    try {
      await expect(revenueLedgerFromLog(notYet, until)).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'the history is still being written' });
    } finally {
      await store.close();
    }
  });
});

describe('keepRevenueLedger (the server\'s)', () => {
  const iso = (ms: number) => new Date(ms).toISOString();
  const registration: TwinEvent = {
    id: 'reg', kind: 'customer', customerId: 'A', time: iso(T0), source: 'test', v: 1,
    data: { segment: 'consumer', billing: 'postpaid', contractMonths: 0, paymentMethod: 'card', since: iso(T0) },
  };
  const bill = (m: number, amount: number): TwinEvent => ({
    id: `bill-${m}`, kind: 'bill', customerId: 'A', time: iso(T0 + (m + 0.5) * DAYS_PER_MONTH * DAY_MS), source: 'test', v: 1,
    data: { billId: `B${m}`, amount, currency: 'EUR', periodStart: iso(T0 + m * DAYS_PER_MONTH * DAY_MS).slice(0, 10), periodEnd: iso(T0 + (m + 1) * DAYS_PER_MONTH * DAY_MS).slice(0, 10), lines: [{ type: 'plan', amount }] },
  });
  const amounts = [40, 52, 38, 61, 45, 58];

  it('holds the bills the log had before a restart, and each later one once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twinloop-revenue-kept-'));
    dirs.push(dir);
    const clock = new ManualClock(T0 + 7 * DAYS_PER_MONTH * DAY_MS);
    const open = async () => openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock });
    const first = await open();
    const kept = keepRevenueLedger(first, () => {});
    await startLogPass(first, [kept.fromLog]).loaded;
    const outcomes = await first.intake.submit([registration, ...amounts.map((a, m) => bill(m, a))]);
    expect(outcomes.map((o) => o.status)).toEqual(outcomes.map(() => 'accepted'));
    const until = first.engine.eventClock + DAY_MS;
    const records = amounts.map((amount, m) => ({ customerId: 'A', timeMs: Date.parse(bill(m, amount).time), amount }));
    const expected = revenueSd(records, { untilMs: until })('A');
    expect(expected).toBeGreaterThan(1);
    expect(kept.ledger.sd(until)('A')).toBeCloseTo(expected, 9);
    kept.detach();
    await first.close();

    // Restarted: the same noise at once, not after 3 more months of bills.
    const again = await open();
    try {
      const restarted = keepRevenueLedger(again, (line) => expect.fail(line));
      await startLogPass(again, [restarted.fromLog]).loaded;
      expect(restarted.ledger.size).toBe(amounts.length);
      expect(restarted.ledger.sd(until)('A')).toBeCloseTo(expected, 9);
      // A bill applied after the start is the intake's, counted once.
      await again.intake.submit([bill(6, 70)]);
      expect(restarted.ledger.size).toBe(amounts.length + 1);
      restarted.detach();
    } finally {
      await again.close();
    }
  });
});

describe("a restart's contact ledger, read from the log in the same pass", () => {
  it('holds the offers a customer accepted before the restart, so one they hold is not made again (the ledger was the intake\'s alone)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twinloop-contacts-log-'));
    dirs.push(dir);
    const store = await openEventStore({ kind: 'sqlite', dataDir: dir });
    const until = T0 + 600 * DAY_MS;
    const offer = (id: string, customerId: string, action: string, daysAgo: number, offerId = 'data-bonus') => event(id, customerId, 'offer', until - daysAgo * DAY_MS, { action, offerId, channel: 'app' });
    await store.append([
      offer('p1', 'A', 'presented', 20),
      offer('a1', 'A', 'accepted', 20),
      // Older than an acceptance is kept: not handed over.
      offer('a2', 'B', 'accepted', 500, 'retain-10'),
      event('b1', 'A', 'bill', until - 10 * DAY_MS, { amount: 40 }),
      // Applied after the start: the intake hands it over, not the log.
      offer('a3', 'C', 'accepted', 1),
    ]);
    const contacts = new ContactLedger();
    const twins = { intake: { onApplied: () => () => {} }, store, engine: { eventClock: until }, appliedSeq: () => 4 } as unknown as StubTwins;
    try {
      const kept = keepRevenueLedger(twins, (line) => expect.fail(line));
      await startLogPass(twins, [kept.fromLog, contactsFromLog(until, ACCEPTANCE_RETENTION_DAYS, (events) => contacts.observe(events), (line) => expect.fail(line))]).loaded;
      expect(kept.ledger.size).toBe(1);
      const summary = contacts.summary('A', until, 30)!;
      expect(summary).toMatchObject({ contacts: 1, source: 'ledger' });
      expect(sameOfferRefusal(resolveContactPolicy({}), summary, { id: 'data-bonus', months: 3 }, until, true)).toMatchObject({ rule: 'offer-in-force' });
      expect(contacts.has('B')).toBe(false);
      expect(contacts.has('C')).toBe(false);
    } finally {
      await store.close();
    }
  });
});

describe("a restart's incident ledger, read from the log in the same pass", () => {
  it('holds the incidents and churn of the year before the restart, so a network scenario is run with the effect they show at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twinloop-incidents-log-'));
    dirs.push(dir);
    const store = await openEventStore({ kind: 'sqlite', dataDir: dir });
    const until = T0 + 400 * DAY_MS;
    const impact = (id: string, customerId: string, daysAgo: number) => event(id, customerId, 'network_impact', until - daysAgo * DAY_MS, { incidentId: `I-${id}`, cellId: 'cell-1', impact: 'outage', severity: 'high', start: new Date(until - daysAgo * DAY_MS).toISOString() });
    const ended = (id: string, customerId: string, daysAgo: number) => event(id, customerId, 'subscription', until - daysAgo * DAY_MS, { action: 'terminated', subscriptionId: `${customerId}-L1`, productKind: 'plan' });
    await store.append([
      event('a0', 'A', 'bill', until - 300 * DAY_MS, { amount: 40 }),
      event('b0', 'B', 'bill', until - 300 * DAY_MS, { amount: 40 }),
      event('c0', 'C', 'bill', until - 300 * DAY_MS, { amount: 40 }),
      impact('i1', 'A', 100),
      ended('e1', 'A', 90),
      impact('i2', 'B', 50),
      ended('e2', 'C', 20),
    ]);
    const twins = { intake: { onApplied: () => () => {} }, store, engine: { eventClock: until }, appliedSeq: () => 7 } as unknown as Parameters<typeof keepIncidentLedger>[0] & Parameters<typeof startLogPass>[0];
    try {
      const kept = keepIncidentLedger(twins);
      expect(kept.ledger.effect(until)).toBeUndefined();
      await startLogPass(twins, [kept.fromLog]).loaded;
      const effect = kept.ledger.effect(until)!;
      // A churned 10 days after an incident, C without one; the days of all three (B's 30 after its incident among them).
      expect(effect).toMatchObject({ churnsExposed: 1, churnsUnexposed: 1, days: 300 });
      expect(effect.daysExposed).toBe(11 + 30);
    } finally {
      await store.close();
    }
  });
});
