import { describe, expect, it } from 'vitest';
import { IdPositions } from './id-positions.js';

describe('the ids taken in a unit', () => {
  it('finds each id at the position it was added at, grows, and forgets them all at once', () => {
    const ids = Array.from({ length: 40_000 }, (_, i) => `sbx-1-${i}`);
    const taken = new IdPositions();
    const idAt = (p: number) => ids[p];
    for (let p = 0; p < ids.length; p += 2) {
      expect(taken.find(ids[p], idAt)).toBe(-1);
      taken.add(ids[p], p);
    }
    for (let p = 0; p < ids.length; p++) expect(taken.find(ids[p], idAt)).toBe(p % 2 === 0 ? p : -1);
    // Another string with the same text is the same id.
    expect(taken.find(['sbx-1-', '42'].join(''), idAt)).toBe(42);
    taken.clear();
    expect(taken.find(ids[0], idAt)).toBe(-1);
    taken.add(ids[1], 1);
    expect(taken.find(ids[1], idAt)).toBe(1);
    expect(taken.find(ids[2], idAt)).toBe(-1);
  });
});
