import { describe, expect, it } from 'vitest';
import type { EventSink } from '../domain/event-sink.js';
import { rocAuc } from '../intelligence/evaluation/roc-auc.js';
import { createRng } from '../intelligence/random.js';
import { createSandboxWorld, namedWorld } from '../sandbox/index.js';
import { createOracle } from '../sandbox/oracle/index.js';
import { ceilingReading, expectedAuc, judgeLiveCeiling, takeLiveCeilingSnapshot } from './live-churn-ceiling.js';

const sink: EventSink = { submit: async (b) => b.map((e) => ({ status: 'accepted' as const, id: e.id })) };

describe('expected AUC under the true probabilities', () => {
  it('is the mean of the realised AUCs when the labels are drawn from the probabilities', () => {
    const rng = createRng(7);
    const n = 400;
    const p = Array.from({ length: n }, () => 0.02 + 0.3 * rng.next() ** 2);
    // A score that knows part of the truth, with ties (rounded to tenths of its range).
    const s = p.map((x) => Math.round((x + 0.15 * rng.next()) * 10) / 10);
    let sum = 0;
    let draws = 0;
    for (let k = 0; k < 3000; k++) {
      const labels = p.map((x) => (rng.next() < x ? 1 : 0));
      const auc = rocAuc(labels, s);
      if (Number.isNaN(auc)) continue;
      sum += auc;
      draws++;
    }
    expect(expectedAuc(p, s)).toBeCloseTo(sum / draws, 2);
  });

  it('gives a constant score one half, the reversed order one minus the order, and the truth the most', () => {
    const p = [0.01, 0.05, 0.1, 0.2, 0.4, 0.7];
    expect(expectedAuc(p, p.map(() => 3))).toBeCloseTo(0.5, 12);
    const reversed = p.map((x) => -x);
    expect(expectedAuc(p, reversed)).toBeCloseTo(1 - expectedAuc(p, p), 12);
    expect(expectedAuc(p, [0.05, 0.01, 0.1, 0.2, 0.7, 0.4])).toBeLessThan(expectedAuc(p, p));
    expect(expectedAuc([0, 0], [1, 2])).toBeNaN();
  });
});

describe('the live churn ceiling', () => {
  it('ranks the recorded twins expected at once, and realised on their churn once the horizon has passed', async () => {
    const world = createSandboxWorld(namedWorld('small'), 2, { latencyScale: 0 });
    await world.backfill({ days: 60, sink });
    const oracle = createOracle(world);
    const everyone = oracle.customerIds();
    const active = everyone.filter((id) => oracle.churnProbability(id) > 0);
    expect(active.length, 'some customers left in the 60 days').toBeLessThan(everyone.length);
    // A served score that knows only the truth's order in halves: below the truth, above chance.
    const served = new Map(active.map((id) => [id, oracle.churnProbabilityWithin(id, 30) > 0.03 ? 1 : 0]));
    // Asked for every customer (and one the world never had): those gone or unscored are left out.
    const snap = await takeLiveCeilingSnapshot(world, [...everyone, 'C999999'], (id) => served.get(id) ?? Number.NaN, { modelId: 'churn-v1', horizonDays: 30 });
    expect(snap.customerIds).toEqual(active);

    const before = judgeLiveCeiling(world, snap);
    expect(before.realised).toBeNull();
    expect(before.expected.truth).toBeGreaterThan(before.expected.model);
    expect(before.expected.model).toBeGreaterThan(0.5);
    expect(before.reading).toContain('expected under the true probabilities');

    await world.backfill({ days: 31, sink });
    const after = judgeLiveCeiling(world, snap);
    expect(after.realised, 'realised once the 30 days have passed').not.toBeNull();
    const churned = snap.customerIds.filter((id) => {
      const gone = oracle.outcome(id).terminatedAt;
      return gone !== undefined && Date.parse(gone) >= Date.parse(after.at.slice(0, 10)) && Date.parse(gone) < Date.parse(after.at.slice(0, 10)) + 30 * 86_400_000;
    });
    expect(after.realised!.churners).toBe(churned.length);
    expect(after.realised!.churners).toBeGreaterThan(0);
    expect(after.reading).toContain(`(${churned.length} of ${snap.customerIds.length} churned)`);
  }, 60_000);
});

describe('the reading in words', () => {
  const base = { at: '2027-01-07T08:00:00.000Z', modelId: 'churn-v1', horizonDays: 30, rows: 24000, labelsAt: '2027-02-07T00:00:00.000Z', targetGap: 0.03, expected: { model: 0.79, featureOracle: 0.8, truth: 0.85, churners: 380 } };
  it('says the target is out of any model of the observables\u2019 reach when the feature oracle is more than the target below the truth', () => {
    const text = ceilingReading({ ...base, realised: null });
    expect(text).toContain('AUC 0.790, the feature oracle 0.800, the true probabilities 0.850');
    expect(text).toContain('missed by 0.030');
    expect(text).toContain('is itself 0.050 below the truth');
  });
  it('reads the realised AUCs once they are there, and says when the target is met', () => {
    const text = ceilingReading({ ...base, realised: { model: 0.83, featureOracle: 0.84, truth: 0.85, churners: 371 } });
    expect(text).toContain('(371 of 24000 churned)');
    expect(text).toContain('is met');
    expect(text).toContain('within reach of a model of the observables');
  });
});
