import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CATALOGUE_DOCUMENT } from '../../decisioning/default-catalogue.js';
import { loadCatalogue } from '../../decisioning/offer-catalogue.js';
import { createBudgetLedger, parseActionPolicy, type BudgetLedger } from '../../decisioning/policy/index.js';
import { ManualClock } from '../../domain/clock.js';
import { TwinloopError } from '../../domain/errors.js';
import { DAY_MS } from '../../domain/time.js';
import type { TwinEvent } from '../../domain/events.js';
import type { GovernanceStore } from '../../store/governance-store.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import { openRecordStore } from '../../store/open-record-store.js';
import type { RecordStore } from '../../store/record-store.js';
import type { AppliedListener } from '../../twin/intake.js';
import { actionEventOf } from './action-report.js';
import { createApprovalQueue } from './approval-queue.js';
import { createAuditTrail, type AuditTrail } from './audit-trail.js';
import { createGuardedExecutor, type ActionExecutor } from './guarded-executor.js';
import { acceptedAtAmong, answerAmong, createOfferSettler } from './offer-settlement.js';
import { LATE_ACCEPTANCE_WATCH_MS, OPEN_OFFER_SETTLEMENTS, offerSettlementBook, WATCHED_IGNORED_OFFERS, type OfferSettlementBook } from './offer-settlement-book.js';
import { startOfferSettlement } from './offer-settlement-sweep.js';
import { ANSWER_WINDOW_MS } from '../../decisioning/decision-record.js';

/**
 * An offer paid on acceptance books its acceptance-paid part only when the customer accepts
 * (docs/policy.md, "Budgets"): reserved at presentation, committed on `accepted`, released on
 * `declined` or `ignored`, once, also across a restart.
 */

const T0 = Date.UTC(2026, 4, 14, 9);
const PERIOD = '2026-05';
const SCOPE = '*|*';
/** 10 % for 3 months at a monthly price of 50 (15, on acceptance) and a fixed cost of 2 paid when presented. */
const MIXED = {
  ...DEFAULT_CATALOGUE_DOCUMENT.productOffering.find((o) => o.id === 'retain-10')!,
  id: 'mixed',
  actionClass: 'offer',
  productOfferingPrice: { priceType: 'discount', percentage: 10, recurringChargePeriodLength: 3, cost: { value: 2, unit: 'EUR' }, costPaidOn: 'presentation' },
};
const catalogue = loadCatalogue({ ...DEFAULT_CATALOGUE_DOCUMENT, productOffering: [...DEFAULT_CATALOGUE_DOCUMENT.productOffering, MIXED] });
const policy = (limit: number) => parseActionPolicy({ version: 1, fallbackMode: 'autonomous', budgets: [{ actionClass: '*', period: 'month', limit }] });

let dataDir: string;
let governance: GovernanceStore;
let records: RecordStore;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'twinloop-settle-'));
  await open();
});
afterEach(async () => {
  await close();
  await rm(dataDir, { recursive: true, force: true });
});
async function open() {
  governance = await openGovernanceStore({ kind: 'sqlite', dataDir });
  records = await openRecordStore({ kind: 'sqlite', dataDir });
}
async function close() {
  await governance.close();
  await records.close();
}

/** The operator's parts over the stores (as the server puts them together), with an intake whose applied events the test sends. */
function operator(o: { limit?: number; executor?: ActionExecutor; ledger?: BudgetLedger; log?: (line: string) => void; at?: number; book?: (b: OfferSettlementBook) => OfferSettlementBook; audit?: (a: AuditTrail) => AuditTrail; readable?: () => boolean } = {}) {
  const clock = new ManualClock(o.at ?? T0);
  const ledger = o.ledger ?? createBudgetLedger(governance);
  const settlements = (o.book ?? ((b) => b))(offerSettlementBook(records));
  const audit = (o.audit ?? ((a) => a))(createAuditTrail(governance, clock));
  /** The policy in force: a test may put another in force (PUT /policy) between presentation and answer. */
  const inForce = { policy: policy(o.limit ?? 1000) };
  const guarded = createGuardedExecutor({
    policy: () => inForce.policy,
    pricing: { offering: (id) => catalogue.byId.get(id), monthlyPrice: () => 50 },
    ledger,
    settlements,
    queue: createApprovalQueue(governance, clock),
    audit,
    executor: o.executor ?? (async () => ({ ok: true })),
    clock,
  });
  const settler = createOfferSettler({ ledger, settlements, audit, policy: () => inForce.policy, clock });
  const listeners: AppliedListener[] = [];
  const settlement = startOfferSettlement({
    intake: { onApplied: (l) => (listeners.push(l), () => undefined) },
    settler,
    book: settlements,
    answerOf: async (customerId, requestId) => {
      if (o.readable && !o.readable()) throw new TwinloopError('UNAVAILABLE', "the first start's history is still being written");
      return answerAmong(logged.filter((e) => e.customerId === customerId), requestId);
    },
    acceptedAt: async (customerId, requestId) => acceptedAtAmong(logged.filter((e) => e.customerId === customerId), requestId),
    clock,
    sweepEveryMs: 0,
    log: o.log,
  });
  /** The events applied: logged (the customers' events the sweep reads), then handed to the listeners. */
  const apply = (events: TwinEvent[]) => {
    logged.push(...events);
    listeners.forEach((l) => l(events.map((event, i) => ({ event, time: T0, seq: i + 1 }))));
  };
  return { guarded, settler, settlements, apply, settlement, audit, clock, inForce };
}
/** The customers' logged events (the event log outlives an operator's process). */
let logged: TwinEvent[] = [];
beforeEach(() => {
  logged = [];
});

const present = (g: ReturnType<typeof operator>['guarded'], id: string, offerId = 'mixed', customerId = 'C1') =>
  g.execute({ id, actionClass: offerId === 'mixed' || offerId === 'data-bonus' ? 'offer' : 'discount', channel: 'app', customerId, params: { offerId, present: true }, actor: { kind: 'agent', id: 'test' }, why: { summary: 'retention offer' } });
const answer = (requestId: string, action: 'accepted' | 'declined' | 'ignored', customerId = 'C1'): TwinEvent => ({
  id: `${action}:${requestId}`,
  kind: 'offer',
  customerId,
  time: new Date(T0).toISOString(),
  source: 'test',
  v: 1,
  data: { action, offerId: 'mixed', channel: 'app', requestId },
});
const spend = () => governance.budgetSpend(PERIOD, SCOPE);

describe('offers paid on acceptance', () => {
  it('commits only the presentation part when presented, and keeps the rest reserved', async () => {
    const { guarded, settlements } = operator();
    const r = await present(guarded, 'R1');
    expect(r).toMatchObject({ status: 'executed', cost: 2, onAcceptance: 15 });
    expect(await spend()).toMatchObject({ committed: 2, reserved: 15 });
    expect(await settlements.get('R1')).toMatchObject({ state: 'reserved', amount: 15, customerId: 'C1' });
  });

  it('a declined offer books the contact cost only', async () => {
    const { guarded, settler } = operator();
    await present(guarded, 'R1');
    expect(await settler.settle('R1', 'declined')).toMatchObject({ state: 'released', answer: 'declined' });
    expect(await spend()).toMatchObject({ committed: 2, reserved: 0 });
  });

  it('an accepted offer books the whole cost the policy checked', async () => {
    const { guarded, settler, audit } = operator();
    await present(guarded, 'R1');
    await settler.settle('R1', 'accepted');
    expect(await spend()).toMatchObject({ committed: 17, reserved: 0 });
    const entries = await audit.read({ afterSeq: 0 });
    expect(entries.find((e) => (e.entry as { type: string }).type === 'action.settled')?.entry).toMatchObject({ requestId: 'R1', outcome: { answer: 'accepted', amount: 15 } });
  });

  it('the answers the intake applies settle: accepted, declined, and the outcome watch\'s ignored', async () => {
    const { guarded, apply, settlements, clock } = operator();
    await present(guarded, 'A', 'mixed', 'C1');
    await present(guarded, 'D', 'mixed', 'C2');
    await present(guarded, 'I', 'mixed', 'C3');
    expect(await spend()).toMatchObject({ committed: 6, reserved: 45 });
    // The ignore comes in two weeks late (a stalled sweep), dated at its window's end: the release is dated there too.
    const windowEnd = T0 + 7 * DAY_MS;
    clock.set(T0 + 21 * DAY_MS);
    apply([answer('A', 'accepted'), answer('D', 'declined', 'C2'), { ...answer('I', 'ignored', 'C3'), time: new Date(windowEnd).toISOString() }]);
    await expect.poll(async () => (await settlements.list()).filter((s) => s.state !== 'reserved').length).toBe(3);
    expect(await spend()).toMatchObject({ committed: 6 + 15, reserved: 0 });
    expect((await settlements.get('I'))?.settledAt).toBe(windowEnd);
  });

  it('an answer seen twice (at once, or again later, or another answer after it) settles once', async () => {
    const { guarded, settler } = operator();
    await present(guarded, 'R1');
    await Promise.all([settler.settle('R1', 'accepted'), settler.settle('R1', 'accepted')]);
    await settler.settle('R1', 'accepted');
    await settler.settle('R1', 'declined');
    expect(await spend()).toMatchObject({ committed: 17, reserved: 0 });
  });

  it('a restart between presentation and answer keeps the reservation, and the answer after it settles', async () => {
    await present(operator().guarded, 'R1');
    await present(operator().guarded, 'R2', 'mixed', 'C2');
    await close();
    await open();
    expect(await spend()).toMatchObject({ committed: 4, reserved: 30 });
    const after = operator();
    await after.settler.settle('R1', 'accepted');
    await after.settler.settle('R2', 'ignored');
    expect(await spend()).toMatchObject({ committed: 4 + 15, reserved: 0 });
  });

  it('the full cost is checked and held at presentation: no overspend if everyone accepts', async () => {
    const { guarded, settler } = operator({ limit: 40 });
    expect((await present(guarded, 'R1')).status).toBe('executed');
    expect((await present(guarded, 'R2', 'mixed', 'C2')).status).toBe('executed');
    // 34 of 40 held (4 paid, 30 reserved): a third offer of 17 would overspend if all three accepted.
    expect(await present(guarded, 'R3', 'mixed', 'C3')).toMatchObject({ status: 'refused', verdict: { guardrail: 'budget' } });
    await settler.settle('R1', 'declined');
    expect((await present(guarded, 'R3', 'mixed', 'C3')).status).toBe('executed');
  });

  it('a request repeated after its offer was answered (a crash before its answer was kept) reserves nothing again and keeps the settlement', async () => {
    const first = operator();
    await present(first.guarded, 'A');
    await present(first.guarded, 'D', 'mixed', 'C2');
    await first.settler.settle('A', 'accepted');
    await first.settler.settle('D', 'declined');
    // Another executor over the same stores, without the first one's kept answers: the repeats reach the back end's step again.
    const again = operator();
    expect((await present(again.guarded, 'A')).status).toBe('executed');
    expect((await present(again.guarded, 'D', 'mixed', 'C2')).status).toBe('executed');
    expect(await again.settlements.get('A')).toMatchObject({ state: 'committed', answer: 'accepted' });
    expect(await again.settlements.get('D')).toMatchObject({ state: 'released', answer: 'declined' });
    expect(await spend()).toMatchObject({ committed: 2 + 15 + 2, reserved: 0 });
  });

  it('a presentation reported failed after its answer settled it keeps the settlement', async () => {
    // The customer's answer arrives while the back end's answer is late, then the presentation is reported failed.
    const answered: { settle?: () => Promise<unknown> } = {};
    const op = operator({ executor: async () => (await answered.settle!(), { ok: false, error: 'timed out', detail: { retryable: false } }) });
    answered.settle = () => op.settler.settle('R1', 'accepted');
    expect((await present(op.guarded, 'R1')).status).toBe('failed');
    expect(await op.settlements.get('R1')).toMatchObject({ state: 'committed', answer: 'accepted' });
    expect(await spend()).toMatchObject({ committed: 15, reserved: 0 });
  });

  it('a presentation that fails books nothing and leaves nothing reserved', async () => {
    const { guarded, settlements } = operator({ executor: async () => ({ ok: false, error: 'down', detail: { retryable: false } }) });
    expect((await present(guarded, 'R1')).status).toBe('failed');
    expect(await spend()).toMatchObject({ committed: 0, reserved: 0 });
    expect(await settlements.get('R1')).toMatchObject({ state: 'released', answer: 'failed' });
  });

  it('an offer whose whole cost is paid on acceptance (a catalogue discount, a bonus) books nothing until accepted', async () => {
    const { guarded, settler } = operator();
    expect(await present(guarded, 'D1', 'retain-10')).toMatchObject({ status: 'executed', cost: 0, onAcceptance: 30 });
    expect(await present(guarded, 'B1', 'data-bonus', 'C2')).toMatchObject({ status: 'executed', cost: 0, onAcceptance: 3 });
    expect(await spend()).toMatchObject({ committed: 0, reserved: 33 });
    await settler.settle('D1', 'accepted');
    await settler.settle('B1', 'declined');
    expect(await spend()).toMatchObject({ committed: 30, reserved: 0 });
  });

  it('a discount applied rather than presented is paid at once, and its request id repeated is charged once', async () => {
    const { guarded } = operator();
    const applied = { id: 'X1', actionClass: 'discount', channel: 'app', customerId: 'C1', params: { offerId: 'retain-10' }, actor: { kind: 'agent', id: 'test' }, why: { summary: 'retention discount applied' } } as const;
    expect(await guarded.execute(applied)).toMatchObject({ status: 'executed', cost: 30 });
    expect((await guarded.execute(applied)).repeated).toBe(true);
    expect(await spend()).toMatchObject({ committed: 30, reserved: 0 });
  });

  it("the action event's amount is what was moved at presentation", () => {
    const request = { id: 'R1', actionClass: 'offer' as const, channel: 'app' as const, customerId: 'C1', cost: 17, costOnAcceptance: 15, params: { offerId: 'mixed' }, features: {}, actor: { kind: 'agent' as const, id: 't' }, why: {} };
    expect(actionEventOf(request, { cost: 17 }, { ok: true }, T0)?.data).toMatchObject({ status: 'presented', amount: 2 });
  });
});

describe('nothing stays reserved for ever: the sweep', () => {
  const openIds = async () => (await records.list(OPEN_OFFER_SETTLEMENTS)).map((r) => r.id);

  it('tries again an answer whose settlement failed, and settles it once', async () => {
    const real = createBudgetLedger(governance);
    let down = true;
    // The store fails the settlement's commit (the presentation's own commit goes through).
    const ledger: BudgetLedger = { ...real, commit: async (r, c) => (down && r.requestId?.endsWith('#on-acceptance') ? Promise.reject(new Error('store down')) : real.commit(r, c)) };
    const lines: string[] = [];
    const op = operator({ ledger, log: (line) => lines.push(line) });
    await present(op.guarded, 'R1');
    op.apply([answer('R1', 'accepted')]);
    await expect.poll(() => lines.join('\n')).toContain('R1: its accepted answer did not settle');
    expect(await op.settlement.sweep()).toMatchObject({ answered: 0 });
    expect(await spend()).toMatchObject({ committed: 2, reserved: 15 });
    down = false;
    expect(await op.settlement.sweep()).toMatchObject({ answered: 1 });
    expect(await op.settlement.sweep()).toMatchObject({ answered: 0, ignored: 0 });
    expect(await spend()).toMatchObject({ committed: 17, reserved: 0 });
    expect(await op.settlements.get('R1')).toMatchObject({ state: 'committed', answer: 'accepted' });
    expect(await openIds()).toEqual([]);
  });

  it('at start, settles the answers a crash came between (applied and logged, never settled)', async () => {
    const before = operator();
    await present(before.guarded, 'A');
    await present(before.guarded, 'D', 'mixed', 'C2');
    await present(before.guarded, 'W', 'mixed', 'C3');
    // The answers reach the log, and the process stops before anything settles them.
    logged.push(answer('A', 'accepted'), answer('D', 'declined', 'C2'));
    await close();
    await open();
    const after = operator();
    expect(await after.settlement.sweep({ full: true })).toEqual({ answered: 2, ignored: 0, forgotten: 0 });
    expect(await spend()).toMatchObject({ committed: 6 + 15, reserved: 15 });
    // The unanswered one waits for its answer within its window.
    expect(await openIds()).toEqual(['W']);
  });

  it('releases as ignored what is past the answer window with no answer, and settles on an answer found', async () => {
    const op = operator();
    await present(op.guarded, 'I');
    await present(op.guarded, 'A', 'mixed', 'C2');
    logged.push(answer('A', 'accepted', 'C2'));
    op.clock.advance(ANSWER_WINDOW_MS - 1);
    expect(await op.settlement.sweep()).toEqual({ answered: 0, ignored: 0, forgotten: 0 });
    op.clock.advance(1);
    expect(await op.settlement.sweep()).toEqual({ answered: 1, ignored: 1, forgotten: 0 });
    expect(await op.settlements.get('I')).toMatchObject({ state: 'released', answer: 'ignored' });
    expect(await spend()).toMatchObject({ committed: 4 + 15, reserved: 0 });
    const entries = (await op.audit.read({ afterSeq: 0 })).map((e) => e.entry as { type: string; requestId: string });
    expect(entries.filter((e) => e.type === 'action.settled').map((e) => e.requestId).sort()).toEqual(['A', 'I']);
  });

  it('a sweep repeated after a crash in its settlement moves no amount twice', async () => {
    const op = operator();
    await present(op.guarded, 'R1');
    await present(op.guarded, 'R2', 'mixed', 'C2');
    // A crash after the ledger committed R1's booking, before its record was written.
    await createBudgetLedger(governance).commit({ claims: (await op.settlements.get('R1'))!.claims, requestId: 'R1#on-acceptance' });
    // A crash after R2's record was settled, before it left the open list.
    await records.put('offer-settlements', 'R2', { ...(await op.settlements.get('R2'))!, state: 'released', answer: 'declined' });
    await createBudgetLedger(governance).release({ claims: (await op.settlements.get('R2'))!.claims, requestId: 'R2#on-acceptance' });
    logged.push(answer('R1', 'accepted'));
    expect(await op.settlement.sweep({ full: true })).toEqual({ answered: 1, ignored: 0, forgotten: 1 });
    expect(await op.settlement.sweep({ full: true })).toEqual({ answered: 0, ignored: 0, forgotten: 0 });
    expect(await spend()).toMatchObject({ committed: 4 + 15, reserved: 0 });
    expect(await op.settlements.get('R1')).toMatchObject({ state: 'committed' });
    expect(await openIds()).toEqual([]);
  });

  it('an open entry whose record was never written (a crash between the two writes) is released past its window', async () => {
    const op = operator();
    await present(op.guarded, 'R1');
    await records.delete('offer-settlements', 'R1');
    op.clock.advance(ANSWER_WINDOW_MS);
    expect(await op.settlement.sweep()).toMatchObject({ ignored: 1 });
    expect(await spend()).toMatchObject({ committed: 2, reserved: 0 });
    expect(await op.settlements.get('R1')).toMatchObject({ state: 'released', answer: 'ignored' });
  });
});

describe('reservations kept before the open list', () => {
  it('are listed open once, and then swept as the others', async () => {
    const op = operator();
    await present(op.guarded, 'R1');
    // As a server of before the open list kept it: the record alone.
    await records.delete(OPEN_OFFER_SETTLEMENTS, 'R1');
    expect(await op.settlements.listUnlisted()).toBe(1);
    expect(await op.settlements.listUnlisted()).toBe(0);
    op.clock.advance(ANSWER_WINDOW_MS);
    expect(await op.settlement.sweep()).toMatchObject({ ignored: 1 });
    expect(await spend()).toMatchObject({ committed: 2, reserved: 0 });
  });

  it('offers released as ignored before the watch are watched once, those still within it', async () => {
    const op = operator();
    await present(op.guarded, 'OLD');
    await op.settler.settle('OLD', 'ignored');
    op.clock.advance(LATE_ACCEPTANCE_WATCH_MS);
    await present(op.guarded, 'NEW', 'mixed', 'C2');
    await op.settler.settle('NEW', 'ignored');
    // As a server of before the watch kept them: the records alone.
    await records.delete(WATCHED_IGNORED_OFFERS, (await records.list(WATCHED_IGNORED_OFFERS))[0].id);
    await records.delete(WATCHED_IGNORED_OFFERS, (await records.list(WATCHED_IGNORED_OFFERS))[0].id);
    expect(await op.settlements.watchUnwatched(op.clock.now())).toBe(1);
    expect(await op.settlements.watchUnwatched(op.clock.now())).toBe(0);
    logged.push(answer('NEW', 'accepted', 'C2'));
    expect(await op.settlement.sweep({ full: true })).toMatchObject({ answered: 1 });
    expect(await op.settlements.get('NEW')).toMatchObject({ state: 'committed', late: { booked: true } });
  });
});

describe('an acceptance after the offer was written off as ignored', () => {
  it("is read by the next sweeps when the start's read could not be made (the history still being written), not at the next start", async () => {
    let readable = false;
    const lines: string[] = [];
    const op = operator({ readable: () => readable, log: (l) => lines.push(l) });
    await present(op.guarded, 'R1');
    await op.settler.settle('R1', 'ignored');
    logged.push(answer('R1', 'accepted'));
    expect(await op.settlement.sweep({ full: true })).toMatchObject({ answered: 0 });
    expect(lines.join('\n')).toContain('read at the next sweep');
    readable = true;
    expect(await op.settlement.sweep()).toMatchObject({ answered: 1 });
    expect(await op.settlements.get('R1')).toMatchObject({ state: 'committed', late: { booked: true } });
    // Read once it could be: the sweeps after are the usual ones.
    expect(await op.settlement.sweep()).toMatchObject({ answered: 0 });
  });

  it('is honoured: its amount is booked on the lines it was reserved on, once', async () => {
    const op = operator();
    await present(op.guarded, 'R1');
    await op.settler.settle('R1', 'ignored');
    expect(await spend()).toMatchObject({ committed: 2, reserved: 0 });
    op.apply([answer('R1', 'accepted')]);
    await expect.poll(async () => (await op.settlements.get('R1'))?.state).toBe('committed');
    op.apply([answer('R1', 'accepted')]);
    await op.settler.settle('R1', 'accepted');
    expect(await spend()).toMatchObject({ committed: 17, reserved: 0 });
    expect(await op.settlements.get('R1')).toMatchObject({ answer: 'accepted', late: { booked: true } });
    const settled = (await op.audit.read({ afterSeq: 0 })).map((e) => e.entry as { type: string; outcome?: Record<string, unknown> }).filter((e) => e.type === 'action.settled');
    expect(settled.map((e) => e.outcome)).toEqual([expect.objectContaining({ answer: 'ignored' }), expect.objectContaining({ answer: 'accepted', late: true, amount: 15 })]);
  });

  it('is refused visibly when its budget has no room: audited, and the record says why', async () => {
    const op = operator({ limit: 20 });
    await present(op.guarded, 'R1');
    await op.settler.settle('R1', 'ignored');
    // The room R1's release freed is taken by another offer meanwhile.
    await present(op.guarded, 'R2', 'mixed', 'C2');
    expect(await spend()).toMatchObject({ committed: 4, reserved: 15 });
    expect(await op.settler.settle('R1', 'accepted')).toMatchObject({ state: 'released', late: { booked: false } });
    expect(await op.settler.settle('R1', 'accepted')).toBeNull();
    expect(await spend()).toMatchObject({ committed: 4, reserved: 15 });
    const failed = (await op.audit.read({ afterSeq: 0 })).map((e) => e.entry as { type: string; requestId: string; outcome?: Record<string, unknown> }).filter((e) => e.type === 'action.failed');
    expect(failed).toEqual([expect.objectContaining({ requestId: 'R1', outcome: expect.objectContaining({ answer: 'accepted', late: true, guardrail: 'budget', status: 'refused' }) })]);
  });

  it('a decline after it was released changes nothing', async () => {
    const op = operator();
    await present(op.guarded, 'R1');
    await op.settler.settle('R1', 'ignored');
    expect(await op.settler.settle('R1', 'declined')).toBeNull();
    expect(await spend()).toMatchObject({ committed: 2, reserved: 0 });
  });
});

describe('a late acceptance is checked as at the acceptance, and booked once across crashes', () => {
  const late = async (op: ReturnType<typeof operator>, id = 'R1') => {
    await present(op.guarded, id);
    await op.settler.settle(id, 'ignored');
  };
  const entriesOf = async (id: string) => (await createAuditTrail(governance, new ManualClock(T0)).read({ afterSeq: 0 })).map((e) => e.entry as { type: string; requestId: string; outcome: Record<string, unknown> }).filter((e) => e.requestId === id);

  it('against the budget limit of the policy in force at the acceptance, not the one at the presentation', async () => {
    const op = operator({ limit: 1000 });
    await late(op);
    // The budget was cut to 10 since (PUT /policy): 2 is spent, the 15 accepted would take it to 17.
    op.inForce.policy = policy(10);
    expect(await op.settler.settle('R1', 'accepted')).toMatchObject({ state: 'released', late: { booked: false, reason: expect.stringContaining('has 8 of 10 left; this costs 15') } });
    expect(await spend()).toMatchObject({ committed: 2, reserved: 0 });
    expect((await entriesOf('R1')).filter((e) => e.type === 'action.failed')).toHaveLength(1);
  });

  it('in the budget period the acceptance falls in, the amount committed being the amount checked', async () => {
    const op = operator();
    await late(op);
    op.clock.set(Date.UTC(2026, 5, 2, 9));
    const booked = await op.settler.settle('R1', 'accepted');
    expect(booked).toMatchObject({ state: 'committed', amount: 15, late: { booked: true, claims: [{ scope: SCOPE, periodKey: '2026-06', limit: 1000, amount: 15 }] } });
    expect(await spend()).toMatchObject({ committed: 2, reserved: 0 });
    expect(await governance.budgetSpend('2026-06', SCOPE)).toMatchObject({ committed: 15, reserved: 0 });
    expect((await entriesOf('R1')).find((e) => e.outcome.late)?.outcome).toMatchObject({ amount: 15, budgets: [`${SCOPE} 2026-06`] });
  });

  /** Fails once at the step named, as a crash there would stop the process. */
  const crashAt = (step: 'listed' | 'reserved' | 'committed' | 'audited') => {
    let armed = true;
    const once = (when: boolean) => (when && armed ? ((armed = false), true) : false);
    const real = createBudgetLedger(governance);
    const ledger: BudgetLedger = {
      ...real,
      reserve: (claims, id) => (once(step === 'listed' && id === 'R1#late-acceptance') ? Promise.reject(new Error('crash')) : real.reserve(claims, id)),
      commit: (r, c) => (once(step === 'reserved' && r.requestId === 'R1#late-acceptance') ? Promise.reject(new Error('crash')) : real.commit(r, c)),
    };
    const audit = (a: AuditTrail): AuditTrail => ({ ...a, record: (e, fact) => (once(step === 'committed' && (e as { outcome: { late?: boolean } }).outcome.late === true) ? Promise.reject(new Error('crash')) : a.record(e, fact)) });
    const book = (b: OfferSettlementBook): OfferSettlementBook => ({ ...b, put: (id, s) => (once(step === 'audited' && s.late?.booked === true) ? Promise.reject(new Error('crash')) : b.put(id, s)) });
    return { ledger, audit, book };
  };

  for (const step of ['listed', 'reserved', 'committed', 'audited'] as const) {
    it(`a crash once it is ${step} is finished by the sweep at the next start: booked once, told once`, async () => {
      const op = operator(crashAt(step));
      await late(op);
      await expect(op.settler.settle('R1', 'accepted')).rejects.toThrow('crash');
      await close();
      await open();
      const after = operator();
      expect(await after.settlement.sweep({ full: true })).toMatchObject({ answered: 1 });
      expect(await after.settlement.sweep({ full: true })).toEqual({ answered: 0, ignored: 0, forgotten: 0 });
      expect(await spend()).toMatchObject({ committed: 17, reserved: 0 });
      expect(await after.settlements.get('R1')).toMatchObject({ state: 'committed', late: { booked: true } });
      expect((await entriesOf('R1')).filter((e) => e.outcome.late)).toHaveLength(1);
      expect(await records.list(OPEN_OFFER_SETTLEMENTS)).toEqual([]);
    });
  }

  for (const when of ['applied', 'listing'] as const) {
    it(`a crash after the acceptance was ${when === 'applied' ? 'applied, before its settlement began' : 'applied, as its booking was being listed'} is booked by the sweep at the next start: once, told once`, async () => {
      // Listing the booking fails as a crash there would stop the process.
      const book = (b: OfferSettlementBook): OfferSettlementBook => ({ ...b, fixLateBooking: (entry) => (when === 'listing' ? Promise.reject(new Error('crash')) : b.fixLateBooking(entry)) });
      const op = operator({ book });
      await late(op);
      // Accepted on 2 June, after the window; the process stops before (or while) its booking is listed.
      const acceptedAt = Date.UTC(2026, 5, 2, 9);
      op.clock.set(acceptedAt);
      if (when === 'listing') await expect(op.settler.settle('R1', 'accepted')).rejects.toThrow('crash');
      logged.push({ ...answer('R1', 'accepted'), time: new Date(acceptedAt).toISOString() });
      await close();
      await open();
      // The next start's clock has not caught up with the world's yet (the sandbox resumes after the sweep at start).
      const after = operator();
      // Another offer released as ignored and never accepted stays as it was.
      await late(after, 'R2');
      expect(await after.settlement.sweep({ full: true })).toMatchObject({ answered: 1 });
      expect(await after.settlement.sweep({ full: true })).toEqual({ answered: 0, ignored: 0, forgotten: 0 });
      // Booked as at the acceptance, in June; May holds the two presentations.
      expect(await spend()).toMatchObject({ committed: 2 + 2, reserved: 0 });
      expect(await governance.budgetSpend('2026-06', SCOPE)).toMatchObject({ committed: 15, reserved: 0 });
      expect(await after.settlements.get('R1')).toMatchObject({ state: 'committed', answer: 'accepted', late: { booked: true, at: acceptedAt } });
      expect(await after.settlements.get('R2')).toMatchObject({ state: 'released', answer: 'ignored' });
      expect((await entriesOf('R1')).filter((e) => e.outcome.late)).toHaveLength(1);
      // R1 is booked: no longer watched; R2 is, until its watch is over, and then let go by any sweep.
      expect((await records.list(WATCHED_IGNORED_OFFERS)).map((r) => (r.body as { requestId: string }).requestId)).toEqual(['R2']);
      after.clock.advance(LATE_ACCEPTANCE_WATCH_MS);
      await after.settlement.sweep();
      expect(await records.list(WATCHED_IGNORED_OFFERS)).toEqual([]);
    });
  }

  it('two processes booking it at once on either side of a month end book it, record it and audit it in the same month', async () => {
    const one = operator();
    await late(one);
    // One judges it at May's last second, the other at June's first: the first to list it fixes the month for both.
    one.clock.set(Date.UTC(2026, 4, 31, 23, 59, 59));
    const two = operator({ at: Date.UTC(2026, 5, 1, 0, 0, 1) });
    await Promise.all([one.settler.settle('R1', 'accepted'), two.settler.settle('R1', 'accepted')]);
    const record = await one.settlements.get('R1');
    expect(record).toMatchObject({ state: 'committed', late: { booked: true } });
    const month = record!.late!.claims![0].periodKey;
    const other = month === '2026-05' ? '2026-06' : '2026-05';
    // The month the record names holds the 15 committed (May also the 2 paid at presentation); the other holds nothing.
    expect(await governance.budgetSpend(month, SCOPE)).toMatchObject({ committed: month === PERIOD ? 17 : 15, reserved: 0 });
    expect(await governance.budgetSpend(other, SCOPE)).toMatchObject({ committed: other === PERIOD ? 2 : 0, reserved: 0 });
    const told = (await entriesOf('R1')).filter((e) => e.outcome.late);
    expect(told.map((e) => e.outcome.budgets)).toEqual([[`${SCOPE} ${month}`]]);
    expect(await records.list(OPEN_OFFER_SETTLEMENTS)).toEqual([]);
  });

  it('a refusal cut short by a crash is told once, as refused, even if the budget has room by the next start', async () => {
    const op = operator({ limit: 20, audit: (a) => ({ ...a, record: (e, fact) => ((e as { type: string }).type === 'action.failed' ? Promise.reject(new Error('crash')) : a.record(e, fact)) }) });
    await late(op);
    await present(op.guarded, 'R2', 'mixed', 'C2');
    await expect(op.settler.settle('R1', 'accepted')).rejects.toThrow('crash');
    // R2 is declined meanwhile: room again, but the refusal stands as it was judged.
    await op.settler.settle('R2', 'declined');
    await close();
    await open();
    const after = operator({ limit: 20 });
    await after.settlement.sweep({ full: true });
    expect(await after.settlements.get('R1')).toMatchObject({ state: 'released', late: { booked: false } });
    expect(await spend()).toMatchObject({ committed: 4, reserved: 0 });
    expect((await entriesOf('R1')).filter((e) => e.type === 'action.failed')).toHaveLength(1);
  });
});

describe('one audit entry per settlement', () => {
  it('a crash between the entry and the record: the sweep at the next start writes the record, not the entry again', async () => {
    let armed = true;
    const op = operator({ book: (b) => ({ ...b, put: (id, s) => (s.state === 'committed' && armed ? ((armed = false), Promise.reject(new Error('crash'))) : b.put(id, s)) }) });
    await present(op.guarded, 'R1');
    logged.push(answer('R1', 'accepted'));
    await expect(op.settler.settle('R1', 'accepted')).rejects.toThrow('crash');
    await close();
    await open();
    const after = operator();
    expect(await after.settlement.sweep({ full: true })).toMatchObject({ answered: 1 });
    expect(await after.settlements.get('R1')).toMatchObject({ state: 'committed' });
    const settled = (await after.audit.read({ afterSeq: 0 })).filter((e) => e.entry.type === 'action.settled' && e.entry.requestId === 'R1');
    expect(settled).toHaveLength(1);
    expect(await spend()).toMatchObject({ committed: 17, reserved: 0 });
  });

  it('two processes settling the same answer at once (a sweep and the live path of another) write one entry and book once', async () => {
    const one = operator();
    const two = operator();
    await present(one.guarded, 'R1');
    await Promise.all([one.settler.settle('R1', 'accepted'), two.settler.settle('R1', 'accepted')]);
    const settled = (await one.audit.read({ afterSeq: 0 })).filter((e) => e.entry.type === 'action.settled' && e.entry.requestId === 'R1');
    expect(settled).toHaveLength(1);
    expect(await spend()).toMatchObject({ committed: 17, reserved: 0 });
  });
});
