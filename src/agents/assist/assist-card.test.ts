import { describe, expect, it } from 'vitest';
import type { Channel } from '../../domain/events.js';
import { UNSEEN_END_MS, type CustomerContext } from '../../twin/customer-context.js';
import { buildAssistCard, noRecommendations, triggerFromContext, type AssistCardSources } from './assist-card.js';

const T0 = Date.parse('2026-06-01T12:00:00Z');
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

function entry(channel: Channel, intent: string, at: number, context: Record<string, unknown> = {}, phase: 'start' | 'update' | 'end' = 'start') {
  return { channel, eventId: `${channel}-${at}`, intent, phase, context, at: iso(at), startedAt: iso(at), endsBy: iso(at + UNSEEN_END_MS), inProgress: phase !== 'end' };
}

const context: CustomerContext = {
  customerId: 'C1',
  updatedAt: iso(T0),
  channels: {},
  timeline: [
    entry('web', 'browse', T0 - 6 * 60 * MIN),
    entry('web', 'configure_bundle', T0 - MIN, { bundle: { plan: 'max-50', addons: ['tv'] } }, 'end'),
    entry('app', 'check_usage', T0 - 30 * MIN, { screen: 'roaming-pass' }),
    entry('call', 'billing_question', T0),
  ],
};

const sources = (recommend: AssistCardSources['recommend'] = noRecommendations): AssistCardSources => ({
  summary: (id) => (id === 'C1' ? { customerId: 'C1', scores: { churn: { probability: 0.4, reasons: [{ text: '3 complaints in 90 days' }] } } } : undefined),
  recommend,
  context: () => context,
});

describe('buildAssistCard', () => {
  it("carries the other channels' context of the last hours, most recent first, and not the card's own channel", async () => {
    const card = await buildAssistCard(sources(), { customerId: 'C1', channel: 'call', reason: 'billing_question', at: T0, acceptedAt: T0 + 5, eventId: 'e1' }, { now: () => T0 + 7 });
    expect(card.otherChannels.map((o) => [o.channel, o.intent])).toEqual([
      ['web', 'configure_bundle'],
      ['app', 'check_usage'],
    ]);
    expect(card.otherChannels[0].context).toEqual({ bundle: { plan: 'max-50', addons: ['tv'] } });
    expect(card).toMatchObject({ customerId: 'C1', channel: 'call', reason: 'billing_question', eventId: 'e1', at: iso(T0), acceptedAt: iso(T0 + 5), builtAt: iso(T0 + 7), actions: [] });
    expect(card.summary).toMatchObject({ scores: { churn: { probability: 0.4 } } });
    expect(card.cardId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('asks next-best-action with the channel and reason and keeps the top actions', async () => {
    const asked: unknown[] = [];
    const actions = [1, 2, 3, 4].map((i) => ({ actionId: `a${i}`, expectedValue: 10 - i, reasons: [`r${i}`], decisionId: `d${i}` }));
    const card = await buildAssistCard(
      sources(async (id, request) => (asked.push([id, request]), actions)),
      { customerId: 'C1', channel: 'chat', reason: 'upgrade', at: T0, acceptedAt: null, eventId: null },
      { maxActions: 2, otherChannelsHours: 1 },
    );
    expect(asked).toEqual([['C1', { channel: 'chat', reason: 'upgrade' }]]);
    expect(card.actions.map((a) => a.actionId)).toEqual(['a1', 'a2']);
    // One hour back: the morning's browse is out; the call (another channel for a chat card) is in.
    expect(card.otherChannels.map((o) => o.channel)).toEqual(['call', 'web', 'app']);
  });

  it('carries the mark of a staged call (its context names what staged it), so desktops keep its card', () => {
    const ctx: CustomerContext = { ...context, channels: { call: { intent: 'billing_complaint', phase: 'start', context: { staged: 'care-example' }, at: iso(T0), startedAt: iso(T0), endsBy: iso(T0 + UNSEEN_END_MS), inProgress: true } } };
    expect(triggerFromContext(ctx, ['call', 'chat', 'store'], 'call', T0 + MIN).staged).toBe('care-example');
  });
});

describe('triggerFromContext', () => {
  it("picks the open assisted interaction for a desktop joining mid-call, else a card with reason 'unknown'", () => {
    const ctx: CustomerContext = {
      ...context,
      channels: {
        call: { intent: 'billing_question', phase: 'update', context: {}, at: iso(T0 + MIN), startedAt: iso(T0), endsBy: iso(T0 + UNSEEN_END_MS), inProgress: true },
        chat: { intent: 'roaming', phase: 'end', context: {}, at: iso(T0), startedAt: iso(T0 - MIN), endsBy: iso(T0 - MIN + UNSEEN_END_MS), inProgress: false },
        store: { intent: 'repair', phase: 'start', context: {}, at: iso(T0 + 2 * MIN), startedAt: iso(T0 + 2 * MIN - UNSEEN_END_MS), endsBy: iso(T0 + 2 * MIN), inProgress: false },
      },
    };
    expect(triggerFromContext(ctx, ['call', 'chat', 'store'], undefined, T0 + 2 * MIN)).toEqual({ customerId: 'C1', channel: 'call', reason: 'billing_question', at: T0, acceptedAt: null, eventId: null, staged: null });
    // None open on the channel: the card says so (it read "chat · unknown", started when it was asked for).
    expect(triggerFromContext(ctx, ['call', 'chat', 'store'], 'chat', T0 + 2 * MIN)).toEqual({ customerId: 'C1', channel: 'chat', reason: 'unknown', at: T0 + 2 * MIN, acceptedAt: null, eventId: null, inProgress: false });
    // A visit whose end was never seen, 2 h on (the context's one rule): none in progress either.
    expect(triggerFromContext(ctx, ['call', 'chat', 'store'], 'store', T0 + 2 * MIN)).toMatchObject({ channel: 'store', reason: 'unknown', inProgress: false });
  });

  it('carries the mark of a staged call (its context names what staged it), so desktops keep its card', () => {
    const ctx: CustomerContext = { ...context, channels: { call: { intent: 'billing_complaint', phase: 'start', context: { staged: 'care-example' }, at: iso(T0), startedAt: iso(T0), endsBy: iso(T0 + UNSEEN_END_MS), inProgress: true } } };
    expect(triggerFromContext(ctx, ['call', 'chat', 'store'], 'call', T0 + MIN).staged).toBe('care-example');
  });
});
