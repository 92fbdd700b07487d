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

  it('says what a run measured at its horizon in sentences, not as JSON', () => {
    const reading = 'too few to read: the 90 % interval of the uplift, [-2.1 %, 23.7 %], holds no effect as well as this one (35 treated vs 36 held out)';
    const text = formatChurnRun({
      workflowId: 'w',
      status: 'succeeded',
      periodId: 'p',
      scanAt: null,
      contactedSoFar: null,
      measured: { treatedChurnRate: 0.0857, controlChurnRate: 0.1944, uplift: 0.1087, reading, retainedEstimate: 3.804, acceptanceRate: 0.3143, accepted: 11, valueRetainedEstimate: 2345.67, meanValue: 616.6 },
      report: { periodId: 'p', status: 'acted', scanned: 100, contacted: [], leftAlone: {}, spend: 0, budget: 100, simulation: [] },
    });
    expect(text).toContain('measured: churn 8.6 % among the treated against 19.4 % in the control group');
    expect(text).toContain(`reading: ${reading}`);
    expect(text).toContain('customers kept (estimate): 3.8, value 2345.7');
    expect(text).toContain('offers accepted: 11 (31.4 % of the treated)');
    expect(text).not.toContain('{');
  });
});
