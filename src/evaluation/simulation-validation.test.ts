import { describe, expect, it } from 'vitest';
import { validateSimulations } from './simulation-validation.js';

describe('simulation validation against the sandbox', () => {
  it('predicts scenarios from a pilot and a trained model, then realises them in identical worlds', async () => {
    const r = await validateSimulations({ scenarios: 2, seed: 3, customers: 1500, historyMonths: 8, draws: 40, workers: 0 });
    expect(r.scenarios).toHaveLength(2);
    expect(r.pilot.map((p) => p.offerId)).toEqual(['retain-10', 'retain-25']);
    for (const s of r.scenarios) {
      expect(s.treated).toBeGreaterThan(0);
      expect(s.predictedNetValue.p05).toBeLessThanOrEqual(s.predictedNetValue.p95);
      // Contacts and acceptances cost something, so the realised cost is positive.
      expect(s.realisedCost).toBeGreaterThan(0);
    }
    expect(r.coverage).toBeGreaterThanOrEqual(0);
    expect(r.coverage).toBeLessThanOrEqual(1);
  }, 240_000);
});
