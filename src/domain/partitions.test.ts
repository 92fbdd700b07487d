import { describe, expect, it } from 'vitest';
import { partitionOfRecord, fairShare, PARTITION_COUNT, partitionOf, partitionSubject } from './partitions.js';

describe('partitions', () => {
  it('puts a customer in the same partition every time, and spreads customers over all of them', () => {
    expect(partitionOf('C000001')).toBe(partitionOf('C000001'));
    const counts = new Array<number>(PARTITION_COUNT).fill(0);
    for (let i = 0; i < 64_000; i++) counts[partitionOf(`C${String(i).padStart(6, '0')}`)]++;
    // 1,000 expected per partition; every one used, none more than 20 % off.
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });

  it('names a partition subject with two digits and shares partitions fairly', () => {
    expect(partitionSubject('twinloop.events', 7)).toBe('twinloop.events.p07');
    expect(partitionSubject('twinloop.events', 63)).toBe('twinloop.events.p63');
    expect(fairShare(3)).toBe(22);
    expect(fairShare(0)).toBe(64);
  });

  it("routes a record by its customer, and a record without one by its text (some owner's intake parks it)", () => {
    const record = JSON.stringify({ id: 'e1', kind: 'usage', customerId: 'C42', data: {} });
    expect(partitionOfRecord(record)).toBe(partitionOf('C42'));
    expect(partitionOfRecord('{not json')).toBe(partitionOfRecord('{not json'));
    expect(partitionOfRecord('{"customerId": 7}')).toBeLessThan(PARTITION_COUNT);
    expect(partitionOfRecord('null')).toBeGreaterThanOrEqual(0);
  });
});
