import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../domain/time.js';
import { revenueSd, type RevenueRecord } from './revenue-noise.js';

const MONTH = 30.4375 * DAY_MS;
const END = Date.parse('2026-07-01T00:00:00Z');
/** Monthly records of `amounts`, oldest first, the last in the month before END. */
const series = (id: string, amounts: readonly number[]): RevenueRecord[] => amounts.map((amount, k) => ({ customerId: id, timeMs: END - (amounts.length - k - 0.5) * MONTH, amount }));

describe('revenue noise from billing records', () => {
  it('reads each customer\u2019s month-to-month spread, not a step in its level, and no spread in a flat bill', () => {
    const alternating = [30, 50, 30, 50, 30, 50, 30, 50];
    const stepped = [40, 40, 40, 40, 20, 20, 20, 20];
    const sd = revenueSd([...series('a', alternating), ...series('flat', [40, 40, 40, 40, 40, 40, 40, 40]), ...series('step', stepped)], { untilMs: END });
    // The last six months (the records began earlier, so none is a part month): five differences of ±20, 400 / 2.
    expect(sd('a')).toBeCloseTo(Math.sqrt(200), 6);
    expect(sd('flat')).toBe(0);
    // One step of 20 among five differences: far less than the level's spread would say.
    expect(sd('step')).toBeCloseTo(Math.sqrt(400 / 10), 6);
  });

  it('gives a customer with too few months the median of the others, and records after the end nothing', () => {
    const sd = revenueSd([...series('a', [30, 50, 30, 50, 30, 50, 30, 50]), ...series('b', [40, 40, 40, 40, 40, 40, 40, 40]), ...series('c', [10, 90, 10, 90, 10, 90, 10, 90]), ...series('new', [40, 45, 40]), { customerId: 'late', timeMs: END + DAY_MS, amount: 1000 }], { untilMs: END });
    expect(sd('new')).toBeCloseTo(Math.sqrt(200), 6);
    expect(sd('late')).toBeCloseTo(Math.sqrt(200), 6);
  });
});
