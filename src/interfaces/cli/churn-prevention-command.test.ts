import { describe, expect, it } from 'vitest';
import { formatChurnRun } from './churn-prevention-command.js';

describe('churn-prevention report', () => {
  it('says whom a run contacted and whom it left alone, by reason, with the settings and the audit entry', () => {
    const text = formatChurnRun({
      workflowId: 'churn-prevention-2027-02-01-00-00',
      status: 'waiting',
      periodId: '2027-02-01-00-00',
      scanAt: Date.UTC(2027, 1, 1),
      measured: null,
      contactedSoFar: null,
      report: {
        periodId: '2027-02-01-00-00',
        status: 'acted',
        scanned: 10,
        contacted: [
          { customerId: 'C1', offerId: 'data-bonus', route: 'digital', cost: 3 },
          { customerId: 'C2', offerId: 'data-bonus', route: 'digital', cost: 3 },
        ],
        leftAlone: { 'low-risk': { count: 6, customerIds: ['C3', 'C4'] }, consent: { count: 2, customerIds: ['C5', 'C6'] } },
        spend: 6,
        budget: 2000,
        settings: { minChurn: 0.05, minValue: 0, budget: 2000, controlShare: 0.1, offers: ['retain-10', 'data-bonus'] },
        simulation: [],
        auditSeq: 42,
      },
    });
    expect(text).toContain('scanned 10: contacted 2 (spend 6 of 2000); left alone: low-risk 6, consent 2');
    expect(text).toContain('contacted 2: data-bonus (digital) 2; first: C1, C2');
    expect(text).toContain('left alone, consent: 2 (first: C5, C6)');
    expect(text).toContain('settings: floor 0.05, min value 0, budget 2000, control 0.1, offers retain-10, data-bonus');
    expect(text).toContain('audit entry 42');
    expect(formatChurnRun({ workflowId: 'w', status: 'waiting', periodId: 'p', scanAt: Date.UTC(2027, 1, 1), measured: null, report: null, contactedSoFar: null })).toBe('w (waiting): has not acted yet; it scans at 2027-02-01T00:00:00.000Z\n');
    // A run waiting for quiet hours half-way through its list has acted: it says so, with its contacts so far.
    expect(formatChurnRun({ workflowId: 'w', status: 'waiting', periodId: 'p', scanAt: Date.UTC(2027, 1, 1), measured: null, report: null, contactedSoFar: 291 })).toBe('w (waiting): acting: 291 contacted so far; the report follows once it has gone through its list\n');
  });
});
