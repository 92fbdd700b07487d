import { describe, expect, it } from 'vitest';
import { outcomeCoverage } from '../../decisioning/decision-record.js';
import { formatCoverage } from './policy-command.js';

describe('twinloop policy evaluate: the outcomes line', () => {
  it('says none is due yet where no decision is past its window, not 100 % of 0', () => {
    const line = formatCoverage(outcomeCoverage([])).split('\n')[0];
    expect(line).toMatch(/^outcomes: 0 of 0 decisions older than their 7-day window \(none due yet\)/);
    expect(line).not.toContain('%');
  });
});
