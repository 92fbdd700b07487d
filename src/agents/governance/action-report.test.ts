import { describe, expect, it } from 'vitest';
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
});
