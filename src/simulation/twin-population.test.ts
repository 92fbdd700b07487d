import { describe, expect, it } from 'vitest';
import type { ChurnScorer } from '../intelligence/live/churn-scorer.js';
import { syntheticChurnEvents } from '../intelligence/twin-training/synthetic-churn-events.js';
import { TwinEngine } from '../twin/twin-engine.js';
import { FEATURE_INDEX } from '../twin/twin-features.js';
import { twinSource } from './twin-population.js';

/** A scorer whose probability is read off two features: enough to tell twins apart. */
const scorer = { probability: (f: Float64Array) => 1 / (1 + Math.exp(-(f[FEATURE_INDEX.complaints_90d] - 2 + f[FEATURE_INDEX.tenure_days] / 1000))) } as unknown as ChurnScorer;

describe('the twins as a simulation source', () => {
  const engine = new TwinEngine();
  for (const e of syntheticChurnEvents({ customers: 400, days: 120, seed: 3 })) {
    const time = Date.parse(e.time);
    if (engine.check(e, time, engine.gate(e.customerId)).ok) engine.apply(e, time);
  }
  const visit = (source: ReturnType<typeof twinSource>) => {
    const seen: { id: string; f: number[]; p: number }[] = [];
    source.forEach((id, f, p) => seen.push({ id, f: [...f], p }));
    return seen;
  };

  it("named by id, reads those customers alone, in the order and with the values a walk of every twin gives them, active ones only", () => {
    const every = visit(twinSource(engine, scorer, 30));
    const ids = [...engine.customerIds()].filter((_, i) => i % 7 === 3);
    // Named out of order, with an unknown customer and a churned one among them.
    const churned = [...engine.customerIds()].find((id) => engine.features(id)![FEATURE_INDEX.churned] === 1);
    expect(churned).toBeDefined();
    const among = new Set([...ids].reverse().concat(['C-nobody', churned!]));
    const source = twinSource(engine, scorer, 30, {}, among);
    expect(source.capacity).toBe(ids.length + 1);
    const seen = visit(source);
    expect(seen).toEqual(every.filter((t) => among.has(t.id)));
    expect(seen.length).toBeGreaterThan(40);
    expect(seen.some((t) => t.id === churned)).toBe(false);
  });
});
