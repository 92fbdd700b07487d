import { describe, expect, it } from 'vitest';
import { checkWorldDocument, namedWorld, WORLD_NAMES } from './world-catalog.js';

describe('world configuration', () => {
  it('ships valid built-in worlds', () => {
    for (const name of WORLD_NAMES) expect(namedWorld(name).name).toBe(name);
    expect(namedWorld('default').population.customers).toBe(20_000);
    expect(namedWorld('small').population.customers).toBe(1000);
  });

  it('names each wrong field with its path, what was expected and what was found', () => {
    const r = checkWorldDocument({
      extends: 'default',
      population: { customers: -5 },
      plans: [{ id: 'x', name: 'X', family: 'cable', share: 1, monthlyPrice: 'ten', dataAllowanceMb: 1, voiceAllowanceMin: 1, overagePerGb: 1, overagePerMin: 1 }],
      usage: { weekly: [1, 1, 1] },
      surprise: true,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byPath = Object.fromEntries(r.issues.map((i) => [i.path, i]));
    expect(byPath['population.customers'].found).toBe('-5');
    expect(byPath['plans.0.family'].expected).toMatch(/fibre/);
    expect(byPath['plans.0.family'].found).toBe('"cable"');
    expect(byPath['plans.0.monthlyPrice'].expected).toMatch(/number/);
    expect(byPath['usage.weekly']).toBeDefined();
    expect(byPath['surprise'].expected).toMatch(/no such field/);
  });

  it('checks references across sections and shares that must add up to one', () => {
    const r = checkWorldDocument({ extends: 'default', priceChanges: [{ day: 3, planIds: ['nope'], pct: 5 }] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0].path).toBe('priceChanges.0.planIds.0');
    const s = checkWorldDocument({ extends: 'default', population: { segments: { consumer: 0.5, business: 0.2 } } });
    expect(!s.ok && s.issues[0].path).toBe('population.segments');
  });

  it('rejects an unknown parent world', () => {
    const r = checkWorldDocument({ extends: 'atlantis' });
    expect(!r.ok && r.issues[0].path).toBe('extends');
  });
});
