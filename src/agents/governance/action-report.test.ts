import { describe, expect, it } from 'vitest';
import { TwinloopError } from '../../domain/errors.js';
import { KEEP_REFUSED_MS, type RecordOutcome } from '../../domain/event-sink.js';
import type { TwinEvent } from '../../domain/events.js';
import { twinEventSchema } from '../../domain/events.js';
import type { ActionRequest } from '../../decisioning/policy/index.js';
import { actionEventOf, eventIdOf, reportingExecutor } from './action-report.js';

const AT = Date.UTC(2026, 2, 2, 14, 12);
const request = (over: Partial<ActionRequest> = {}): ActionRequest => ({
  id: 'dec-42:retain-10',
  actionClass: 'discount',
  channel: 'app',
  customerId: 'C-1001',
  cost: 36,
  discountPct: 10,
  params: { offerId: 'retain-10', present: true, decisionId: 'dec-42', campaignId: 'nba-app' },
  features: {},
  actor: { kind: 'system', id: 'next-best-action' },
  why: {},
  ...over,
});

describe('action events', () => {
  it('reports a presented offer against its request and decision, valid for the intake', () => {
    const e = actionEventOf(request(), { cost: 36 }, { ok: true, detail: { deliveryId: 'DLV-77', response: 'declined' } }, AT)!;
    expect(e).toEqual({
      id: 'action:dec-42:retain-10:presented',
      kind: 'action',
      customerId: 'C-1001',
      time: '2026-03-02T14:12:00.000Z',
      source: 'twinloop',
      v: 1,
      data: { requestId: 'dec-42:retain-10', decisionId: 'dec-42', actionClass: 'discount', channel: 'app', status: 'presented', offerId: 'retain-10', amount: 36, discountPct: 10, campaignId: 'nba-app', ref: 'DLV-77' },
    });
    expect(twinEventSchema.safeParse(e).success).toBe(true);
  });

  it("reports what an offer paid on acceptance costs if accepted, beside the nothing its presentation paid (a discount's whole price)", () => {
    const e = actionEventOf(request({ costOnAcceptance: 36 }), { cost: 36 }, { ok: true, detail: { deliveryId: 'DLV-78' } }, AT)!;
    expect(e.data).toMatchObject({ status: 'presented', amount: 0, onAcceptance: 36, discountPct: 10 });
    expect(twinEventSchema.safeParse(e).success).toBe(true);
    // Carried out at once (no answer to wait for), nothing is left for an acceptance.
    expect(actionEventOf(request({ costOnAcceptance: 36, params: { offerId: 'retain-10' } }), { cost: 36 }, { ok: true, detail: { adjustmentId: 'ADJ-9' } }, AT)!.data).not.toHaveProperty('onAcceptance');
  });

  it('reports a plan change with the plans and prices the policy checked, valid for the intake', () => {
    const terms = { fromPlanId: 'fibre-m', fromMonthlyPrice: 80, toPlanId: 'dsl-l', toMonthlyPrice: 75, monthlyDifference: -5 };
    const change = request({ id: 'ord-1', actionClass: 'plan_change', discountPct: undefined, cost: 5, params: { planId: 'dsl-l', previousPlanId: 'fibre-m', planChange: terms } });
    const e = actionEventOf(change, { cost: 5 }, { ok: true, detail: { orderId: 'ORD-9' } }, AT)!;
    expect(e.data).toEqual({ requestId: 'ord-1', actionClass: 'plan_change', channel: 'app', status: 'delivered', amount: 5, planChange: terms, ref: 'ORD-9' });
    expect(twinEventSchema.safeParse(e).success).toBe(true);
    // Params that only look like terms (a caller's own) are not copied.
    expect(actionEventOf(request({ ...change, params: { planChange: { toPlanId: 'x' } } }), { cost: 5 }, { ok: true }, AT)!.data).not.toHaveProperty('planChange');
  });

  it('reports credits and messages as delivered, final refusals as failed, and retried failures not at all', () => {
    const credit = request({ id: 'INC-88:compensation:C-1001', actionClass: 'compensation', discountPct: undefined, cost: 5, params: { reason: 'network incident INC-88' } });
    expect(actionEventOf(credit, { cost: 5 }, { ok: true, detail: { adjustmentId: 'ADJ-311', amount: 5 } }, AT)?.data).toEqual({
      requestId: 'INC-88:compensation:C-1001', actionClass: 'compensation', channel: 'app', status: 'delivered', amount: 5, ref: 'ADJ-311',
    });
    const sms = request({ id: 'care-1', actionClass: 'communication', discountPct: undefined, cost: 0, params: { purpose: 'care' } });
    expect(actionEventOf(sms, { cost: 0 }, { ok: true, detail: { notificationId: 'NTF-3', channel: 'sms' } }, AT)?.data).toMatchObject({ status: 'delivered', notificationChannel: 'sms', purpose: 'care', ref: 'NTF-3' });
    const refused = actionEventOf(credit, { cost: 5 }, { ok: false, error: 'customer_not_active', detail: { retryable: false } }, AT)!;
    expect(refused.id).toBe('action:INC-88:compensation:C-1001:failed');
    expect(refused.data).toMatchObject({ status: 'failed', reason: 'customer_not_active' });
    expect(actionEventOf(credit, { cost: 5 }, { ok: false, error: 'transient: timeout', detail: { retryable: true } }, AT)).toBeUndefined();
    expect(actionEventOf(request({ customerId: undefined, actionClass: 'trouble_ticket' }), { cost: 0 }, { ok: true }, AT)).toBeUndefined();
  });

  it('keeps event ids within the envelope and distinct for long request ids', () => {
    const a = eventIdOf('action', `cmp:${'x'.repeat(190)}a`, 'presented');
    const b = eventIdOf('action', `cmp:${'x'.repeat(190)}b`, 'presented');
    expect(a.length).toBeLessThanOrEqual(128);
    expect(a).not.toBe(b);
    expect(a.endsWith(':presented')).toBe(true);
    expect(eventIdOf('outcome', 'short')).toBe('outcome:short');
  });

  it('writes the event to the intake after the back end answered, and the action stands when the intake refuses', async () => {
    const submitted: TwinEvent[][] = [];
    const lines: string[] = [];
    const wrapped = reportingExecutor(async () => ({ ok: true, detail: { deliveryId: 'DLV-1' } }), {
      sink: { submit: async (events) => (submitted.push([...events]), [{ status: 'rejected', reason: 'time is in the future' }]) },
      clock: { now: () => AT },
      log: (l) => lines.push(l),
    });
    const outcome = await wrapped(request(), { cost: 36 } as never);
    expect(outcome).toEqual({ ok: true, detail: { deliveryId: 'DLV-1' } });
    expect(submitted.map((b) => b.map((e) => e.id))).toEqual([['action:dec-42:retain-10:presented']]);
    expect(lines).toEqual(['actions: the report of dec-42:retain-10 was refused: time is in the future']);
  });

  it('keeps a report the intake refuses as dated ahead of its clock as pending, and sends it again until taken: the action reaches the timeline, not dropped', async () => {
    const submitted: string[] = [];
    const lines: string[] = [];
    // The intake's clock is behind the world's: it refuses the report as in the future until it catches up.
    let intakeBehind = true;
    const wrapped = reportingExecutor(async () => ({ ok: true, detail: { deliveryId: 'DLV-1' } }), {
      sink: {
        submit: async (events) => {
          submitted.push(...events.map((e) => e.id));
          return events.map((e) => (intakeBehind && e.id.startsWith('action:dec-42') ? { status: 'rejected' as const, id: e.id, reason: `time: ${e.time} is in the future`, retryable: true as const } : { status: 'accepted' as const, id: e.id }));
        },
      },
      clock: { now: () => AT },
      log: (l) => lines.push(l),
      pendingEveryMs: 0,
    });
    expect(await wrapped(request(), { cost: 36 } as never)).toEqual({ ok: true, detail: { deliveryId: 'DLV-1' } });
    expect(wrapped.pendingReports()).toBe(1);
    expect(lines).toEqual(['actions: the report of dec-42:retain-10 was refused: time: 2026-03-02T14:12:00.000Z is in the future; kept as pending, sent again until the intake takes it']);
    // Still behind: kept, said once.
    expect(await wrapped.sendPending()).toBe(1);
    expect(lines).toHaveLength(1);
    // The next action carried out sends it again with its own; the intake has caught up.
    intakeBehind = false;
    await wrapped(request({ id: 'credit-9', actionClass: 'credit', params: {} }), { cost: 5 } as never);
    expect(wrapped.pendingReports()).toBe(0);
    expect(submitted).toEqual(['action:dec-42:retain-10:presented', 'action:dec-42:retain-10:presented', 'action:credit-9:delivered', 'action:dec-42:retain-10:presented']);
    // Taken, it is remembered: the same request carried out again is not reported twice.
    await wrapped(request(), { cost: 36 } as never);
    expect(submitted).toHaveLength(4);
  });

  it('writes off a report still refused as ahead of the clock after a quarter of an hour, saying so (a world reset behind would keep it for ever)', async () => {
    const lines: string[] = [];
    let wall = Date.parse('2026-12-07T22:00:00Z');
    const wrapped = reportingExecutor(async () => ({ ok: true }), {
      sink: { submit: async (events) => events.map((e) => ({ status: 'rejected' as const, id: e.id, reason: 'time: in the future', retryable: true as const })) },
      clock: { now: () => AT },
      // Real time, driven here: the world's clock (AT) stands still while the quarter of an hour passes.
      wallClock: { now: () => wall, realMsUntil: () => 0 },
      log: (l) => lines.push(l),
      pendingEveryMs: 0,
    });
    await wrapped(request({ id: 'credit-1', actionClass: 'credit', params: {} }), { cost: 5 } as never);
    wall += KEEP_REFUSED_MS - 1;
    expect(await wrapped.sendPending()).toBe(1);
    wall += 1;
    expect(await wrapped.sendPending()).toBe(0);
    expect(lines.at(-1)).toBe('actions: the report of credit-1 was refused: time: in the future; refused for 15 min, written off');
  });

  it('sends the report again while the intake answers "try again later": the action is on the timeline once the intake takes it', async () => {
    const submitted: string[] = [];
    const lines: string[] = [];
    const waits: number[] = [];
    // Refused at submission (the intake still taking the first start's history), then a locked store, then taken.
    const answers: (() => Promise<RecordOutcome[]>)[] = [
      () => {
        throw new TwinloopError('UNAVAILABLE', "the first start's history is going through the intake from its seed; send this again in a few seconds");
      },
      () => Promise.reject(new TwinloopError('UNAVAILABLE', 'Event store: append failed (database is locked); retry')),
      async () => [{ status: 'accepted', id: 'action:dec-42:retain-10:presented' }],
    ];
    const wrapped = reportingExecutor(async () => ({ ok: true, detail: { deliveryId: 'DLV-1' } }), {
      sink: { submit: (events) => (submitted.push(events[0].id), answers.shift()!()) },
      clock: { now: () => AT },
      log: (l) => lines.push(l),
      sleep: async (ms) => void waits.push(ms),
    });
    expect(await wrapped(request(), { cost: 36 } as never)).toEqual({ ok: true, detail: { deliveryId: 'DLV-1' } });
    expect(submitted).toEqual(['action:dec-42:retain-10:presented', 'action:dec-42:retain-10:presented', 'action:dec-42:retain-10:presented']);
    expect(waits).toEqual([20, 40]);
    expect(lines).toEqual([expect.stringMatching(/^actions: the report of dec-42:retain-10 waits for the intake \(the first start's history is going through/)]);
    // Taken, it is remembered: the same request carried out again is not reported twice.
    await wrapped(request(), { cost: 36 } as never);
    expect(submitted).toHaveLength(3);
  });

  it('a report still not written after its patience is said, and not remembered: the same request carried out again reports it', async () => {
    const submitted: string[] = [];
    const lines: string[] = [];
    let down = true;
    const wrapped = reportingExecutor(async () => ({ ok: true }), {
      sink: {
        submit: async (events) => {
          submitted.push(events[0].id);
          if (down) throw new TwinloopError('OVERLOADED', 'intake queue is full (100000 records waiting); retry shortly');
          return [{ status: 'accepted', id: events[0].id }];
        },
      },
      clock: { now: () => AT },
      log: (l) => lines.push(l),
      patienceMs: 100,
      sleep: async () => {},
    });
    await wrapped(request({ id: 'credit-1', actionClass: 'credit', params: {} }), { cost: 5 } as never);
    // Waits of 20, 40 and 80 ms reach the patience: four tries, then given up.
    expect(submitted).toEqual(['action:credit-1:delivered', 'action:credit-1:delivered', 'action:credit-1:delivered', 'action:credit-1:delivered']);
    expect(lines.at(-1)).toBe('actions: the report of credit-1 was not written: intake queue is full (100000 records waiting); retry shortly');
    down = false;
    await wrapped(request({ id: 'credit-1', actionClass: 'credit', params: {} }), { cost: 5 } as never);
    expect(submitted).toHaveLength(5);
    // A permanent failure is not retried.
    const once: string[] = [];
    const closed = reportingExecutor(async () => ({ ok: true }), {
      sink: { submit: async (events) => (once.push(events[0].id), Promise.reject(new TwinloopError('UNAVAILABLE', 'the event store is closed', { context: { retryable: false } }))) },
      clock: { now: () => AT },
      sleep: async () => {},
    });
    await closed(request({ id: 'credit-2', actionClass: 'credit', params: {} }), { cost: 5 } as never);
    expect(once).toEqual(['action:credit-2:delivered']);
  });
});
