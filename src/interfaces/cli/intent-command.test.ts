import { describe, expect, it } from 'vitest';
import { planRefusal } from './intent-command.js';

describe('intent --accept', () => {
  it('takes a report without a plan for a refusal, naming the intent and the reason', () => {
    const why = planRefusal({ intentId: 'intent-7', planSelection: 'no-plan', shortfalls: ['no candidate plan has a positive expected value within budget 10'] });
    expect(why).toContain('intent-7');
    expect(why).toContain('no candidate plan has a positive expected value within budget 10');
  });

  it('takes a planned intent, best effort included, for success', () => {
    expect(planRefusal({ intentId: 'intent-8', planSelection: 'meets-expectations', shortfalls: [] })).toBeUndefined();
    expect(planRefusal({ intentId: 'intent-9', planSelection: 'best-effort', shortfalls: ['churn -1 % expected, -2 % asked'] })).toBeUndefined();
  });
});
