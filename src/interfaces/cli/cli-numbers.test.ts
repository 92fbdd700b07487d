import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { formatInterval, formatTable, intOption } from './cli-numbers.js';

describe('cli numbers', () => {
  it('parses integer options in range and names the option otherwise', () => {
    const parse = intOption('--months', 1, 12);
    expect(parse('12')).toBe(12);
    expect(() => parse('13')).toThrow(InvalidArgumentError);
    expect(() => parse('1.5')).toThrow(/--months must be an integer from 1 to 12/);
  });

  it('prints a mean with its interval and aligns table columns', () => {
    expect(formatInterval(1234.5, -10, 2000)).toBe('1,235 [-10, 2,000]');
    expect(formatTable([['name', 'value'], ['a', '1'], ['longer', '22']]).split('\n')).toEqual(['name    value', 'a           1', 'longer     22']);
  });
});
