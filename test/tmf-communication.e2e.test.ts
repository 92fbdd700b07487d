import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmallOperator, type RunningOperator } from './support/small-operator.js';
import { officialContract } from './support/tmf-contract.js';
import { until } from './support/until.js';

const BASE = '/tmf-api/communicationManagement/v4';
type Json = Record<string, unknown>;

/**
 * TMF681 Communication on the operator as `npm start` runs it: a message sent through the API is
 * an action under the policy (consent included), and the messages a customer was sent are read
 * back from the timeline; every answer checked against the official specification with ajv.
 */
describe('TMF681 Communication', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-tmf681-'));
  const contract = officialContract();
  const problems: string[] = [];
  let running: RunningOperator;
  let admin: { authorization: string };

  async function call(method: 'GET' | 'POST', url: string, payload?: unknown) {
    const res = await fetch(`${running.base}${BASE}${url}`, { method, headers: { ...admin, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, body: payload === undefined ? undefined : JSON.stringify(payload) });
    const body = (await res.json()) as Json & Json[];
    const what = `${method} ${url} → ${res.status}`;
    if (res.status >= 400) problems.push(...contract.check('TMF681', 'Error', body, what));
    else if (Array.isArray(body)) problems.push(...contract.checkList('TMF681', 'CommunicationMessage', { headers: res.headers, body }, what));
    else problems.push(...contract.check('TMF681', 'CommunicationMessage', body, what));
    return { status: res.status, body, headers: res.headers };
  }
  const message = (customerId: string, purpose: string, messageType = 'SMS') => ({
    content: 'Your line is back to full speed.',
    messageType,
    receiver: [{ id: customerId }],
    sender: { id: 'care-team' },
    characteristic: [{ name: 'purpose', value: purpose }],
  });

  beforeAll(async () => {
    running = await startSmallOperator(dir);
    const key = await running.operator.auth.keys.create({ subject: 'tmf681-admin', role: 'admin' }, 'test');
    admin = { authorization: `Bearer ${key.key}` };
  }, 180_000);
  afterAll(async () => {
    await running?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends a message through the policy and reads it back from the timeline', async () => {
    const sent = await call('POST', '/communicationMessage', message('C000001', 'service'));
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ state: 'completed', messageType: 'sms', receiver: [{ id: 'C000001' }], '@type': 'CommunicationMessage' });
    expect(sent.headers.get('location')).toBe(sent.body.href);
    const id = sent.body.id as string;
    // The back end's answer lands on the customer's timeline as an action event: the message is read from there.
    const listed = await until(async () => {
      const r = await call('GET', '/communicationMessage?receiver.id=C000001');
      return (r.body as Json[]).some((m) => m.id === id) ? r : undefined;
    }, 30_000);
    expect(Number(listed.headers.get('x-total-count'))).toBeGreaterThan(0);
    const one = await call('GET', `/communicationMessage/${encodeURIComponent(id)}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id, state: 'completed', messageType: 'sms', characteristic: expect.arrayContaining([{ name: 'purpose', value: 'service' }]) });
    expect(problems).toEqual([]);
  });

  it('refuses with 403 what the policy refuses: a care SMS to a customer who opted out of SMS (a service notice still goes)', async () => {
    const engine = running.operator.twins.engine;
    let optedOut: string | undefined;
    for (let n = 1; n <= 800 && !optedOut; n++) {
      const id = `C${String(n).padStart(6, '0')}`;
      if (engine.view(id)?.profile?.channelConsent?.sms === false) optedOut = id;
    }
    expect(optedOut).toBeDefined();
    const refused = await call('POST', '/communicationMessage', message(optedOut!, 'care'));
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'POLICY_DENIED', message: expect.stringContaining('opted out of SMS') });
    const notice = await call('POST', '/communicationMessage', message(optedOut!, 'service'));
    expect(notice.status).toBe(201);
    expect(problems).toEqual([]);
  });

  it('takes no message without its purpose for care, and judges a marketing SMS on the SMS channel: no consent, 403', async () => {
    const engine = running.operator.twins.engine;
    let noConsent: string | undefined;
    for (let n = 1; n <= 800 && !noConsent; n++) {
      const id = `C${String(n).padStart(6, '0')}`;
      const profile = engine.view(id)?.profile;
      if (profile?.marketingConsent === false && profile.channelConsent?.sms !== false) noConsent = id;
    }
    expect(noConsent).toBeDefined();
    const { characteristic: _none, ...unnamed } = message(noConsent!, 'care');
    const missing = await call('POST', '/communicationMessage', { ...unnamed, content: 'Special offer for you!' });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/^characteristic purpose: required/);
    // Sent from an inbound channel (a call), the SMS still goes out to the customer: refused (for
    // want of consent, or first for quiet hours should the world's clock be at night).
    const marketing = await call('POST', '/communicationMessage', { ...message(noConsent!, 'marketing'), characteristic: [{ name: 'purpose', value: 'marketing' }, { name: 'channel', value: 'call' }] });
    expect(marketing.status).toBe(403);
    expect(marketing.body.message).toMatch(/marketing-consent|quiet-hours/);
    expect(problems).toEqual([]);
  });

  it('names what is wrong: an unknown message type or purpose, a list without a receiver, an unknown id', async () => {
    const badType = await call('POST', '/communicationMessage', message('C000002', 'care', 'pigeon'));
    expect(badType.status).toBe(400);
    expect(badType.body.message).toMatch(/messageType: "pigeon"/);
    const badPurpose = await call('POST', '/communicationMessage', message('C000002', 'gossip'));
    expect(badPurpose.status).toBe(400);
    expect(badPurpose.body.message).toMatch(/purpose: "gossip"/);
    const noReceiver = await call('GET', '/communicationMessage');
    expect(noReceiver.status).toBe(400);
    expect(noReceiver.body.message).toMatch(/receiver\.id/);
    const unknown = await call('GET', '/communicationMessage/C000002:nope');
    expect(unknown.status).toBe(404);
    expect(problems).toEqual([]);
  });
});
