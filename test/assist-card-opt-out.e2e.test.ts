import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmallOperator, type RunningOperator } from './support/small-operator.js';

type Json = Record<string, unknown>;
interface Card {
  actions: { actionId: string; decisionId?: string }[];
}

/**
 * An assist card built again on the same call leaves out the kept actions the guarded executor
 * would refuse to carry out now, judged by the executor's own contact rules on the request Accept
 * sends: a check-in by SMS stayed on the card after the customer opted out of SMS on the call (the
 * funnel's what-if the card re-read judges no channel opt-out), and its Accept was refused.
 */
describe('assist card built again after an SMS opt-out on the call', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-card-opt-out-'));
  let running: RunningOperator;
  let admin: { authorization: string };

  async function call(method: 'GET' | 'POST', url: string, payload?: unknown): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${running.base}${url}`, { method, headers: { ...admin, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, body: payload === undefined ? undefined : JSON.stringify(payload) });
    return { status: res.status, body: (await res.json()) as Json };
  }

  beforeAll(async () => {
    running = await startSmallOperator(dir);
    const key = await running.operator.auth.keys.create({ subject: 'card-opt-out', role: 'admin' }, 'test');
    admin = { authorization: `Bearer ${key.key}` };
  }, 300_000);
  afterAll(async () => {
    await running?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('drops the check-in from the card built again once the customer opts out of SMS, as Accept would be refused', async () => {
    const engine = running.operator.twins.engine;
    const worldNow = Date.parse(((await call('GET', '/health')).body as { worldClock: string }).worldClock);
    // Customers who may still be sent an SMS, each on a call held a week of the world's time (no quiet hours reach it).
    const candidates = Array.from({ length: 120 }, (_, i) => `C${String(i + 1).padStart(6, '0')}`).filter((id) => engine.view(id)?.profile?.channelConsent.sms !== false);
    const onCall = candidates.map((id, i) => ({ id: `opt-out-call-${i}`, kind: 'interaction', customerId: id, time: new Date(worldNow).toISOString(), source: 'contact-centre', v: 1, data: { channel: 'call', intent: 'billing_question', phase: 'start', endsBy: new Date(worldNow + 7 * 86_400_000).toISOString() } }));
    expect((await call('POST', '/events', onCall)).status).toBe(200);
    let found: { customerId: string; decisionId: string } | undefined;
    for (const id of candidates) {
      const card = (await call('GET', `/assist/cards/${id}?channel=call`)).body as unknown as Card;
      const checkIn = card.actions.find((a) => a.actionId === 'service-check-in' && a.decisionId);
      if (checkIn) {
        found = { customerId: id, decisionId: checkIn.decisionId! };
        break;
      }
    }
    expect(found, 'some customer on a call is proposed a check-in').toBeDefined();
    const { customerId, decisionId } = found!;
    // On the call the customer opts out of SMS: their profile again, with the SMS consent withdrawn.
    const p = engine.view(customerId)!.profile!;
    const consent = { marketing: p.marketingConsent ?? false, sms: false, ...(p.channelConsent.email === null ? {} : { email: p.channelConsent.email }) };
    const profile = { segment: p.segment, billing: p.billing, contractMonths: p.contractMonths, ...(p.contractEnd ? { contractEnd: p.contractEnd } : {}), paymentMethod: p.paymentMethod, since: p.since, consent };
    const optOut = { id: `opt-out-${customerId}`, kind: 'customer', customerId, time: new Date(worldNow + 60_000).toISOString(), source: 'crm', v: 1, data: profile };
    expect((await call('POST', '/events', [optOut])).status).toBe(200);
    expect(engine.view(customerId)!.profile!.channelConsent.sms).toBe(false);
    // The card built again keeps its decision, without the check-in: its Accept is refused by the opt-out.
    const again = (await call('GET', `/assist/cards/${customerId}?channel=call`)).body as unknown as Card;
    expect(again.actions.map((a) => a.actionId)).not.toContain('service-check-in');
    expect(again.actions.every((a) => a.decisionId === undefined || a.decisionId === decisionId)).toBe(true);
    const accepted = await call('POST', `/decisions/${decisionId}/accept`, { actionId: 'service-check-in' });
    expect(accepted.body, JSON.stringify(accepted.body)).toMatchObject({ status: 'refused', verdict: { guardrail: 'channel-opt-out' } });
  }, 300_000);
});
