import { describe, expect, it } from 'vitest';
import { budgetText } from './budget-text';

describe("an approval's budget line", () => {
  it('reads its scope and period in words, not the ledger key', () => {
    expect(budgetText('credit|*', '2026-12')).toBe('Budget for credit (any domain), month 2026-12');
    expect(budgetText('*|retention', '2026-12-07')).toBe('Budget for every action class (domain retention), day 2026-12-07');
  });
});
