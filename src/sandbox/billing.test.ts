import { describe, expect, it } from 'vitest';
import { validateEvent } from '../domain/event-validation.js';
import type { EventOf } from '../domain/events.js';
import { ArrayOutput } from './event-output.js';
import { createSandboxWorld } from './sandbox-world.js';
import { loadWorldDocument, namedWorld } from './world-catalog.js';
import { parseWorldConfig } from './world-config.js';

describe('prepaid customers', () => {
  it('top up the bundle each period and buy add-ons when it runs out, and get no bills nor payments', () => {
    const cfg = loadWorldDocument({ extends: 'small', population: { customers: 2000, billing: { prepaid: 0.3, postpaid: 0.7 } } });
    const out = new ArrayOutput();
    createSandboxWorld(cfg, 6).generate(out, { months: 3 });
    const customers = out.events.filter((e): e is EventOf<'customer'> => e.kind === 'customer');
    const prepaid = new Set(customers.filter((e) => e.data.billing === 'prepaid').map((e) => e.customerId));
    expect(prepaid.size / customers.length).toBeCloseTo(0.3, 1);
    for (const e of customers) if (prepaid.has(e.customerId)) expect(e.data).toMatchObject({ contractMonths: 0, paymentMethod: 'voucher' });
    const prepaidPlans = new Set(cfg.plans.filter((p) => p.billing === 'prepaid').map((p) => p.id));
    for (const e of out.events) {
      if (e.kind === 'subscription' && e.data.action === 'activated') expect(prepaidPlans.has(e.data.productId!)).toBe(prepaid.has(e.customerId));
      if (e.kind === 'bill' || e.kind === 'payment') expect(prepaid.has(e.customerId)).toBe(false);
      if (e.kind === 'topup') expect(prepaid.has(e.customerId)).toBe(true);
    }
    const topups = out.events.filter((e): e is EventOf<'topup'> => e.kind === 'topup');
    for (const t of topups) expect(validateEvent(t).ok).toBe(true);
    // About one bundle per prepaid customer-month after the first, and some add-ons.
    expect(topups.filter((t) => t.data.purpose === 'bundle').length).toBeGreaterThan(prepaid.size * 1.5);
    expect(topups.some((t) => t.data.purpose === 'addon')).toBe(true);
  });

  it('name the account credit a top-up spent, and may be paid by credit alone, never by nothing', () => {
    const t = (data: Record<string, unknown>) => validateEvent({ id: 't1', kind: 'topup', customerId: 'C1', time: '2027-01-04T02:00:00Z', source: 'charging', v: 1, data: { topupId: 'T1', currency: 'EUR', method: 'voucher', purpose: 'bundle', ...data } });
    expect(t({ amount: 5, credit: 10 }).ok).toBe(true);
    expect(t({ amount: 0, credit: 15 }).ok).toBe(true);
    expect(t({ amount: 0 })).toMatchObject({ ok: false, reason: expect.stringMatching(/^data\.amount: a top-up pays something/) });
  });

  it('the default world has them, and a world that draws them without a prepaid plan is refused naming the field', () => {
    expect(namedWorld('default').population.billing.prepaid).toBeGreaterThan(0);
    const doc = JSON.parse(JSON.stringify(namedWorld('default'))) as { plans: { billing: string }[] };
    doc.plans = doc.plans.filter((p) => p.billing !== 'prepaid');
    const r = parseWorldConfig(doc);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path)).toContain('population.billing.prepaid');
  });
});
