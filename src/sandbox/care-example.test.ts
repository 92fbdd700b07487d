import { describe, expect, it } from 'vitest';
import { ManualClock } from '../domain/clock.js';
import type { EventSink } from '../domain/event-sink.js';
import type { EventOf, TwinEvent } from '../domain/events.js';
import { validateEvent } from '../domain/event-validation.js';
import { ArrayOutput } from './event-output.js';
import { createSandboxWorld } from './sandbox-world.js';
import { loadWorldDocument } from './world-catalog.js';
import { internalsOf } from './world-internals.js';

const cfg = loadWorldDocument({ extends: 'small', population: { customers: 600 } });

describe('the care example', () => {
  it('happens to a real high-value customer who consents to marketing: data over the allowance, a billing complaint, a call starting', () => {
    const world = createSandboxWorld(cfg, 21);
    const history = new ArrayOutput();
    world.generate(history, { months: 2 });
    const staged = world.stageCareExample();
    const events: TwinEvent[] = world.takePendingEvents();
    expect(events.map((e) => e.id)).toEqual(staged.eventIds);
    for (const e of events) expect(validateEvent(e).ok).toBe(true);
    expect(new Set(events.map((e) => e.customerId))).toEqual(new Set([staged.customerId]));
    const profile = history.events.find((e): e is EventOf<'customer'> => e.kind === 'customer' && e.customerId === staged.customerId)!;
    expect(profile.data).toMatchObject({ billing: 'postpaid', consent: { marketing: true } });
    expect(staged.monthlyPrice).toBeGreaterThanOrEqual(60);
    expect(staged.periodDataMb).toBeGreaterThan(staged.dataAllowanceMb);
    // Held for a person's 15 minutes: the world stands still here, so 15 minutes of its time too.
    expect(events.find((e) => e.kind === 'interaction')?.data).toMatchObject({ channel: 'call', intent: 'billing_complaint', phase: 'start', context: { staged: 'care-example' }, endsBy: new Date(Date.parse(staged.at) + 15 * 60_000).toISOString() });
    expect(staged).toMatchObject({ endsBy: new Date(Date.parse(staged.at) + 15 * 60_000).toISOString(), heldRealMs: 15 * 60_000 });
    expect(events.find((e) => e.kind === 'ticket')?.data).toMatchObject({ action: 'opened', category: 'billing', complaint: true });
    // The world goes on with it: the complaint is resolved within days, the customer keeps using more data.
    const after = new ArrayOutput();
    world.generate(after, { days: 5 });
    expect(after.events.some((e) => e.kind === 'ticket' && e.customerId === staged.customerId && e.data.action === 'resolved')).toBe(true);
    // The next run picks someone else.
    expect(world.stageCareExample().customerId).not.toBe(staged.customerId);
  });

  it('holds its customer on the line until its endsBy: the live world starts no other interaction of theirs meanwhile, and does after', async () => {
    // Customers who get in touch every day or two and call in with faults: within the held days the
    // world would start several contacts of the staged customer, one on the day already generated.
    const busy = loadWorldDocument({ extends: 'small', population: { customers: 600 }, complaints: { interactionsPerMonth: 20, serviceFaultsPerMonth: 8 } });
    const world = createSandboxWorld(busy, 21);
    world.generate(new ArrayOutput(), { months: 2 });
    const taken: TwinEvent[] = [];
    const sink: EventSink = { submit: async (events) => events.map((e) => (taken.push(e), { id: e.id, status: 'accepted' as const })) };
    const real = new ManualClock(0);
    // At 480x, the person's 15 minutes are 5 days of the world's.
    const live = world.startLive({ speed: 480, sink, realClock: real, manual: true });
    const t0 = world.clock.now();
    const until = async (simMs: number) => {
      real.set((simMs - t0) / 480);
      await live.tick();
    };
    await until(t0 + 8 * 3_600_000);
    const staged = world.stageCareExample();
    expect(staged.heldRealMs).toBe(15 * 60_000);
    const endsBy = Date.parse(staged.endsBy!);
    expect(endsBy - Date.parse(staged.at)).toBe(15 * 60_000 * 480);
    const engine = internalsOf(world).engine;
    await until(endsBy - 3_600_000);
    expect(engine.linesHeld).toBe(1);
    // Past its end the line holds nothing back: a long run keeps no staged line it has passed.
    await until(endsBy + 3_600_000);
    expect(engine.linesHeld).toBe(0);
    await until(endsBy + 20 * 86_400_000);
    await live.stop();
    const calls = taken.filter((e) => e.kind === 'interaction' && e.customerId === staged.customerId && Date.parse(e.time) >= Date.parse(staged.at));
    const during = calls.filter((e) => Date.parse(e.time) < endsBy);
    expect(during.map((e) => e.id)).toEqual([staged.eventIds[1]]);
    // The world goes on with the customer once the call is over.
    expect(calls.some((e) => Date.parse(e.time) >= endsBy)).toBe(true);
  });

  it('forgets each staged line once the clock passes its end, the later ones held on', () => {
    const world = createSandboxWorld(loadWorldDocument({ extends: 'small', population: { customers: 50 } }), 5);
    const engine = internalsOf(world).engine;
    engine.holdLine(1, 0, 3_000);
    engine.holdLine(2, 0, 1_000);
    engine.holdLine(2, 500, 2_000);
    engine.forgetLinesBefore(999);
    expect([engine.linesHeld, engine.onTheLine(2, 999)]).toEqual([2, true]);
    engine.forgetLinesBefore(1_000);
    expect([engine.linesHeld, engine.onTheLine(2, 1_500)]).toEqual([2, true]);
    engine.forgetLinesBefore(2_000);
    expect([engine.linesHeld, engine.onTheLine(1, 2_500)]).toEqual([1, true]);
    // A line held after a forget is forgotten at its own end, though it ends before the rest.
    engine.holdLine(3, 2_000, 2_200);
    engine.forgetLinesBefore(2_200);
    expect(engine.linesHeld).toBe(1);
    engine.forgetLinesBefore(3_000);
    expect(engine.linesHeld).toBe(0);
  });

  it('refuses a named customer who does not fit, saying why', () => {
    const world = createSandboxWorld(cfg, 21);
    const history = new ArrayOutput();
    world.generate(history, { months: 1 });
    const cheap = history.events.find((e): e is EventOf<'subscription'> => e.kind === 'subscription' && e.data.action === 'activated' && (e.data.monthlyPrice ?? 0) < 60)!;
    expect(() => world.stageCareExample(cheap.customerId)).toThrow(/under the 60 of a high-value customer/);
    expect(() => world.stageCareExample('C999999')).toThrow(/unknown customer/);
  });
});
