import { describe, expect, it } from 'vitest';
import { createSandboxWorld, namedWorld } from '../sandbox/index.js';
import { createFeatureOracle, createOracle } from '../sandbox/oracle/index.js';
import { contactValueOf, HORIZON_DAYS, horizonSurvival } from './retention-yardstick.js';

describe('retention yardstick', () => {
  const offer = { discountPct: 10, months: 3 };
  const state = { acceptProbability: 0.5, hazardUntreated: 0.01, hazardIfAccepted: 0.005, hazardIfDeclined: 0.01 };
  const end = { hazardMonths: 6, hazardUntreated: 0.05, hazardIfAccepted: 0.02, hazardIfDeclined: 0.05 };

  it("counts a contract's end inside the horizon, with each branch's hazard that day, and none past it", () => {
    const inside = contactValueOf({ ...state, contractEnd: { ...end, inDays: 30 } }, 50, offer, 2);
    const kept = 0.5 * 0.995 ** 3 * 0.98 ** 6 + 0.5 * 0.99 ** 3 * 0.95 ** 6 - 0.99 ** 3 * 0.95 ** 6;
    expect(inside.retained).toBeCloseTo(kept, 12);
    // Without the renewal the same customer is worth far less keeping: the lock-in's hazard alone.
    const without = contactValueOf(state, 50, offer, 2);
    expect(without.retained).toBeCloseTo(0.5 * (0.995 ** 3 - 0.99 ** 3), 12);
    expect(inside.retained).toBeGreaterThan(5 * without.retained);
    expect(contactValueOf({ ...state, contractEnd: { ...end, inDays: 92 } }, 50, offer, 2)).toEqual(without);
  });

  it("reads the world's own renewal decision: untreated, a customer's churn over the horizon is the oracle's, and the feature oracle's in the mean", () => {
    const world = createSandboxWorld(namedWorld('small'), 3, { latencyScale: 0 });
    world.generate({ usage() {}, event() {} }, { months: 4 });
    const oracle = createOracle(world);
    const features = createFeatureOracle(world, { horizonDays: HORIZON_DAYS });
    const active = oracle.customerIds().filter((id) => oracle.churnProbability(id) > 0);
    let ending = 0, persuadables = 0, trueChurn = 0, viewChurn = 0;
    for (const id of active) {
      const t = oracle.offerEffect(id, 'retain-10');
      const churn = 1 - horizonSurvival(t).untreated;
      expect(churn).toBeCloseTo(oracle.churnProbabilityWithin(id, HORIZON_DAYS), 9);
      if (!t.contractEnd || t.contractEnd.inDays >= HORIZON_DAYS) continue;
      ending++;
      // Out of the lock-in the customer weighs leaving at a month-to-month hazard, higher than the contract's.
      expect(t.contractEnd.hazardUntreated).toBeGreaterThan(t.hazardUntreated);
      if (t.responseType === 'persuadable') {
        persuadables++;
        // An offer accepted now is in force on the day the contract ends.
        expect(t.contractEnd.hazardIfAccepted).toBeLessThan(t.contractEnd.hazardUntreated);
      }
      const v = features.view(id, 'retain-10');
      expect(v.contractEnd?.inDays).toBe(t.contractEnd.inDays);
      trueChurn += churn;
      let expected = 0;
      for (let j = 0; j < v.states.weight.length; j++) {
        const s = v.states;
        expected += s.weight[j] * (1 - horizonSurvival({ acceptProbability: 0, hazardUntreated: s.hazardUntreated[j], hazardIfAccepted: 0, hazardIfDeclined: 0, contractEnd: { ...v.contractEnd!, hazardUntreated: s.contractEndUntreated[j], hazardIfAccepted: 0, hazardIfDeclined: 0 } }).untreated);
      }
      viewChurn += expected;
    }
    expect(ending).toBeGreaterThan(30);
    expect(persuadables).toBeGreaterThan(0);
    expect(viewChurn / trueChurn).toBeGreaterThan(0.8);
    expect(viewChurn / trueChurn).toBeLessThan(1.25);
  });
});
