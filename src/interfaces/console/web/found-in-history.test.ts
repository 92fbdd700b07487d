import { describe, expect, it } from 'vitest';
import { historySummary } from './found-in-history';

describe('historySummary', () => {
  it('counts the suspicions found in history, says why nobody could act on them, and how many are listed', () => {
    expect(historySummary(513, 100)).toBe("513 found in history (the newest 100 listed): their signals came in a day or more after they happened (the first start's loaded history, a late batch), so nobody could act on them then and no alarm here can follow them");
    expect(historySummary(3, 3)).toMatch(/^3 found in history: /);
  });
});
