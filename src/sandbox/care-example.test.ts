import { describe, expect, it } from 'vitest';
import type { EventOf, TwinEvent } from '../domain/events.js';
import { validateEvent } from '../domain/event-validation.js';
import { ArrayOutput } from './event-output.js';
import { createSandboxWorld } from './sandbox-world.js';
import { loadWorldDocument } from './world-catalog.js';

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

  it('refuses a named customer who does not fit, saying why', () => {
    const world = createSandboxWorld(cfg, 21);
    const history = new ArrayOutput();
    world.generate(history, { months: 1 });
    const cheap = history.events.find((e): e is EventOf<'subscription'> => e.kind === 'subscription' && e.data.action === 'activated' && (e.data.monthlyPrice ?? 0) < 60)!;
    expect(() => world.stageCareExample(cheap.customerId)).toThrow(/under the 60 of a high-value customer/);
    expect(() => world.stageCareExample('C999999')).toThrow(/unknown customer/);
  });
});
