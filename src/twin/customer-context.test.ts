import { describe, expect, it } from 'vitest';
import { ManualClock } from '../domain/clock.js';
import type { Channel, TwinEvent } from '../domain/events.js';
import { CustomerContextStore, mergeContext, UNSEEN_END_MS, type InteractionStarted } from './customer-context.js';
import type { AcceptedEvent, AppliedListener } from './intake.js';

const T0 = Date.parse('2026-06-01T12:00:00Z');
const MIN = 60_000;
const HOUR = 3_600_000;
let seq = 0;

function interaction(customerId: string, channel: Channel, phase: 'start' | 'update' | 'end', at: number, intent: string, context?: Record<string, unknown>, endsBy?: number): AcceptedEvent {
  const event: TwinEvent = { id: `e${++seq}`, kind: 'interaction', customerId, time: new Date(at).toISOString(), source: 'test', v: 1, data: { channel, intent, phase, ...(context ? { context } : {}), ...(endsBy === undefined ? {} : { endsBy: new Date(endsBy).toISOString() }) } };
  return { event, time: at, seq };
}

describe('CustomerContextStore', () => {
  it('keeps one state per channel and carries the website bundle to the call a minute later', () => {
    const store = new CustomerContextStore();
    store.observe([
      interaction('C1', 'web', 'start', T0, 'configure_bundle', { bundle: { plan: 'max-50', addons: ['tv'] } }),
      interaction('C1', 'app', 'start', T0 + 10_000, 'check_usage', { screen: 'usage' }),
      interaction('C1', 'call', 'start', T0 + MIN, 'billing_question'),
    ]);
    const ctx = store.get('C1');
    expect(Object.keys(ctx.channels).sort()).toEqual(['app', 'call', 'web']);
    expect(ctx.channels.web).toMatchObject({ intent: 'configure_bundle', phase: 'start', context: { bundle: { plan: 'max-50', addons: ['tv'] } } });
    expect(ctx.channels.app?.context).toEqual({ screen: 'usage' });
    expect(ctx.timeline.map((t) => t.channel)).toEqual(['web', 'app', 'call']);
    expect(ctx.updatedAt).toBe(new Date(T0 + MIN).toISOString());
  });

  it('merges an update into the same interaction and starts afresh on the next start', () => {
    const store = new CustomerContextStore();
    store.observe([
      interaction('C1', 'web', 'start', T0, 'configure_bundle', { bundle: { plan: 'max-50' }, step: 1 }),
      interaction('C1', 'web', 'update', T0 + MIN, 'configure_bundle', { bundle: { addons: ['tv'] }, step: 2 }),
      interaction('C1', 'web', 'end', T0 + 2 * MIN, 'configure_bundle', { abandonedAt: 'checkout' }),
    ]);
    const web = store.get('C1').channels.web!;
    expect(web.context).toEqual({ bundle: { plan: 'max-50', addons: ['tv'] }, step: 2, abandonedAt: 'checkout' });
    expect(web).toMatchObject({ phase: 'end', startedAt: new Date(T0).toISOString(), at: new Date(T0 + 2 * MIN).toISOString() });
    expect(store.get('C1').timeline).toHaveLength(1);

    store.observe([interaction('C1', 'web', 'start', T0 + 5 * MIN, 'upgrade', { device: 'phone-x' })]);
    expect(store.get('C1').channels.web!.context).toEqual({ device: 'phone-x' });
    expect(store.get('C1').timeline).toHaveLength(2);
  });

  it('expires interactions that leave the 24 h window and evicts the customer', () => {
    const store = new CustomerContextStore();
    store.observe([interaction('C1', 'web', 'start', T0, 'browse'), interaction('C2', 'chat', 'start', T0 + HOUR, 'roaming')]);
    store.observe([interaction('C2', 'app', 'start', T0 + 24 * HOUR + MIN, 'pay_bill')]);
    expect(store.get('C1')).toEqual({ customerId: 'C1', updatedAt: null, channels: {}, timeline: [] });
    expect(store.has('C1')).toBe(false);
    expect(Object.keys(store.get('C2').channels).sort()).toEqual(['app', 'chat']);
    expect(store.size).toBe(1);
    store.observe([interaction('C3', 'web', 'start', T0 + 26 * HOUR, 'browse')]);
    expect(Object.keys(store.get('C2').channels)).toEqual(['app']);
  });

  it('lets a clock move the window when events stop arriving, and ignores events older than it', () => {
    const clock = new ManualClock(T0);
    const store = new CustomerContextStore({ clock, windowMs: HOUR });
    store.observe([interaction('C1', 'store', 'start', T0 - 10 * MIN, 'repair')]);
    expect(store.has('C1')).toBe(true);
    // Out of the window, but still in progress (no end seen, not 2 h old): held.
    clock.advance(HOUR);
    expect(store.has('C1')).toBe(true);
    clock.advance(HOUR);
    expect(store.has('C1')).toBe(false);
    const started: InteractionStarted[] = [];
    store.onStarted((s) => started.push(s));
    store.observe([interaction('C9', 'call', 'start', T0 - 2 * HOUR, 'late')]);
    expect(started).toEqual([]);
    expect(store.has('C9')).toBe(false);
  });

  it('counts a call whose end is never seen as ended 2 h after it began: not in progress, not open to a desktop joining, not a person on the line', () => {
    const clock = new ManualClock(T0);
    const store = new CustomerContextStore({ clock });
    store.observe([interaction('C1', 'call', 'start', T0, 'billing_question'), interaction('C2', 'call', 'start', T0 + MIN, 'roaming')]);
    expect(store.get('C1').channels.call).toMatchObject({ phase: 'start', inProgress: true, endsBy: new Date(T0 + UNSEEN_END_MS).toISOString() });
    expect(UNSEEN_END_MS).toBe(2 * HOUR);
    expect(store.openOn('call', 8).map((o) => o.customerId)).toEqual(['C2', 'C1']);
    clock.set(T0 + UNSEEN_END_MS - 1);
    expect(store.get('C1').channels.call?.inProgress).toBe(true);
    clock.set(T0 + UNSEEN_END_MS);
    // Still in the context (its window is a day), but over: no end was seen by then.
    expect(store.get('C1').channels.call).toMatchObject({ phase: 'start', inProgress: false });
    expect(store.get('C2').channels.call?.inProgress).toBe(true);
    expect(store.openOn('call', 8).map((o) => o.customerId)).toEqual(['C2']);
    // An end seen, or a later start on the channel, is over at once (the earlier one in the timeline too).
    store.observe([interaction('C2', 'call', 'end', T0 + UNSEEN_END_MS, 'roaming'), interaction('C3', 'chat', 'start', T0 + UNSEEN_END_MS, 'a'), interaction('C3', 'chat', 'start', T0 + UNSEEN_END_MS + MIN, 'b')]);
    expect(store.get('C2').channels.call?.inProgress).toBe(false);
    expect(store.get('C3').timeline.map((t) => [t.intent, t.inProgress])).toEqual([['a', false], ['b', true]]);
  });

  it('counts the 2 h from the latest event of an interaction: a long call that sends updates goes on, then ends 2 h after its last', () => {
    const clock = new ManualClock(T0);
    const store = new CustomerContextStore({ clock });
    store.observe([interaction('C1', 'call', 'start', T0, 'billing_question')]);
    // A three-hour call whose contact centre says something every half hour.
    for (let t = T0 + 30 * MIN; t <= T0 + 3 * HOUR; t += 30 * MIN) {
      clock.set(t);
      store.observe([interaction('C1', 'call', 'update', t, 'billing_question', { step: t })]);
      expect(store.get('C1').channels.call, `at ${(t - T0) / MIN} min`).toMatchObject({ inProgress: true, startedAt: new Date(T0).toISOString(), endsBy: new Date(t + UNSEEN_END_MS).toISOString() });
    }
    expect(store.openOn('call', 8).map((o) => o.customerId)).toEqual(['C1']);
    clock.set(T0 + 3 * HOUR + UNSEEN_END_MS - 1);
    expect(store.get('C1').channels.call?.inProgress).toBe(true);
    clock.set(T0 + 3 * HOUR + UNSEEN_END_MS);
    expect(store.get('C1').channels.call?.inProgress).toBe(false);
    // An endsBy its channel gave holds: later updates without one do not move it.
    store.observe([interaction('C2', 'call', 'start', T0 + 6 * HOUR, 'roaming', undefined, T0 + 6 * HOUR + 10 * MIN), interaction('C2', 'call', 'update', T0 + 6 * HOUR + 5 * MIN, 'roaming')]);
    expect(store.get('C2').channels.call?.endsBy).toBe(new Date(T0 + 6 * HOUR + 10 * MIN).toISOString());
  });

  it('reads back the log from before the start beneath what the intake brought since, announcing no start, a call held by its endsBy included', () => {
    const clock = new ManualClock(T0 + 3 * HOUR);
    const store = new CustomerContextStore({ clock, windowMs: 2 * HOUR });
    const started: InteractionStarted[] = [];
    store.onStarted((s) => started.push(s));
    // Live since the start: C2 hung up (its start came before the start, in the log).
    store.observe([interaction('C2', 'call', 'end', T0 + 3 * HOUR, 'roaming')]);
    store.readBack([
      // Begun 3 h ago, past the 2 h window, but held for 10 h by its channel: the staged call.
      interaction('C1', 'call', 'start', T0, 'billing_complaint', { staged: 'care-example' }, T0 + 10 * HOUR),
      interaction('C2', 'call', 'start', T0 + 2 * HOUR, 'roaming'),
      interaction('C3', 'chat', 'start', T0 + 2.5 * HOUR, 'roaming'),
      interaction('C3', 'chat', 'update', T0 + 2.6 * HOUR, 'roaming', { step: 2 }),
      // Older than the window and held by nothing: gone.
      interaction('C4', 'store', 'start', T0, 'repair'),
    ]);
    expect(started).toEqual([]);
    expect(store.get('C1').channels.call).toMatchObject({ inProgress: true, startedAt: new Date(T0).toISOString() });
    expect(store.get('C2').channels.call).toMatchObject({ phase: 'end', inProgress: false });
    expect(store.get('C3').channels.chat).toMatchObject({ inProgress: true, context: { step: 2 } });
    expect(store.has('C4')).toBe(false);
    expect(store.openOn('call', 8).map((o) => o.customerId)).toEqual(['C1']);
  });

  it("holds a call until the endsBy its channel gives, past the context's window, and an update may move it", () => {
    const clock = new ManualClock(T0);
    const store = new CustomerContextStore({ clock, windowMs: HOUR });
    store.observe([interaction('C1', 'call', 'start', T0, 'billing_complaint', { staged: 'care-example' }, T0 + 10 * HOUR), interaction('C2', 'call', 'start', T0, 'roaming')]);
    clock.set(T0 + 5 * HOUR);
    store.observe([interaction('C3', 'web', 'start', T0 + 5 * HOUR, 'browse')]);
    // Past the window and the 2 h: C2's call is gone; C1's goes on, as its channel said.
    expect(store.has('C2')).toBe(false);
    expect(store.get('C1').channels.call).toMatchObject({ inProgress: true, endsBy: new Date(T0 + 10 * HOUR).toISOString(), context: { staged: 'care-example' } });
    expect(store.openOn('call', 8).map((o) => o.customerId)).toEqual(['C1']);
    store.observe([interaction('C1', 'call', 'update', T0 + 5 * HOUR, 'billing_complaint', undefined, T0 + 6 * HOUR)]);
    clock.set(T0 + 6 * HOUR);
    expect(store.get('C1').channels.call?.inProgress).toBe(false);
    clock.set(T0 + 6.5 * HOUR);
    store.observe([interaction('C3', 'web', 'update', T0 + 6.5 * HOUR, 'browse')]);
    expect(store.get('C1').channels.call).toBeUndefined();
    expect(store.has('C1')).toBe(false);
  });

  it('caps the timeline per customer and the number of customers', () => {
    const store = new CustomerContextStore({ maxPerCustomer: 3, maxCustomers: 2 });
    store.observe(Array.from({ length: 5 }, (_, i) => interaction('C1', i % 2 ? 'web' : 'app', 'start', T0 + i * MIN, `i${i}`)));
    expect(store.get('C1').timeline.map((t) => t.intent)).toEqual(['i2', 'i3', 'i4']);
    store.observe([interaction('C2', 'web', 'start', T0 + 10 * MIN, 'x'), interaction('C3', 'web', 'start', T0 + 11 * MIN, 'y')]);
    expect(store.size).toBe(2);
    expect(store.has('C1')).toBe(false);
    expect(store.has('C3')).toBe(true);
  });

  it('announces starts (not updates) to listeners, from the intake it is attached to, and survives a failing listener', () => {
    let deliver: AppliedListener = () => {};
    let detached = false;
    const intake = { onApplied: (l: AppliedListener) => ((deliver = l), () => (detached = true)) };
    const errors: unknown[] = [];
    const store = new CustomerContextStore({ wallClock: () => 42, onListenerError: (e) => errors.push(e) });
    const detach = store.attach(intake);
    const seen: InteractionStarted[] = [];
    store.onStarted(() => {
      throw new Error('listener bug');
    });
    store.onStarted((s) => seen.push(s));
    const start = interaction('C1', 'call', 'start', T0, 'billing_question', { line: 'mobile' });
    deliver([start, interaction('C1', 'call', 'update', T0 + 1, 'billing_question'), { event: { ...start.event, id: 'u', kind: 'usage', data: { subscriptionId: 'S', dataMb: 1, voiceMin: 0, sms: 0, roaming: false } } as TwinEvent, time: T0, seq: 99 }]);
    expect(seen).toEqual([{ customerId: 'C1', channel: 'call', intent: 'billing_question', eventId: start.event.id, seq: start.seq, at: T0, acceptedAt: 42, context: { line: 'mobile' } }]);
    expect(errors).toHaveLength(1);
    detach();
    expect(detached).toBe(true);
  });
});

describe('mergeContext', () => {
  it('merges nested objects, replaces arrays and scalars, and leaves its inputs alone', () => {
    const base = { bundle: { plan: 'a', addons: ['tv'] }, n: 1 };
    const merged = mergeContext(base, { bundle: { addons: ['music'] }, n: null, extra: true });
    expect(merged).toEqual({ bundle: { plan: 'a', addons: ['music'] }, n: null, extra: true });
    expect(base).toEqual({ bundle: { plan: 'a', addons: ['tv'] }, n: 1 });
  });

  it('ignores a __proto__ key rather than changing the prototype', () => {
    const merged = mergeContext({}, JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}'));
    expect(merged).toEqual({ ok: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
