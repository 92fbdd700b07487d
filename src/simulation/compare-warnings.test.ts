import { describe, expect, it } from 'vitest';
import { compareWarnings } from './compare-warnings.js';

/** A compare says when its columns do not share the world without treatment they are read against. */
describe('compareWarnings', () => {
  const a = { name: 'top 1000', seed: 1, horizonMonths: 6, draws: 100, hazardLevel: 1 };

  it('says nothing for scenarios of one seed, horizon and number of draws, or a single scenario', () => {
    expect(compareWarnings([a, { ...a, name: 'bonus' }])).toEqual([]);
    expect(compareWarnings([{ ...a, seed: 7 }])).toEqual([]);
  });

  it('names each field the scenarios differ in, with every scenario\'s value', () => {
    const warnings = compareWarnings([a, { ...a, name: 'bonus', seed: 2 }, { ...a, name: 'price', horizonMonths: 3 }]);
    expect(warnings).toEqual([
      'The scenarios differ in seed (top 1000: 1; bonus: 2; price: 1): each draws its own world without treatment, so their "churners without treatment" differ and their churners avoided and net value do not compare against one baseline; give them one seed to compare them.',
      'The scenarios differ in horizon (top 1000: 6 months; bonus: 6 months; price: 3 months): each counts churners and revenue over its own span, so their "churners without treatment" differ and their churners avoided and net value do not compare against one baseline; give them one horizon to compare them.',
    ]);
    expect(compareWarnings([a, { ...a, name: 'b', draws: 200 }])[0]).toMatch(/^The scenarios differ in draws \(top 1000: 100; b: 200\)/);
    expect(compareWarnings([a, { ...a, name: 'b', hazardLevel: 1.2 }])[0]).toMatch(/^The scenarios differ in hazard level \(top 1000: 1; b: 1.2\)/);
  });
});
