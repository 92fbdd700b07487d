import { describe, expect, it } from 'vitest';
import { describeFeature } from './readable-reasons.js';

describe('a score reason in words', () => {
  it('groups the digits of large amounts and keeps small ones as they are', () => {
    expect(describeFeature('data_mb_30d', 231186)).toBe('231,186 MB of data in 30 days');
    expect(describeFeature('data_mb_30d', 231186.4)).toBe('231,186 MB of data in 30 days');
    expect(describeFeature('data_mb_7d', 12)).toBe('12 MB of data in 7 days');
    expect(describeFeature('data_mb_7d', 3.5)).toBe('3.50 MB of data in 7 days');
  });
});
