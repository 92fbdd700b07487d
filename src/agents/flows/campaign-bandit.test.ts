import { describe, expect, it } from 'vitest';
import { allocateBudget, differenceInterval, judgeVariants, wilson, type VariantStats } from './campaign-bandit.js';

const v = (variantId: string, accepted: number, declined: number, extra: Partial<VariantStats> = {}): VariantStats => ({ variantId, presented: accepted + declined, accepted, declined, spent: 0, ...extra });

describe('campaign bandit', () => {
  const guard = { minShare: 0.05, maxShiftPerTick: 0.2 };

  it('moves budget toward the better variant, at most the max shift per tick, keeping the floor', () => {
    const stats = [v('good', 60, 140), v('bad', 10, 190)];
    const next = allocateBudget(stats, { good: 0.5, bad: 0.5 }, new Set(), guard, 7);
    expect(next.good).toBeCloseTo(0.7, 6);
    expect(next.bad).toBeCloseTo(0.3, 6);
    let shares = next;
    for (let t = 0; t < 5; t++) shares = allocateBudget(stats, shares, new Set(), guard, t);
    expect(shares.bad).toBeCloseTo(0.05, 6);
    expect(shares.good + shares.bad).toBeCloseTo(1, 9);
  });

  it('starts from the audience profiles\' expected acceptance, and lets the campaign\'s own answers outweigh it', () => {
    // No answers yet: the kind the audience's profiles say they take gets more of the budget.
    const fresh = allocateBudget([v('data', 0, 0, { priorAcceptance: 0.45 }), v('discount', 0, 0, { priorAcceptance: 0.1 })], { data: 0.5, discount: 0.5 }, new Set(), guard, 5);
    expect(fresh.data).toBeGreaterThan(0.6);
    // Without profiles the two are the same to the bandit.
    const blind = allocateBudget([v('data', 0, 0), v('discount', 0, 0)], { data: 0.5, discount: 0.5 }, new Set(), guard, 5);
    expect(Math.abs(blind.data - 0.5)).toBeLessThan(0.05);
    // Two hundred answers the other way win over the prior.
    const answered = allocateBudget([v('data', 10, 190, { priorAcceptance: 0.45 }), v('discount', 60, 140, { priorAcceptance: 0.1 })], { data: 0.5, discount: 0.5 }, new Set(), guard, 5);
    expect(answered.discount).toBeGreaterThan(0.6);
  });

  it('gives a paused variant nothing and is deterministic for a seed', () => {
    const stats = [v('a', 5, 5), v('b', 5, 5), v('c', 1, 1)];
    const a = allocateBudget(stats, {}, new Set(['c']), guard, 3);
    expect(a.c).toBe(0);
    expect(a).toEqual(allocateBudget(stats, {}, new Set(['c']), guard, 3));
  });

  it('pauses a variant whose treated churn is significantly above the control', () => {
    const stats = [v('harm', 30, 70, { treated: 200, treatedChurned: 60 }), v('ok', 30, 70, { treated: 200, treatedChurned: 20 })];
    const verdicts = judgeVariants(stats, { customers: 200, churned: 24 }, new Set());
    expect(verdicts.find((x) => x.variantId === 'harm')).toMatchObject({ action: 'pause', rule: 'harmful-uplift' });
    expect(verdicts.find((x) => x.variantId === 'ok')).toMatchObject({ action: 'keep' });
  });

  it('pauses far-below acceptance only with enough answers, and never the last variant for it', () => {
    expect(judgeVariants([v('low', 2, 98), v('hi', 40, 60)], undefined, new Set())[0]).toMatchObject({ action: 'pause', rule: 'low-acceptance' });
    expect(judgeVariants([v('low', 0, 10), v('hi', 40, 60)], undefined, new Set())[0]).toMatchObject({ action: 'keep' });
    expect(judgeVariants([v('low', 2, 98), v('hi', 40, 60)], undefined, new Set(['hi']))[0]).toMatchObject({ action: 'keep' });
  });

  it('pauses a variant the back end keeps failing, even the last one, and moves its budget to the others', () => {
    const broken = v('compensation', 0, 0, { failed: 18, lastFailure: 'no back-end offer' });
    const verdicts = judgeVariants([broken, v('ok', 3, 7)], undefined, new Set());
    expect(verdicts[0]).toMatchObject({ action: 'pause', rule: 'undeliverable', evidence: { failed: 18, attempts: 18, lastFailure: 'no back-end offer' } });
    expect(verdicts[0].action === 'pause' && verdicts[0].reason).toMatch(/18 of 18 contacts failed \(last: no back-end offer\)/);
    expect(judgeVariants([broken], undefined, new Set())[0]).toMatchObject({ action: 'pause', rule: 'undeliverable' });
    expect(allocateBudget([broken, v('ok', 3, 7)], { compensation: 0.68, ok: 0.32 }, new Set(['compensation']), guard, 1)).toEqual({ compensation: 0, ok: 1 });
    // A few failures among many deliveries are the back end's bad minute, not a broken variant.
    expect(judgeVariants([v('flaky', 20, 80, { failed: 6 }), v('ok', 30, 70)], undefined, new Set())[0]).toMatchObject({ action: 'keep' });
  });

  it('computes a Wilson interval around the rate', () => {
    const w = wilson(20, 100);
    expect(w.low).toBeLessThan(0.2);
    expect(w.high).toBeGreaterThan(0.2);
  });
  it("gives a difference of proportions Newcombe's interval, and none for an empty group", () => {
    // Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 − 48/80 at 95 % is [0.0524, 0.3339].
    const ci = differenceInterval(56, 70, 48, 80)!;
    expect(ci.low).toBeCloseTo(0.0524, 3);
    expect(ci.high).toBeCloseTo(0.3339, 3);
    expect(differenceInterval(3, 30, 0, 0)).toBeNull();
  });
});
