import { describe, expect, it } from 'vitest';
import { productSince } from './product-since';

describe('productSince', () => {
  it("says a product seen with the customer's first record was active by then, and dates one activated since on its day", () => {
    const first = '2025-12-06T00:00:00.000Z';
    const twin = { firstEventAt: first, customerSince: '2024-06-07T00:00:00.000Z' };
    expect(productSince(first, twin)).toBe("by 2025-12-06 (first in the history)");
    expect(productSince('2026-07-14T10:31:00.000Z', twin)).toBe('2026-07-14');
    expect(productSince(null, twin)).toBe('–');
    // A new line: the customer joined with that record, so the product began that day.
    expect(productSince('2026-12-21T00:00:00.000Z', { firstEventAt: '2026-12-21T00:00:00.000Z', customerSince: '2026-12-21T00:00:00.000Z' })).toBe('2026-12-21');
  });
});
