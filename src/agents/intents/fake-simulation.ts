import type { PlanOutcome } from './expectation-math.js';
import type { Plan, SimulatePlan } from './intent-planner.js';

/**
 * A deterministic stand-in for the simulation lab, for tests and for wiring the intent service
 * before the lab is connected. Spend equals each action's budget limit (or 4 per top-k customer);
 * assisted channels save more customers per unit spent, the bigger discount and uplift
 * targeting a little more; a saved customer is worth 100. Intervals are ±20% (cost ±10%).
 * It knows nothing about real customers: never use it to choose a real plan.
 */
export function createFakeSimulation(options: { segmentSize?: number; baselineChurners?: number } = {}): SimulatePlan {
  const segmentSize = options.segmentSize ?? 20_000;
  const baseline = options.baselineChurners ?? 10_000;
  return (plan: Plan): Promise<PlanOutcome> => {
    let value = 0;
    let avoided = 0;
    let cost = 0;
    let targeted = 0;
    for (const a of plan.actions) {
      const size = a.targeting.limit.kind === 'budget' ? a.targeting.limit.amount : a.targeting.limit.k * 4;
      const rate = (a.channels.includes('human_task') ? 0.05 : 0.03) * (a.offerId === 'retain-25' ? 1.3 : 1) * (a.targeting.rank === 'uplift' ? 1.1 : 1);
      cost += size;
      avoided += size * rate;
      value += size * rate * 100 - size;
      targeted += size / 4;
    }
    const iv = (x: number, spread: number) => ({ mean: x, low: x - Math.abs(x) * spread, high: x + Math.abs(x) * spread });
    return Promise.resolve({
      netValue: iv(value, 0.2),
      churnersAvoided: iv(avoided, 0.2),
      cost: iv(cost, 0.1),
      baselineChurners: { mean: baseline, low: baseline * 0.95, high: baseline * 1.05 },
      segmentSize,
      targeted,
      acceptances: iv(avoided * 1.5, 0.2),
    });
  };
}
