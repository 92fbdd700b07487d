import { describe, expect, it } from 'vitest';
import type { EventOf } from '../domain/events.js';
import { ArrayOutput } from './event-output.js';
import { createSandboxWorld } from './sandbox-world.js';
import { loadWorldDocument } from './world-catalog.js';

describe('customers the world draws', () => {
  it('consent to marketing and opt out of SMS and e-mail in the configured shares, each drawn on its own', () => {
    const cfg = loadWorldDocument({
      extends: 'small',
      population: { customers: 4000, marketingConsent: 0.6, channelOptOuts: { sms: 0.2, email: 0.5 } },
    });
    const out = new ArrayOutput();
    createSandboxWorld(cfg, 4).generate(out, { days: 1 });
    const consents = out.events.filter((e): e is EventOf<'customer'> => e.kind === 'customer').map((e) => e.data.consent!);
    const share = (pick: (c: (typeof consents)[number]) => boolean) => consents.filter(pick).length / consents.length;
    expect(share((c) => c.marketing)).toBeCloseTo(0.6, 1);
    expect(share((c) => c.sms === false)).toBeCloseTo(0.2, 1);
    expect(share((c) => c.email === false)).toBeCloseTo(0.5, 1);
    // Independent draws: marketing consenters opt out of e-mail as often as everyone.
    expect(share((c) => c.marketing && c.email === false) / share((c) => c.marketing)).toBeCloseTo(0.5, 1);
  });

  it('keeps every customer’s month of data under the family cap and the allowance multiple, whatever the heavy tail draws', () => {
    const cfg = loadWorldDocument({
      extends: 'default',
      population: { customers: 3000 },
      // Every customer in a very heavy tail: without the caps some would use petabytes.
      usage: { heavyTail: { share: 1, alpha: 1.05 }, caps: { allowanceMultiple: 2, dataMbPerMonth: { fibre: 1_500_000, dsl: 800_000, none: 20_000 } } },
    });
    const out = new ArrayOutput();
    createSandboxWorld(cfg, 9).generate(out, { months: 2 });
    const planOf = new Map<string, string>();
    const monthMb = new Map<string, number>();
    const changed = new Set<string>();
    for (const e of out.events) {
      if (e.kind === 'subscription' && e.data.action === 'activated') planOf.set(e.customerId, e.data.productId!);
      if (e.kind === 'subscription' && e.data.action === 'plan_changed') changed.add(e.customerId);
      if (e.kind === 'usage' && e.time.startsWith('2025-01')) monthMb.set(e.customerId, (monthMb.get(e.customerId) ?? 0) + e.data.dataMb);
    }
    let checked = 0;
    for (const [customerId, mb] of monthMb) {
      if (changed.has(customerId)) continue; // judged on its first plan only
      const plan = cfg.plans.find((p) => p.id === planOf.get(customerId))!;
      const cap = Math.min(cfg.usage.caps.dataMbPerMonth[plan.family], 2 * plan.dataAllowanceMb);
      // The level is capped; daily noise (σ 0.35: mean ×1.06), weekdays (up to ×1.1) and a 31-day
      // month put the sum of the most extreme of thousands of customers up to about 40 % above it.
      expect(mb).toBeLessThan(cap * 1.5);
      checked++;
    }
    expect(checked).toBeGreaterThan(2500);
    const heaviest = Math.max(...monthMb.values());
    expect(heaviest).toBeGreaterThan(1_000_000);
  });
});
