import { describe, expect, it } from 'vitest';
import type { LiveModel } from './live-scoring.js';
import { mergePopulationRisks, populationRisk } from './population-risk.js';

const model = { id: 'churn-v3', metadata: { horizonDays: 30 } } as unknown as LiveModel;

describe('populationRisk', () => {
  it('counts the scored twins by churn band and sums expected churners and value at risk, leaving out twins outside the population', () => {
    const churn = Float64Array.from([0.01, 0.03, 0.5, 0.2, 0.9, 0.05, 0.3]);
    const clvValue = Float64Array.from([1000, 500, 200, 100, 0, 400, 0]);
    // The fifth twin churned (not in the scored population): its 0.9 counts nowhere but among those who left;
    // the seventh has no plan yet: neither an active customer nor one who left.
    const active = Uint8Array.from([1, 1, 1, 1, 0, 1, 0]);
    const churned = Uint8Array.from([0, 0, 0, 0, 1, 0, 0]);
    const risk = populationRisk({ churn, clvValue, active, churned, model });
    expect(risk.scored).toBe(5);
    expect(risk.churned).toBe(1);
    expect(risk.modelId).toBe('churn-v3');
    expect(risk.bands).toEqual([
      { from: 0, to: 0.02, customers: 1 },
      { from: 0.02, to: 0.05, customers: 1 },
      { from: 0.05, to: 0.1, customers: 1 },
      { from: 0.1, to: 0.2, customers: 0 },
      { from: 0.2, to: 0.5, customers: 1 },
      { from: 0.5, to: null, customers: 1 },
    ]);
    expect(risk.expectedChurners).toBeCloseTo(0.01 + 0.03 + 0.5 + 0.2 + 0.05, 2);
    expect(risk.valueAtRisk).toBeCloseTo(10 + 15 + 100 + 20 + 20, 2);
    expect(risk.lifetimeValue).toBe(2200);
  });

  it('asks a worker\'s `include` only of the slots that hold a twin (past the table\'s end a slot has no customer id: a worker answered GET /population 500)', () => {
    // Typed arrays grown past the twins they hold: the last two slots are empty.
    const churn = Float64Array.from([0.01, 0.9, 0.3, 0, 0]);
    const clvValue = Float64Array.from([1000, 0, 0, 0, 0]);
    const active = Uint8Array.from([1, 0, 0, 0, 0]);
    const churned = Uint8Array.from([0, 1, 0, 0, 0]);
    const ids = ['C1', 'C2', 'C3'];
    const asked: number[] = [];
    const risk = populationRisk({ churn, clvValue, active, churned, model }, (slot) => {
      asked.push(slot);
      return ids[slot].length > 0;
    });
    expect(asked).toEqual([0, 1]);
    expect([risk.scored, risk.churned]).toEqual([1, 1]);
  });

  /** Seven twins, the fifth churned (its 0.9 counts nowhere but among those who left). */
  const seven = {
    churn: Float64Array.from([0.01, 0.03, 0.5, 0.2, 0.9, 0.05, 0.12]),
    clvValue: Float64Array.from([1000, 500, 200, 100, 0, 400, 300]),
    active: Uint8Array.from([1, 1, 1, 1, 0, 1, 1]),
    churned: Uint8Array.from([0, 0, 0, 0, 1, 0, 0]),
    model,
  };

  it('counts the customers at the at-risk level or above in the same pass, the churned and those outside `include` left out (GET /population reads the scores once)', () => {
    expect(populationRisk(seven, undefined, 0.2).atRiskCustomers).toBe(2);
    const asked: number[] = [];
    const odd = populationRisk(seven, (slot) => (asked.push(slot), slot % 2 === 1), 0.2);
    expect(odd).toMatchObject({ scored: 3, churned: 0, atRiskCustomers: 1 });
    expect(asked).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(populationRisk(seven)).not.toHaveProperty('atRiskCustomers');
  });

  it('adds up the parts of a population (each worker\'s partitions) to what the whole would answer, and refuses parts of different models', () => {
    const scoring = seven;
    const whole = populationRisk(scoring);
    // Two workers holding the odd and even slots.
    const parts = [populationRisk(scoring, (slot) => slot % 2 === 0), populationRisk(scoring, (slot) => slot % 2 === 1)];
    expect(parts.map((p) => p.scored)).toEqual([3, 3]);
    expect(mergePopulationRisks(parts)).toEqual(whole);
    const other = { ...parts[1], modelId: 'churn-v4' };
    expect(mergePopulationRisks([parts[0], other])).toEqual({ conflict: 'the parts are scored by different models: churn-v3 (30 days), churn-v4 (30 days)' });
  });
});
