import { describe, expect, it } from 'vitest';
import { settledReport, type ReportedRun, type SettlementReader } from './churn-prevention-report.js';

/** A run's report read with its offers' answers: accepted offers' acceptance-paid parts count as spent, unanswered ones as reserved. */
describe('settledReport', () => {
  const report: ReportedRun = {
    periodId: '2026-05',
    status: 'acted',
    scanned: 10,
    contacted: [
      { customerId: 'A', offerId: 'retain-10', route: 'digital', cost: 0, requestId: 'r-A', onAcceptance: 30 },
      { customerId: 'D', offerId: 'retain-10', route: 'digital', cost: 0, requestId: 'r-D', onAcceptance: 30 },
      { customerId: 'W', offerId: 'data-bonus', route: 'digital', cost: 0, requestId: 'r-W', onAcceptance: 3 },
      { customerId: 'T', offerId: 'retain-10', route: 'assisted', cost: 5 },
    ],
    leftAlone: {},
    spend: 5,
    reserved: 63,
    budget: 500,
    simulation: [],
  };
  const states: Record<string, { state: 'reserved' | 'committed' | 'released'; amount: number }> = {
    'r-A': { state: 'committed', amount: 30 },
    'r-D': { state: 'released', amount: 30 },
    'r-W': { state: 'reserved', amount: 3 },
  };
  const reader: SettlementReader = async (id) => states[id];

  it('moves accepted offers into spend, drops declined ones, keeps the unanswered reserved', async () => {
    expect(await settledReport(report, reader)).toMatchObject({ spend: 35, reserved: 3 });
  });

  it('leaves a report without acceptance-paid offers as written', async () => {
    const plain = { ...report, contacted: [report.contacted[3]], reserved: undefined };
    expect(await settledReport(plain, reader)).toBe(plain);
  });
});
