import { describe, expect, it } from 'vitest';
import { memoryDocuments } from '../../store/document-store.js';
import { churnPolicySettings, DEFAULT_CHURN_PREVENTION_POLICY, type ChurnPreventionPolicy } from './churn-prevention-policy.js';

describe('churn prevention policy', () => {
  const settings = () => churnPolicySettings(memoryDocuments<ChurnPreventionPolicy>(), { ...DEFAULT_CHURN_PREVENTION_POLICY, budget: 500 }, () => ['retain-10', 'retain-25']);

  it('reads the default until one is set, then the one set', async () => {
    const s = settings();
    expect(await s.get()).toEqual({ ...DEFAULT_CHURN_PREVENTION_POLICY, budget: 500 });
    await s.set({ floor: 0.1, minValue: 100, budget: 3000, offers: ['retain-25', 'retain-10'], cadenceDays: 14, controlShare: 0.2 });
    expect(await s.get()).toMatchObject({ floor: 0.1, offers: ['retain-25', 'retain-10'], cadenceDays: 14 });
  });

  it('refuses a bad policy naming the field, and an offer the catalogue lacks, keeping the old one', async () => {
    const s = settings();
    await expect(s.set({ ...DEFAULT_CHURN_PREVENTION_POLICY, floor: 1.5 })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/^churn prevention policy: floor: /) });
    await expect(s.set({ ...DEFAULT_CHURN_PREVENTION_POLICY, cadence: 7 })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(s.set({ ...DEFAULT_CHURN_PREVENTION_POLICY, offers: ['retain-10', 'free-phone'] })).rejects.toMatchObject({ message: expect.stringMatching(/offers\.1: no offer "free-phone" in the catalogue; known: retain-10, retain-25/) });
    expect((await s.get()).budget).toBe(500);
  });
});
