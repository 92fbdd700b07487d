import { describe, expect, it } from 'vitest';
import { planChangeText } from './plan-change';

describe('planChangeText', () => {
  it('names the plan moved to and says by how much the monthly bill changes, either way', () => {
    expect(planChangeText({ fromPlanId: 'fibre-m', fromMonthlyPrice: 80, toPlanId: 'dsl-l', toMonthlyPrice: 75, monthlyDifference: -5 })).toBe('fibre-m (80.00 a month) to dsl-l (75.00 a month): the customer pays 5.00 a month less');
    expect(planChangeText({ fromPlanId: 'fibre-m', fromMonthlyPrice: 80, toPlanId: 'fibre-l', toMonthlyPrice: 103, monthlyDifference: 23 })).toBe('fibre-m (80.00 a month) to fibre-l (103.00 a month): the customer pays 23.00 a month more');
    expect(planChangeText({ fromPlanId: null, fromMonthlyPrice: 0, toPlanId: 'voice-s', toMonthlyPrice: 19.9, monthlyDifference: 19.9 })).toBe('no plan to voice-s (19.90 a month): the customer pays 19.90 a month more');
  });
});
