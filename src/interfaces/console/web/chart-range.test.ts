import { describe, expect, it } from 'vitest';
import { timeRange } from './chart-range';
import { DAY_MS } from './format';

const at = (iso: string) => Date.parse(iso);
const days = ([from, to]: [number, number]) => (to - from) / DAY_MS;

/** The time axis a chart is drawn on (the customer page's usage and bills, the campaigns', the models'). */
describe('timeRange', () => {
  const end = at('2026-01-07T00:00:00Z');
  const span = [end - 180 * DAY_MS, end] as const;

  it("draws a single bill on the 180 days the customer page's heading names, not on years around it", () => {
    const bill = at('2025-12-01T00:00:00Z');
    expect(timeRange([bill], { span, bars: true })).toEqual([span[0], span[1]]);
    // With no period to show, a day either side of it.
    const alone = timeRange([bill], { bars: true })!;
    expect(alone[0]).toBeLessThan(bill);
    expect(alone[1]).toBeGreaterThan(bill);
    expect(days(alone)).toBe(2);
    expect(days(timeRange([bill])!)).toBe(2);
  });

  it('keeps the first and last of many bars whole: half a gap beyond each', () => {
    const bills = [at('2025-07-10T00:00:00Z'), at('2025-08-10T00:00:00Z'), at('2025-09-10T00:00:00Z'), at('2025-10-10T00:00:00Z'), at('2025-11-10T00:00:00Z'), at('2025-12-10T00:00:00Z')];
    const [from, to] = timeRange(bills, { span, bars: true })!;
    // The smallest gap is 30 days (September to October, November to December): 15 days either side.
    expect(from).toBe(bills[0] - 15 * DAY_MS);
    expect(to).toBe(span[1]);
    expect(timeRange(bills, { bars: true })).toEqual([bills[0] - 15 * DAY_MS, bills[5] + 15 * DAY_MS]);
    // A line's points end where the data does.
    expect(timeRange(bills)).toEqual([bills[0], bills[5]]);
  });

  it('shows the period with nothing in it, and nothing without one', () => {
    expect(timeRange([], { span })).toEqual([span[0], span[1]]);
    expect(timeRange([])).toBeNull();
  });
});
