import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseWorkerCounts } from './scale-bench.js';

describe('bench scale --workers', () => {
  it('takes a comma-separated list of worker counts, in the order given', () => {
    expect(parseWorkerCounts('1,2,4')).toEqual([1, 2, 4]);
    expect(parseWorkerCounts(' 4, 1 ')).toEqual([4, 1]);
  });

  it('refuses a count that is not a whole number of workers from 1 to 64, or one given twice, naming the option', () => {
    for (const bad of ['0', '1,x', '65', '1.5', '', '2,2']) expect(() => parseWorkerCounts(bad), bad).toThrow(InvalidArgumentError);
    expect(() => parseWorkerCounts('1,0')).toThrow(/--workers/);
  });
});
