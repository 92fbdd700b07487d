import { mkdtempSync, rmSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openTwinService, type TwinService } from '../../twin/twin-service.js';
import type { AssistCard } from '../../agents/assist/assist-card.js';
import { startAssist, type Assist } from '../../agents/assist/assist-service.js';
import { assistRoutes } from './assist-routes.js';
import { createHttpServer } from './server.js';
import { openTestAuth, type TestAuth } from '../auth/auth-fixtures.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const customer = (id: string) => ({ id: `reg-${id}`, kind: 'customer', customerId: id, time: iso(NOW - 86_400_000), source: 'crm', v: 1, data: { segment: 'consumer', billing: 'postpaid', contractMonths: 12, paymentMethod: 'card', since: '2024-01-01T00:00:00Z' } });
let n = 0;
const interaction = (customerId: string, channel: string, intent: string, at: number, context?: Record<string, unknown>, phase = 'start') => ({
  id: `i${++n}`, kind: 'interaction', customerId, time: iso(at), source: 'omni', v: 1, data: { channel, intent, phase, ...(context ? { context } : {}) },
});

/** An SSE client collecting named events until told to stop. */
function subscribe(url: string): Promise<{ next(event: string): Promise<unknown>; close(): void }> {
  return new Promise((resolve, reject) => {
    const waiting: { event: string; resolve(data: unknown): void }[] = [];
    const seen: { event: string; data: unknown }[] = [];
    let buffer = '';
    const req = get(url, (res: IncomingMessage) => {
      if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (!event || data === undefined) continue;
          const w = waiting.findIndex((x) => x.event === event);
          if (w >= 0) waiting.splice(w, 1)[0].resolve(JSON.parse(data));
          else seen.push({ event, data: JSON.parse(data) });
        }
      });
      resolve({
        next: (event) => {
          const s = seen.findIndex((x) => x.event === event);
          if (s >= 0) return Promise.resolve(seen.splice(s, 1)[0].data);
          return new Promise((r) => waiting.push({ event, resolve: r }));
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

describe('assist routes', () => {
  let dir: string;
  let twins: TwinService;
  let app: FastifyInstance;
  let assist: Assist;
  let base: string;
  let local: TestAuth;
  let clock: ManualClock;
  const post = (events: unknown[]) => app.inject({ method: 'POST', url: '/events', payload: events });

  beforeAll(async () => {
    // Open mode on loopback: these tests are about what the routes do; the access matrix test checks who may call them.
    local = await openTestAuth('insecure-local');
    dir = mkdtempSync(join(tmpdir(), 'twinloop-assist-'));
    clock = new ManualClock(NOW);
    twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock });
    assist = startAssist(twins, {
      context: { clock },
      decorateTwin: () => ({ scores: { churn: { probability: 0.3, reasons: [{ text: 'two complaints' }] } } }),
      recommend: (_id, { reason }) => [{ actionId: 'retain-10', expectedValue: 12.5, reasons: [`fits ${reason}`], decisionId: 'd1' }],
    });
    app = createHttpServer({ twins, auth: local.auth, version: 'test' }, [assistRoutes(twins, assist)]);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    await post([customer('C1'), customer('C2')]);
  });
  afterAll(async () => {
    assist.close();
    await app.close();
    await twins.close();
    await local.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pushes a card to a call desktop when a call starts, with the web bundle of a minute ago, and nothing for a web start', async () => {
    const desk = await subscribe(`${base}/assist/stream?channel=call&agentId=agent-7`);
    expect(await desk.next('ready')).toMatchObject({ channel: 'call', agentId: 'agent-7' });
    const web = interaction('C1', 'web', 'configure_bundle', NOW - 60_000, { bundle: { plan: 'max-50', addons: ['tv'] } });
    expect((await post([web])).json()).toMatchObject({ accepted: 1 });
    const call = interaction('C1', 'call', 'billing_question', NOW);
    expect((await post([call])).json()).toMatchObject({ accepted: 1 });
    // Cards arrive in order: had the web start produced one, it would come first.
    const card = (await desk.next('card')) as AssistCard;
    desk.close();
    expect(card).toMatchObject({ customerId: 'C1', channel: 'call', reason: 'billing_question', eventId: call.id, at: iso(NOW) });
    expect(card.otherChannels).toEqual([{ channel: 'web', intent: 'configure_bundle', phase: 'start', context: { bundle: { plan: 'max-50', addons: ['tv'] } }, startedAt: iso(NOW - 60_000), at: iso(NOW - 60_000) }]);
    expect(card.summary).toMatchObject({ customerId: 'C1', scores: { churn: { probability: 0.3 } } });
    expect(card.actions).toEqual([{ actionId: 'retain-10', expectedValue: 12.5, reasons: ['fits billing_question'], decisionId: 'd1' }]);
    expect(Date.parse(card.builtAt)).toBeGreaterThanOrEqual(Date.parse(card.acceptedAt!));
  });

  it('sends a chat card only to chat desktops', async () => {
    const chat = await subscribe(`${base}/assist/stream?channel=chat&agentId=a`);
    const store = await subscribe(`${base}/assist/stream?channel=store&agentId=b`);
    await Promise.all([chat.next('ready'), store.next('ready')]);
    await post([interaction('C2', 'chat', 'roaming', NOW)]);
    await post([interaction('C2', 'store', 'repair', NOW)]);
    expect(await chat.next('card')).toMatchObject({ customerId: 'C2', channel: 'chat', reason: 'roaming' });
    expect(await store.next('card')).toMatchObject({ customerId: 'C2', channel: 'store', reason: 'repair', otherChannels: [{ channel: 'chat' }] });
    chat.close();
    store.close();
  });

  it('refuses a stream for a channel without agents, naming the parameter', async () => {
    const res = await app.inject('/assist/stream?channel=web&agentId=a');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/^query parameter channel: expected one of call, chat, store, got "web"; e\.g\. \/assist\/stream\?channel=call/);
    expect((await app.inject('/assist/stream?channel=call')).json().error.message).toMatch(/^query parameter agentId/);
  });

  it('serves the context: merged across channels, empty (200) for a quiet customer, 404 for an unknown one', async () => {
    await post([customer('C3'), interaction('C3', 'app', 'upgrade', NOW - 120_000, { screen: 'plans', plan: 'max-50' })]);
    await post([interaction('C3', 'app', 'upgrade', NOW - 60_000, { screen: 'checkout' }, 'update')]);
    const ctx = (await app.inject('/customers/C3/context')).json();
    expect(ctx.channels.app).toMatchObject({ intent: 'upgrade', phase: 'update', context: { screen: 'checkout', plan: 'max-50' }, startedAt: iso(NOW - 120_000) });
    expect(ctx.timeline).toHaveLength(1);
    await post([customer('C4')]);
    const quiet = await app.inject('/customers/C4/context');
    expect(quiet.statusCode).toBe(200);
    expect(quiet.json()).toEqual({ customerId: 'C4', updatedAt: null, channels: {}, timeline: [] });
    const unknown = await app.inject('/customers/NOBODY/context');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/customer "NOBODY" not found/) });
  });

  it('builds the card now for a desktop that joins mid-call', async () => {
    await post([interaction('C3', 'call', 'cancel_contract', NOW)]);
    const card = (await app.inject('/assist/cards/C3')).json();
    expect(card).toMatchObject({ customerId: 'C3', channel: 'call', reason: 'cancel_contract', acceptedAt: null, eventId: null, otherChannels: [{ channel: 'app', context: { screen: 'checkout', plan: 'max-50' } }] });
    expect((await app.inject('/assist/cards/NOBODY')).statusCode).toBe(404);
    expect((await app.inject('/assist/cards/C3?channel=web')).statusCode).toBe(400);
  });

  it('ends the open streams when the server closes, so closing does not wait on a desktop', async () => {
    const other = createHttpServer({ twins, auth: local.auth, version: 'test' }, [assistRoutes(twins, assist)]);
    const url = await other.listen({ port: 0, host: '127.0.0.1' });
    const res = await new Promise<IncomingMessage>((resolve, reject) => get(`${url}/assist/stream?channel=call&agentId=late`, resolve).once('error', reject));
    expect(res.statusCode).toBe(200);
    const ended = new Promise<void>((resolve) => res.once('end', resolve));
    res.resume();
    await other.close();
    await ended;
  }, 10_000);

  it('makes one decision per interaction: a card opened again on the same call shows it while it is open; an expired one or a new call gets a new one', async () => {
    // Each load made a decision: a reopened card listed the agent's own earlier view as a recommendation nobody acted on.
    let made = 0;
    const open = new Set<string>();
    const recommend = () => {
      const decisionId = `once-${++made}`;
      open.add(decisionId);
      return [{ actionId: 'retain-10', expectedValue: 1, reasons: [], decisionId }];
    };
    const mine = startAssist(twins, { context: { clock }, recommend, decisionOpen: (id) => open.has(id), log: () => undefined });
    const other = createHttpServer({ twins, auth: local.auth, version: 'test' }, [assistRoutes(twins, mine)]);
    try {
      await post([customer('C7'), interaction('C7', 'call', 'billing_question', NOW + 5_000)]);
      const card = async () => ((await other.inject('/assist/cards/C7?channel=call')).json() as AssistCard).actions.map((a) => a.decisionId);
      expect(await card()).toEqual(['once-1']);
      expect(await card()).toEqual(['once-1']);
      expect(made).toBe(1);
      // Its answer window over, nobody having accepted it: the next card decides again.
      open.delete('once-1');
      expect(await card()).toEqual(['once-2']);
      // Another call: its own decision.
      await post([interaction('C7', 'call', 'roaming', NOW + 10_000)]);
      expect(await card()).toEqual(['once-3']);
      expect(await card()).toEqual(['once-3']);
    } finally {
      mine.close();
      await other.close();
    }
  });

  it('shares one decision between two cards built at once, and drops from a card built again the kept actions no longer allowed (consent withdrawn meanwhile)', async () => {
    let made = 0;
    const recommend = async () => {
      const decisionId = `both-${++made}`;
      // A decision that takes a moment: both builds are in flight together.
      await new Promise((resolve) => setTimeout(resolve, 5));
      return [
        { actionId: 'retain-10', expectedValue: 2, reasons: [], decisionId },
        { actionId: 'service-check-in', expectedValue: 1, reasons: [], decisionId },
      ];
    };
    const barred = new Set<string>();
    const asked: string[] = [];
    const stillAllowed = (customerId: string) => {
      asked.push(customerId);
      return (action: { actionId: string }) => !barred.has(action.actionId);
    };
    const mine = startAssist(twins, { context: { clock }, recommend, stillAllowed, log: () => undefined });
    const other = createHttpServer({ twins, auth: local.auth, version: 'test' }, [assistRoutes(twins, mine)]);
    try {
      await post([customer('C8'), interaction('C8', 'call', 'billing_question', NOW + 6_000)]);
      const card = async () => (await other.inject('/assist/cards/C8?channel=call')).json() as AssistCard;
      const [a, b] = await Promise.all([card(), card()]);
      expect(made).toBe(1);
      expect(a.actions.map((x) => x.decisionId)).toEqual(['both-1', 'both-1']);
      expect(b.actions.map((x) => x.decisionId)).toEqual(['both-1', 'both-1']);
      // The customer opts out of marketing: the offer is no longer allowed, the care check-in is.
      barred.add('retain-10');
      const again = await card();
      expect(again.actions.map((x) => [x.actionId, x.decisionId])).toEqual([['service-check-in', 'both-1']]);
      expect(made).toBe(1);
      expect(asked).toContain('C8');
    } finally {
      mine.close();
      await other.close();
    }
  });

  it('gives a desktop that joins mid-call the card of each call open now, none for an ended one', async () => {
    await post([customer('C5'), customer('C6')]);
    await post([interaction('C5', 'call', 'roaming_bill', NOW + 1_000), interaction('C6', 'call', 'coverage', NOW + 2_000)]);
    await post([interaction('C6', 'call', 'coverage', NOW + 3_000, undefined, 'end')]);
    const desk = await subscribe(`${base}/assist/stream?channel=call&agentId=late-joiner`);
    await desk.next('ready');
    const cards: AssistCard[] = [];
    // The cards of open calls follow the ready event at once; half a second is ample on loopback.
    const quiet = new Promise<null>((resolve) => setTimeout(() => resolve(null), 500));
    for (;;) {
      const card = (await Promise.race([desk.next('card'), quiet])) as AssistCard | null;
      if (!card) break;
      cards.push(card);
    }
    desk.close();
    const c5 = cards.find((c) => c.customerId === 'C5');
    expect(c5).toMatchObject({ channel: 'call', reason: 'roaming_bill', at: iso(NOW + 1_000), acceptedAt: null, actions: [{ actionId: 'retain-10', decisionId: 'd1' }] });
    expect(cards.map((c) => c.customerId)).not.toContain('C6');
  });
});
