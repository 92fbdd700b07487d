import { describe, expect, it } from 'vitest';
import { planRetention, type RetentionCandidate } from './retention-planner.js';

const c = (id: string, churn: number, acceptance: number, value = 1000, expectedCost = 10, contactHarm?: number): RetentionCandidate => ({
  customerId: id,
  churn,
  acceptance,
  value,
  expectedCost,
  contactHarm,
});

describe('retention planner', () => {
  const people = [c('lost-cause', 0.6, 0.02), c('persuadable', 0.3, 0.5), c('sure-thing', 0.05, 0.3), c('sleeping-dog', 0.1, 0.4, 1000, 10, 0.02)];

  it('ranks by expected retained value, leaves sleeping dogs and not-worth-it customers alone', () => {
    const plan = planRetention(people, 1000, { kind: 'expected-value', retentionEffect: 0.5 });
    expect(plan.chosen.map((x) => x.customerId)).toEqual(['persuadable']);
    expect(plan.left).toEqual({ 'not-worth-it': 2, 'contact-harms': 1, budget: 0 });
  });

  it('highest-risk takes the lost cause first', () => {
    const plan = planRetention(people, 20, { kind: 'highest-risk' });
    expect(plan.chosen.map((x) => x.customerId)).toEqual(['lost-cause', 'persuadable']);
    expect(plan.left.budget).toBe(2);
  });

  it('never spends more than the budget', () => {
    const many = Array.from({ length: 100 }, (_, i) => c(`C${i}`, 0.5, 0.5, 1000, 7));
    const plan = planRetention(many, 50, { kind: 'expected-value', retentionEffect: 0.5 });
    expect(plan.chosen).toHaveLength(7);
    expect(plan.expectedCost).toBeLessThanOrEqual(50);
  });
});
