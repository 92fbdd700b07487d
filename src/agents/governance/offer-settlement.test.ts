import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CATALOGUE_DOCUMENT } from '../../decisioning/default-catalogue.js';
import { loadCatalogue } from '../../decisioning/offer-catalogue.js';
import { createBudgetLedger, parseActionPolicy } from '../../decisioning/policy/index.js';
import { ManualClock } from '../../domain/clock.js';
import type { TwinEvent } from '../../domain/events.js';
import { recordDocuments } from '../../store/document-store.js';
import type { GovernanceStore } from '../../store/governance-store.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import { openRecordStore } from '../../store/open-record-store.js';
import type { RecordStore } from '../../store/record-store.js';
import type { AppliedListener } from '../../twin/intake.js';
import { actionEventOf } from './action-report.js';
import { createApprovalQueue } from './approval-queue.js';
import { createAuditTrail } from './audit-trail.js';
import { createGuardedExecutor, type ActionExecutor } from './guarded-executor.js';
import { createOfferSettler, OFFER_SETTLEMENTS, settleOnAnswers, type OfferSettlement } from './offer-settlement.js';

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
function operator(o: { limit?: number; executor?: ActionExecutor } = {}) {
  const clock = new ManualClock(T0);
  const ledger = createBudgetLedger(governance);
  const settlements = recordDocuments<OfferSettlement>(records, OFFER_SETTLEMENTS);
  const audit = createAuditTrail(governance, clock);
  const guarded = createGuardedExecutor({
    policy: policy(o.limit ?? 1000),
    pricing: { offering: (id) => catalogue.byId.get(id), monthlyPrice: () => 50 },
    ledger,
    settlements,
    queue: createApprovalQueue(governance, clock),
    audit,
    executor: o.executor ?? (async () => ({ ok: true })),
    clock,
  });
  const settler = createOfferSettler({ ledger, settlements, audit, clock });
  const listeners: AppliedListener[] = [];
  const detach = settleOnAnswers({ onApplied: (l) => (listeners.push(l), () => undefined) }, settler);
  const apply = (events: TwinEvent[]) => listeners.forEach((l) => l(events.map((event, i) => ({ event, time: T0, seq: i + 1 }))));
  return { guarded, settler, settlements, apply, detach, audit };
}

const present = (g: ReturnType<typeof operator>['guarded'], id: string, offerId = 'mixed', customerId = 'C1') =>
  g.execute({ id, actionClass: offerId === 'mixed' || offerId === 'data-bonus' ? 'offer' : 'discount', channel: 'app', customerId, params: { offerId, present: true }, actor: { kind: 'agent', id: 'test' } });
const answer = (requestId: string, action: 'accepted' | 'declined' | 'ignored'): TwinEvent => ({
  id: `${action}:${requestId}`,
  kind: 'offer',
  customerId: 'C1',
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
    const { guarded, apply, settlements } = operator();
    await present(guarded, 'A', 'mixed', 'C1');
    await present(guarded, 'D', 'mixed', 'C2');
    await present(guarded, 'I', 'mixed', 'C3');
    expect(await spend()).toMatchObject({ committed: 6, reserved: 45 });
    apply([answer('A', 'accepted'), answer('D', 'declined'), answer('I', 'ignored')]);
    await expect.poll(async () => (await settlements.list()).filter((s) => s.state !== 'reserved').length).toBe(3);
    expect(await spend()).toMatchObject({ committed: 6 + 15, reserved: 0 });
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
    const applied = { id: 'X1', actionClass: 'discount', channel: 'app', customerId: 'C1', params: { offerId: 'retain-10' }, actor: { kind: 'agent', id: 'test' } } as const;
    expect(await guarded.execute(applied)).toMatchObject({ status: 'executed', cost: 30 });
    expect((await guarded.execute(applied)).repeated).toBe(true);
    expect(await spend()).toMatchObject({ committed: 30, reserved: 0 });
  });

  it("the action event's amount is what was moved at presentation", () => {
    const request = { id: 'R1', actionClass: 'offer', channel: 'app' as const, customerId: 'C1', cost: 17, costOnAcceptance: 15, params: { offerId: 'mixed' }, features: {}, actor: { kind: 'agent' as const, id: 't' }, why: {} };
    expect(actionEventOf(request, { cost: 17 }, { ok: true }, T0)?.data).toMatchObject({ status: 'presented', amount: 2 });
  });
});
